"""``booth audit ...``: the risk-limiting audit of the slips, one command per step of the afternoon."""

from __future__ import annotations

import sys
from decimal import Decimal


def _cmd_sample_size(args) -> int:
    from booth.audit import risk

    try:
        margin = risk.parse_fraction(args.margin, "margin")
        limit = risk.parse_fraction(args.risk_limit, "batas risiko / risk limit")
    except risk.BadFraction as exc:
        print(f"booth audit: {exc}", file=sys.stderr)
        return 2
    if args.kind == "polling":
        n = risk.polling_sample_size(margin, limit)
        print(
            f"Audit polling (BRAVO), margin {_pct(margin)}, batas risiko / risk limit {_pct(limit)}: "
            "perkiraan struk yang diambil / expected slips to draw"
        )
    else:
        n = risk.comparison_sample_size(margin, limit)
        clean = risk.clean_sample_size(margin, limit)
        print(
            f"Audit perbandingan / comparison audit (Kaplan-Markov, gamma {risk.GAMMA}), margin {_pct(margin)}, "
            f"batas risiko / risk limit {_pct(limit)}"
        )
        print(f"  tanpa selisih / if no slip differs: {clean}")
        print("  dengan asumsi Arlo (selisih 1 suara 1/1000, 2 suara 1/10000) / with Arlo's error assumptions:")
    print(n)
    return 0


def _pct(value: Decimal) -> str:
    return f"{(value * 100).normalize():f}%"


def register(sub) -> None:
    """Add ``audit ...`` to the top-level subcommands."""
    audit = sub.add_parser("audit", help="audit struk / risk-limiting audit of the paper slips")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = asub.add_parser("sample-size", help="expected slips to draw for a margin and a risk limit")
    p.add_argument("--margin", required=True, help="diluted margin: 0.05 or 5%%")
    p.add_argument("--risk-limit", required=True, help="risk limit: 0.05 or 5%%")
    p.add_argument("--kind", choices=("comparison", "polling"), default="comparison")
    p.set_defaults(func=_cmd_sample_size)
