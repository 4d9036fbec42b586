"""Charts drawn on the server as inline SVG, so a cheap phone shows them without JavaScript.

Each function returns SVG markup (text, already escaped) to put straight into
a page; every chart also has a ``<title>`` and a table beside it in the page
for screen readers and for anyone who prefers numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

# Colours that stay apart for the common colour-vision deficiencies and in grey print.
VERIFIED = "#1b7837"
PROVISIONAL = "#e08214"
TARGET = "#5e3c99"
GRID = "#d0d0d0"
INK = "#222"
BAR_COLOURS = ["#2166ac", "#b2182b", "#1b7837", "#e08214", "#5e3c99", "#8c510a", "#01665e", "#c51b7d"]


@dataclass(frozen=True)
class ProgressPoint:
    """The share of polling places in at one hour (0.0-1.0), verified and verified + provisional."""

    hour: int
    verified: float
    received: float


@dataclass(frozen=True)
class TargetPoint:
    """A committee target: ``share`` (0.0-1.0) of polling places in by ``hour`` (0-24)."""

    hour: int
    share: float


def _pct(v: float) -> str:
    return f"{round(v * 100)}%"


def progress_chart(
    points: list[ProgressPoint],
    targets: list[TargetPoint],
    *,
    first_hour: int = 7,
    last_hour: int = 24,
    title: str = "",
) -> str:
    """A line chart of the evening: share in by hour against the committee's targets.

    The verified line is solid, verified + provisional dashed, each target a
    diamond with its label.  Hours outside ``first_hour..last_hour`` widen the axis.
    """
    hours = [p.hour for p in points] + [t.hour for t in targets]
    lo = min([first_hour, *hours])
    hi = max([last_hour, *hours])
    if hi == lo:
        hi = lo + 1
    # small enough to read on a 360 px phone at 1:1, capped in width by the stylesheet on a laptop
    w, h, left, right, top, bottom = 420, 240, 40, 12, 14, 30
    pw, ph = w - left - right, h - top - bottom

    def x(hour: float) -> float:
        return left + (hour - lo) / (hi - lo) * pw

    def y(share: float) -> float:
        return top + (1 - max(0.0, min(1.0, share))) * ph

    out = [
        f'<svg class="chart progress" viewBox="0 0 {w} {h}" role="img" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for share in (0, 0.25, 0.5, 0.75, 1.0):
        out.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y(share) + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{_pct(share)}</text>'
        )
    step = 2 if hi - lo <= 12 else 3
    for hour in range(lo, hi + 1, step):
        out.append(
            f'<text x="{x(hour):.1f}" y="{h - bottom + 18}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{hour:02d}</text>'
        )
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="{INK}"/>')
    pts = sorted(points, key=lambda p: p.hour)
    if pts:
        recv = " ".join(f"{x(p.hour):.1f},{y(p.received):.1f}" for p in pts)
        ver = " ".join(f"{x(p.hour):.1f},{y(p.verified):.1f}" for p in pts)
        out.append(
            f'<polyline points="{recv}" fill="none" stroke="{PROVISIONAL}" stroke-width="3" stroke-dasharray="7 5"/>'
        )
        out.append(f'<polyline points="{ver}" fill="none" stroke="{VERIFIED}" stroke-width="3"/>')
        for p in pts:
            out.append(f'<circle cx="{x(p.hour):.1f}" cy="{y(p.verified):.1f}" r="3.5" fill="{VERIFIED}"/>')
    for t in targets:
        cx, cy = x(t.hour), y(t.share)
        out.append(f'<path d="M{cx:.1f},{cy - 7:.1f} l7,7 l-7,7 l-7,-7 z" fill="{TARGET}"/>')
        anchor = "end" if cx > w - 90 else "start"
        dx = -10 if anchor == "end" else 10
        out.append(
            f'<text x="{cx + dx:.1f}" y="{cy + 4:.1f}" text-anchor="{anchor}" font-size="12" '
            f'font-weight="bold" fill="{TARGET}">{_pct(t.share)} {t.hour:02d}:00</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bar_chart(rows: list[tuple[str, int]], *, title: str = "") -> str:
    """Horizontal bars, one per candidate (label, votes), each labelled with its count and share.

    The name stands above its bar, so a long name and the bars keep the whole width of a phone."""
    total = sum(v for _, v in rows) or 1
    biggest = max([v for _, v in rows] or [1]) or 1
    label_h, bar_h, gap, left, w = 18, 20, 10, 8, 360
    row_h = label_h + bar_h + gap
    h = max(1, len(rows)) * row_h + gap
    pw = w - left - 100
    out = [
        f'<svg class="chart bars" viewBox="0 0 {w} {h}" role="img" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, votes) in enumerate(rows):
        top = gap + i * row_h
        width = votes / biggest * pw
        colour = BAR_COLOURS[i % len(BAR_COLOURS)]
        short = label if len(label) <= 44 else label[:43] + "…"
        out.append(f'<text x="{left}" y="{top + 13}" font-size="14" fill="{INK}">{escape(short)}</text>')
        out.append(f'<rect x="{left}" y="{top + label_h}" width="{width:.1f}" height="{bar_h}" fill="{colour}"/>')
        out.append(
            f'<text x="{left + width + 6:.1f}" y="{top + label_h + 15}" font-size="14" font-weight="bold" '
            f'fill="{INK}">{votes} ({votes / total * 100:.1f}%)</text>'
        )
    out.append("</svg>")
    return "".join(out)


def share_bar(verified: float, provisional: float, *, title: str = "") -> str:
    """A thin stacked bar: verified then provisional share of polling places in (0.0-1.0 each)."""
    w, h = 200, 14
    vw = max(0.0, min(1.0, verified)) * w
    pw = max(0.0, min(1.0 - verified, provisional)) * w
    return (
        f'<svg class="sharebar" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f'<rect width="{w}" height="{h}" fill="#eee"/>'
        f'<rect width="{vw:.1f}" height="{h}" fill="{VERIFIED}"/>'
        f'<rect x="{vw:.1f}" width="{pw:.1f}" height="{h}" fill="{PROVISIONAL}"/></svg>'
    )
