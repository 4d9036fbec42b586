"""Counting: the tally from the ballot store and the reconciliation of every count.

The tally is computed from the ballot store only (``Ledger.tally``), never
from the cast events; the reconciliation then checks that the counts kept by
the log agree with it and with each other.  These rules are defined here once;
the results report (``booth.paper.reports``) prints them.

Spoiled ballots (the voter disputed the slip; a companion spoiled it and the
voter voted again) stay in the store and among the casts, but are not votes:
every rule that compares casts with votes or voters counts ``ballots_cast -
spoiled``.  Counts without a ``spoiled`` key (older days) mean none.
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


def _valid(c: dict) -> int:
    """Ballots cast that still count: all casts but the spoiled ones."""
    return int(c["ballots_cast"]) - int(c.get("spoiled") or 0)


# (key, Indonesian, English, the counts it needs, when it holds)
RULES = [
    (
        "counted_equals_cast",
        "Suara dihitung = tercatat - dibatalkan",
        "ballots counted = ballots cast - spoiled",
        ("votes_counted", "ballots_cast"),
        lambda c: c["votes_counted"] == _valid(c),
    ),
    (
        "store_equals_cast",
        "Kotak suara = peristiwa coblos",
        "ballot store = cast events",
        ("ballots_stored", "ballots_cast"),
        lambda c: c["ballots_stored"] == c["ballots_cast"],
    ),
    (
        "cast_equals_voted",
        "Tercatat - dibatalkan = sudah memilih",
        "ballots cast - spoiled = voters who voted",
        ("ballots_cast", "voted"),
        lambda c: _valid(c) == c["voted"],
    ),
    (
        "slips_equal_cast",
        "Struk tercetak = tercatat",
        "slips printed = ballots cast",
        ("slips_printed", "ballots_cast"),
        lambda c: c["slips_printed"] == c["ballots_cast"],
    ),
    (
        "releases_accounted",
        "Dibuka = tercatat - dibatalkan + batal dibuka",
        "releases = ballots cast - spoiled + cancelled",
        ("releases", "ballots_cast", "cancelled"),
        lambda c: c["releases"] == _valid(c) + c["cancelled"],
    ),
    (
        "spoiled_marked",
        "Dibatalkan = tanda batal di kotak suara",
        "spoiled = spoil marks in the ballot store",
        ("spoiled", "spoiled_stored"),
        lambda c: c["spoiled"] == c["spoiled_stored"],
    ),
    (
        "spoils_within_disputes",
        "Dibatalkan ≤ struk disanggah",
        "spoiled ≤ slips disputed",
        ("spoiled", "disputes"),
        lambda c: c["spoiled"] <= c["disputes"],
    ),
    (
        "voted_within_present",
        "Sudah memilih ≤ hadir",
        "voted ≤ checked in",
        ("voted", "checked_in"),
        lambda c: c["voted"] <= c["checked_in"],
    ),
    (
        "present_within_roll",
        "Hadir ≤ DPT + DPTb",
        "checked in ≤ DPT + DPTb",
        ("checked_in", "dpt", "dptb"),
        lambda c: c["checked_in"] <= c["dpt"] + c["dptb"],
    ),
]


def reconciliation_checks(counts: dict) -> list[tuple[str, str, str, bool]]:
    """(key, Indonesian rule, English rule, holds) for every rule whose counts are known.

    Rules whose counts are missing (None or absent) are left out.

    >>> [k for k, _, _, ok in reconciliation_checks({"ballots_cast": 3, "voted": 2}) if not ok]
    ['cast_equals_voted']
    """
    out = []
    for key, id_text, en_text, needs, holds in RULES:
        if all(counts.get(n) is not None for n in needs):
            out.append((key, id_text, en_text, bool(holds(counts))))
    return out


def reconcile(counts: dict) -> dict:
    """The reconciliation of the day's counts (``counts`` as ``BoothService.counts`` gives them).

    >>> r = reconcile({"dpt": 10, "dptb": 1, "checked_in": 3, "voted": 3, "ballots_cast": 3,
    ...                "ballots_stored": 3, "votes_counted": 3, "slips_printed": 3,
    ...                "releases": 4, "cancelled": 1})
    >>> r["balanced"]
    True
    """
    checks = reconciliation_checks(counts)
    return {
        "counts": dict(counts),
        # counted apart: ballots spoiled after their voter disputed the slip (not votes)
        "spoiled": int(counts.get("spoiled") or 0),
        "checks": {k: ok for k, _, _, ok in checks},
        "balanced": all(ok for *_, ok in checks),
    }
