"""Counting: the tally from the ballot store and the reconciliation of every count.

The tally is computed from the ballot store only (``Ledger.tally``), never
from the cast events; the reconciliation then checks that the counts kept by
the log agree with it and with each other.
"""

from __future__ import annotations


def tally_from_store(store_counts, package) -> dict:
    """Votes per candidate number (every candidate present, 0 if none), plus blank if allowed."""
    tally = {str(c.number): int(store_counts.get(str(c.number), 0)) for c in package.candidates}
    if package.election.allow_blank:
        tally["blank"] = int(store_counts.get("blank", 0))
    unknown = set(store_counts) - set(tally)
    if unknown:
        raise ValueError(f"ballots for unknown selections: {sorted(unknown)}")
    return tally


# (name, Indonesian, English, holds when)
CHECKS = [
    ("store_equals_casts", "Surat suara tersimpan = peristiwa coblos", "Ballots stored = cast events"),
    ("casts_equal_voters", "Surat suara = pemilih yang memilih", "Ballots = voters who voted"),
    ("slips_equal_casts", "Struk tercetak = surat suara", "Slips printed = ballots"),
    ("releases_accounted", "Surat suara dibuka = dicoblos + dibatalkan", "Releases = casts + cancellations"),
    ("voters_within_roll", "Pemilih hadir <= DPT + DPTb", "Voters present <= DPT + DPTb"),
]


def reconcile(counts: dict) -> dict:
    """Check the day's counts against each other.

    >>> r = reconcile({"dpt": 10, "dptb": 1, "checked_in": 3, "voted": 3, "ballots_cast": 3,
    ...                "ballots_stored": 3, "slips_printed": 3, "releases": 4, "cancelled": 1,
    ...                "reprints": 0, "refused": 0})
    >>> r["balanced"]
    True
    """
    c = counts
    results = {
        "store_equals_casts": c["ballots_stored"] == c["ballots_cast"],
        "casts_equal_voters": c["ballots_cast"] == c["voted"],
        "slips_equal_casts": c["slips_printed"] == c["ballots_cast"],
        "releases_accounted": c["releases"] == c["ballots_cast"] + c["cancelled"],
        "voters_within_roll": c["checked_in"] <= c["dpt"] + c["dptb"],
    }
    return {"counts": dict(c), "checks": results, "balanced": all(results.values())}
