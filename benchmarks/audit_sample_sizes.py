"""How many slips the committee pulls, and how long planning a kabupaten's audit takes.

Sample sizes at diluted margins of 1, 2, 5, 10 and 20% and risk limits of 5%
and 10%, side by side:

* **comparison, clean**: booth's ballot-comparison audit (Kaplan-Markov,
  gamma 1.03905) if not one slip differs from its record;
* **comparison, Arlo's rates**: the same with Arlo's assumed error rates
  (1-vote misstatements 1/1,000, 2-vote 1/10,000) -- what ``booth audit
  sample-size`` prints and round 1 draws;
* **BRAVO polling**: the expected sample of a ballot-polling audit (no CVRs);
* **Arlo published**: the figure Arlo's own tests or docs give, where there is
  one (``server/tests/audit_math/test_supersimple.py``: 27 at 20% and 54 at
  10% with a 10% risk limit, "from Stark's tool"; 170 at 4% and 5%, quoted in
  issue #14).

Then the time to **plan a 1,000-box kabupaten** (one contest over 1,000
boxes of 300 slips, N = 300,000, margin 1%, risk 5%): the sample size and
round 1's pull list (draws located box by box, sorted for pulling), beside
its reference measured in the same run: the bare SHA-256 counter-mode draws
(Rivest's loop alone, no locating or sorting).

    python3 benchmarks/audit_sample_sizes.py [--json]

Never fails on a time; the exit code is 0 unless the script breaks.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from booth.audit import risk, sampling

MARGINS = ("0.01", "0.02", "0.05", "0.10", "0.20")
LIMITS = ("0.05", "0.10")
ARLO_PUBLISHED = {("0.20", "0.10"): 27, ("0.10", "0.10"): 54, ("0.04", "0.05"): 170}


def table() -> list[dict[str, object]]:
    rows = []
    for limit in LIMITS:
        for margin in (*MARGINS, "0.04"):
            m, a = Decimal(margin), Decimal(limit)
            rows.append(
                {
                    "margin": margin,
                    "risk_limit": limit,
                    "comparison_clean": risk.clean_sample_size(m, a),
                    "comparison_arlo_rates": risk.comparison_sample_size(m, a),
                    "bravo_polling": risk.polling_sample_size(m, a),
                    "arlo_published": ARLO_PUBLISHED.get((margin, limit)),
                }
            )
    return rows


def plan_kabupaten(boxes: int = 1000, slips: int = 300) -> tuple[float, float, int]:
    """(seconds to plan, seconds of the bare draws, draws): sample size + the located, sorted pull list."""
    manifest = [sampling.Box(str(i + 1), slips) for i in range(boxes)]
    seed = sampling.round_seed("31415926535897932384", hashlib.sha256(b"kabupaten").hexdigest())
    start = time.perf_counter()
    size = risk.comparison_sample_size(Decimal("0.01"), Decimal("0.05"))
    picks = sampling.draw(seed, manifest, size)
    sampling.pull_list(picks, manifest)
    planned = time.perf_counter() - start
    start = time.perf_counter()
    sampling.rivest_draws(seed, 1, boxes * slips, size)
    bare = time.perf_counter() - start
    return planned, bare, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="end with one JSON object on the last line")
    args = parser.parse_args()

    rows = table()
    print("Slips to pull / struk yang ditarik (ballot-comparison vs ballot-polling)")
    print(f"{'risk':>5} {'margin':>7} {'clean':>7} {'Arlo rates':>11} {'BRAVO':>8} {'Arlo published':>15}")
    for row in rows:
        published = row["arlo_published"]
        print(
            f"{float(str(row['risk_limit'])):>5.0%} {float(str(row['margin'])):>7.0%} {row['comparison_clean']:>7} "
            f"{row['comparison_arlo_rates']:>11} {row['bravo_polling']:>8} {published if published else '-':>15}"
        )
    agree = all(r["arlo_published"] in (None, r["comparison_arlo_rates"]) for r in rows)
    print(f"Arlo's published figures reproduced: {'PASS' if agree else 'MISS'}")

    runs = [plan_kabupaten() for _ in range(5)]
    planned = sorted(r[0] for r in runs)[2]
    bare = sorted(r[1] for r in runs)[2]
    draws = runs[0][2]
    print(
        f"Plan of a 1,000-box kabupaten (N = 300,000, margin 1%, risk 5%, {draws} draws): "
        f"{planned * 1000:.1f} ms (median of 5) vs bare SHA-256 draws {bare * 1000:.1f} ms "
        f"({planned / bare:.2f}x)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "sample_sizes": rows,
                    "arlo_published_reproduced": agree,
                    "kabupaten_plan_ms": round(planned * 1000, 2),
                    "kabupaten_bare_draws_ms": round(bare * 1000, 2),
                    "kabupaten_draws": draws,
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
