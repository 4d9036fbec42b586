"""The station's results at the desk: each booth's closing, reconciled with the desk's releases.

Each booth, once counted, hands the desk its signed results statement (``booth.results``, the
text its results report's QR carries).  The desk checks each against the booth key it paired,
and puts beside it what the desk itself knows of that booth: releases issued, ended in a cast,
cancelled, still out, and the spoils the booth reported.  Per booth it must hold that

* releases issued = releases cast + releases cancelled (none still out), and
* the booth's valid votes (its statement's total) = the releases that ended in a cast there, and
* no release ended in a cast after the desk had cancelled it (the voter may have voted twice:
  the committee decides).

**Small counts expose voters**: a booth that served few voters has its tally shown only inside
the station's total.  :func:`merged_booths` decides which, so that no hidden booth's tally can be
had by subtracting the shown ones from the total: at least two booths are merged, and together
they hold at least :data:`SMALL_BOOTH` votes (or everything is merged).

>>> merged_booths({1: 40, 2: 3, 3: 35})
[2, 3]
>>> merged_booths({1: 40, 2: 30, 3: 35})
[]
>>> merged_booths({1: 4, 2: 3})
[1, 2]
"""

from __future__ import annotations

from collections import Counter

#: A booth with fewer valid votes than this is shown only in the station's total.
SMALL_BOOTH = 10


def merged_booths(totals: dict[int, int], small: int = SMALL_BOOTH) -> list[int]:
    """The booths whose tallies appear only in the station's total (sorted by number)."""
    hidden = [n for n, total in totals.items() if total < small]
    if not hidden:
        return []
    shown = sorted((n for n in totals if n not in hidden), key=lambda n: (totals[n], n))
    while shown and (len(hidden) < 2 or sum(totals[n] for n in hidden) < small):
        hidden.append(shown.pop(0))
    return sorted(hidden)


def station_summary(booths: dict[int, dict], small: int = SMALL_BOOTH) -> dict:
    """The station's results from each booth's ``{"tally", "issued", "cast", "cancelled", "out", "spoils"}``.

    Returns the total tally, each booth's row (its tally, or None when merged into the total),
    each booth's reconciliation and whether the station balances.
    """
    total: Counter[str] = Counter()
    for row in booths.values():
        total.update(row["tally"])
    merged = merged_booths({n: sum(row["tally"].values()) for n, row in booths.items()}, small)
    rows = {}
    for n, row in sorted(booths.items()):
        votes = sum(row["tally"].values())
        checks = {
            "releases_accounted": row["issued"] == row["cast"] + row["cancelled"] and row["out"] == 0,
            "votes_equal_releases_cast": votes == row["cast"],
            # a cast the desk had given up on: that voter may have been released twice
            "no_cast_after_cancel": row.get("after_cancel", 0) == 0,
        }
        rows[n] = {
            "tally": None if n in merged else dict(row["tally"]),
            "in_total_only": n in merged,
            "votes": None if n in merged else votes,
            "releases": {k: row.get(k, 0) for k in ("issued", "cast", "cancelled", "out", "spoils", "after_cancel")},
            "checks": checks,
            "balanced": all(checks.values()),
        }
    return {
        "tally": dict(sorted(total.items())),
        "votes": sum(total.values()),
        "booths": rows,
        "merged": merged,
        "balanced": all(r["balanced"] for r in rows.values()),
    }
