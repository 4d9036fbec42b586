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

from booth.paper import qr  # noqa: E402  (after the path: tests/ holds the day and the model)
from booth.paper.layout import PAPER_58, PAPER_80, Page, Paper  # noqa: E402
from qr_day import qr_day  # noqa: E402
from qr_degrade import DOCUMENTED, FRAMES, KINDS, LEVELS, read_back  # noqa: E402

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
    return (
        page.render(),
        [f"qr-{i}" for i in range(1, len(plan.parts) + 1)],
        f"{plan.error}/{plan.module} dots x{len(plan.parts)} ({versions})",
    )


def shares(
    image, regions: list[str], text: str, seeds: int, kinds=KINDS, frames: int = 1
) -> dict[tuple[str, int], int]:
    """Per (kind, level): how many of ``seeds`` prints read back as exactly ``text``."""
    return {
        (kind, level): sum(read_back(image, regions, kind, level, seed, frames) == text for seed in range(seeds))
        for kind in kinds
        for level in LEVELS
    }


def statements(candidates: tuple[int, ...]):
    for n in candidates:
        day = qr_day(n)
        yield n, "opening", day.opening
        yield n, "results", day.statement


def header(kinds=KINDS) -> str:
    return " ".join(f"{k[:6]:>6}{lv}" for k in kinds for lv in LEVELS)


def row(counts: dict, seeds: int, kinds=KINDS) -> str:
    return " ".join(f"{100 * counts[(k, lv)] // seeds:>6}%" if counts else "      -" for k in kinds for lv in LEVELS)


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


def compare(seeds: int, kinds=KINDS) -> None:
    """The chosen layout (booth.paper.qr.plan) beside the old one, for every day and paper."""
    print(f"\n## Chosen layout vs old, {seeds} photos per cell, % read back\n")
    print(f"{'paper':5} {'cand':4} {'text':8} {'which':6} {'layout':30} {header(kinds)}")
    for paper in (PAPER_58, PAPER_80):
        for n, kind, text in statements((2, 5, 8)):
            for which, (image, regions, label) in (
                ("old", old_page(text, kind, paper)),
                ("chosen", plan_page(qr.plan(text, paper), paper)),
            ):
                counts = shares(image, regions, text, seeds, kinds)
                print(f"{paper.mm:<5} {n:<4} {kind:8} {which:6} {label:30} {row(counts, seeds, kinds)}", flush=True)


def documented(seeds: int) -> None:
    """The chosen layout at the documented levels, as the tests read it (FRAMES frames a part)."""
    levels = " ".join(f"{k}-{lv}" for k, lv in sorted(DOCUMENTED.items()))
    print(f"\n## Chosen layout at the documented levels ({levels}), {FRAMES} frames a part, {seeds} prints each\n")
    print(
        f"{'paper':5} {'cand':4} {'text':8} {'layout':30} "
        + " ".join(f"{k + '-' + str(lv):>9}" for k, lv in sorted(DOCUMENTED.items()))
    )
    for paper in (PAPER_58, PAPER_80):
        for n, kind, text in statements((2, 5, 8)):
            image, regions, label = plan_page(qr.plan(text, paper), paper)
            cells = []
            for k, lv in sorted(DOCUMENTED.items()):
                read = sum(read_back(image, regions, k, lv, 1000 + s, FRAMES) == text for s in range(seeds))
                cells.append(f"{read:>4}/{seeds:<4}")
            print(f"{paper.mm:<5} {n:<4} {kind:8} {label:30} " + " ".join(cells), flush=True)


def examples(out: Path) -> None:
    """Example renders and what the phone sees, for the docs (docs/images/qr/).

    ``old-vs-chosen-58mm.png``: the 8-candidate results QR, the old dense code on the
    left, the first part of the chosen layout on the right, as the phone sees each
    (one row per damage, the same seed for both), each marked with what zxing read.
    """
    import random

    from PIL import Image, ImageDraw

    from booth.paper.layout import SMALL_BOLD
    from qr_degrade import capture, damage, decode

    out.mkdir(parents=True, exist_ok=True)
    text = qr_day(8).statement
    for paper in (PAPER_58, PAPER_80):
        image, regions, _ = plan_page(qr.plan(text, paper), paper)
        image.save(out / f"chosen-results-8-calon-{paper.mm}mm.png")
    old, old_regions, _ = old_page(text, "results", PAPER_58)
    new, new_regions, _ = plan_page(qr.plan(text, PAPER_58), PAPER_58)
    rows = (("blur", 3), ("fade", 2), ("crease", 3), ("photo", 3), ("photo", 4), ("worn", 2))
    cell, label_h = 260, 50
    sheet = Image.new("L", (2 * cell + 30, len(rows) * (cell + label_h) + 10), 255)
    draw = ImageDraw.Draw(sheet)
    font = SMALL_BOLD.load()
    for r, (kind, level) in enumerate(rows):
        for c, (image, regions) in enumerate(((old, old_regions), (new, new_regions))):
            rng = random.Random(f"{kind}-{level}-1")
            top, bottom = image.info["regions"][regions[0]]
            seen = capture(damage(image.crop((0, top, image.width, bottom)), kind, level, rng), kind, level, rng)
            read = "read" if decode(seen) else "NOT READ"
            seen.thumbnail((cell, cell))
            x, y = 10 + c * (cell + 10), 5 + r * (cell + label_h)
            sheet.paste(seen, (x, y + label_h))
            which = "old H/3" if c == 0 else "chosen Q/4, part 1/2"
            draw.text((x, y + 2), f"{kind}-{level}", font=font, fill=0)
            draw.text((x, y + 24), f"{which}: {read}", font=font, fill=0)
    # 32 greys are plenty to see the damage, and keep the file small.
    sheet.quantize(32).save(out / "old-vs-chosen-58mm.png", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", action="store_true", help="also measure every layout")
    parser.add_argument("--seeds", type=int, default=None, help="photos per cell")
    parser.add_argument("--png", type=Path, default=None, help="write example images here")
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="the damage to measure, e.g. fade,crease (default: all)"
    )
    parser.add_argument(
        "--documented",
        type=int,
        default=0,
        metavar="N",
        help="also read the chosen layout N times at each documented level",
    )
    args = parser.parse_args()
    started = time.monotonic()
    if args.png:
        examples(args.png)
    if args.grid:
        grid(args.seeds or 4)
    kinds = tuple(k for k in args.kinds.split(",") if k)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown damage {unknown}: choose from {', '.join(KINDS)}")
    compare(args.seeds or 8, kinds)
    if args.documented:
        documented(args.documented)
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
