"""Does the printed QR read off a worn thermal print?  The share decoded at each degradation level.

The statements are real: a day run through ``BoothService`` with 2, 5 and 8 candidates
(tests/qr_day.py; 8 is headroom over the booth's 5), its opening statement (zero report)
and results statement (results report).  Each layout is rendered by booth's renderer,
damaged and photographed by tests/qr_degrade.py (blur, fade, skew, crease, photo, worn
at levels 1-4, from seeds), read with zxing-cpp and joined with booth.qr_parts.

    python3 benchmarks/qr_print.py            # chosen vs old layout, every day and paper (~4 min)
    python3 benchmarks/qr_print.py --grid     # plus every layout: EC L/M/Q/H x 2-6 dots x parts
    python3 benchmarks/qr_print.py --seeds 20 # more photos per cell (default 8; grid 4)
    python3 benchmarks/qr_print.py --png DIR  # also write example renders and degraded photos

A cell is "decoded / tried"; a layout that does not fit the paper is "-".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from booth.paper import qr  # noqa: E402
from booth.paper.layout import PAPER_58, PAPER_80, Page, Paper  # noqa: E402
from qr_day import qr_day  # noqa: E402
from qr_degrade import KINDS, LEVELS, degrade, read_back  # noqa: E402

#: What the renderer did before this layout: the strongest EC that fits at >= 3 dots,
#: modules capped at 5 dots (results report) or 4 (zero report), always one code.
OLD = {"results": (3, 5), "opening": (3, 4)}


def old_page(text: str, kind: str, paper: Paper) -> tuple[object, list[str], str]:
    page = Page(paper)
    page.space(16)
    with page.region("qr-1"):
        fit = page.qr(text, min_module=OLD[kind][0], max_module=OLD[kind][1])
    page.space(16)
    return page.render(), ["qr-1"], f"{fit.error}/{fit.module} dots x1 (v{fit.version})"


def plan_page(plan: qr.QrPlan, paper: Paper) -> tuple[object, list[str], str]:
    page = Page(paper)
    page.space(16)
    qr.print_plan(page, plan)
    page.space(16)
    versions = ",".join(f"v{p.version}" for p in plan.parts)
    return (page.render(), [f"qr-{i}" for i in range(1, len(plan.parts) + 1)],
            f"{plan.error}/{plan.module} dots x{len(plan.parts)} ({versions})")


def shares(image, regions: list[str], text: str, seeds: int,
           kinds=KINDS) -> dict[tuple[str, int], int]:
    """Per (kind, level): how many of ``seeds`` photos read back as exactly ``text``."""
    return {(kind, level): sum(read_back(image, regions, kind, level, seed) == text
                               for seed in range(seeds))
            for kind in kinds for level in LEVELS}


def statements(candidates: tuple[int, ...]):
    for n in candidates:
        day = qr_day(n)
        yield n, "opening", day.opening
        yield n, "results", day.statement


def header() -> str:
    return " ".join(f"{k[:6]:>6}{lv}" for k in KINDS for lv in LEVELS)


def row(counts: dict, seeds: int) -> str:
    return " ".join(f"{100 * counts[(k, lv)] // seeds:>6}%" if counts else "      -"
                    for k in KINDS for lv in LEVELS)


def grid(seeds: int) -> None:
    """Every layout for the longest statements (8 candidates), on both papers."""
    print(f"\n## Every layout: 8 candidates, {seeds} photos per cell, % read back\n")
    print(f"{'paper':5} {'text':8} {'layout':30} {header()}")
    for paper in (PAPER_58, PAPER_80):
        for _, kind, text in statements((8,)):
            for error in "LMQH":
                for module in range(2, 7):
                    for parts in (1, 2, 3):
                        plan = qr.layout(text, paper, error=error, module=module, parts=parts)
                        if plan is None:
                            continue
                        image, regions, label = plan_page(plan, paper)
                        counts = shares(image, regions, text, seeds)
                        print(f"{paper.mm:<5} {kind:8} {label:30} {row(counts, seeds)}", flush=True)
                        break  # more parts at the same EC and module only adds scans


def compare(seeds: int) -> None:
    """The chosen layout (booth.paper.qr.plan) beside the old one, for every day and paper."""
    print(f"\n## Chosen layout vs old, {seeds} photos per cell, % read back\n")
    print(f"{'paper':5} {'cand':4} {'text':8} {'which':6} {'layout':30} {header()}")
    for paper in (PAPER_58, PAPER_80):
        for n, kind, text in statements((2, 5, 8)):
            for which, (image, regions, label) in (
                    ("old", old_page(text, kind, paper)),
                    ("chosen", plan_page(qr.plan(text, paper), paper))):
                counts = shares(image, regions, text, seeds)
                print(f"{paper.mm:<5} {n:<4} {kind:8} {which:6} {label:30} {row(counts, seeds)}",
                      flush=True)


def examples(out: Path) -> None:
    """Example renders and what the phone sees, for the docs (docs/images/qr/)."""
    out.mkdir(parents=True, exist_ok=True)
    text = qr_day(8).statement
    for paper in (PAPER_58, PAPER_80):
        image, regions, _ = plan_page(qr.plan(text, paper), paper)
        image.save(out / f"chosen-results-8-calon-{paper.mm}mm.png")
    old, old_regions, _ = old_page(text, "results", PAPER_58)
    new, new_regions, _ = plan_page(qr.plan(text, PAPER_58), PAPER_58)
    for name, image, regions in (("old", old, old_regions), ("chosen", new, new_regions)):
        top, bottom = image.info["regions"][regions[0]]
        crop = image.crop((0, top, image.width, bottom))
        for kind, level in (("blur", 3), ("fade", 3), ("crease", 3), ("photo", 3), ("worn", 2)):
            degrade(crop, kind, level, 1).save(out / f"{name}-58mm-{kind}-{level}.jpg", quality=85)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", action="store_true", help="also measure every layout")
    parser.add_argument("--seeds", type=int, default=None, help="photos per cell")
    parser.add_argument("--png", type=Path, default=None, help="write example images here")
    args = parser.parse_args()
    started = time.monotonic()
    if args.png:
        examples(args.png)
    if args.grid:
        grid(args.seeds or 4)
    compare(args.seeds or 8)
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
