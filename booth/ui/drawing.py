"""Drawing one frame: text that fits its box, shapes, pictures — and a record of what was drawn.

Every text a screen draws goes through :meth:`Painter.text`, which wraps and,
if needed, shrinks it to fit its box — never below the theme's legible minimum
(3.0 mm capitals on the panel, :attr:`Theme.min_px`) — and records a
:class:`TextItem`: the words, where, whether they were translated words, data
or the core's words, whether they still did not fit (``clipped``), and what
landed on the glass: the ink box of every rendered line (``ink``, before the
box's clip) and the rendered capital height (``cap_px``).  Tests and the
headless driver read :attr:`Painter.items` to know what the screen shows and
to measure it (``tests/test_ui_text_size.py``).

>>> _ = pygame.init()
>>> p = Painter(pygame.Surface((400, 200)), Theme((400, 200)))
>>> p.text(data("SITI RAHMAWATI"), pygame.Rect(0, 0, 400, 100), 30).clipped
False
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import pygame

from booth.ui.i18n import CoreWords, Data, Msg, data  # noqa: F401 - data re-exported for doctest
from booth.ui.theme import Theme, cap_height, font

MIN_TEXT_PX = 12  # only for fit() called without a theme; painters use Theme.min_px


@dataclass
class TextItem:
    """One text drawn on a frame."""

    text: str
    rect: pygame.Rect  # the box it was given
    kind: str  # "msg" (translated words), "data", "core" (core's bilingual words) or "raw" (a bug)
    msgid: str | None
    px: int
    clipped: bool  # did not fit even at the smallest size
    bold: bool = False
    ink: list[pygame.Rect] = field(default_factory=list)  # each rendered line's ink, unclipped
    cap_px: int = 0  # rendered capital height at the size drawn


def text_kind(value: str) -> str:
    if isinstance(value, Msg):
        return "msg"
    if isinstance(value, Data):
        return "data"
    if isinstance(value, CoreWords):
        return "core"
    return "raw"


_render_cache: OrderedDict = OrderedDict()
_RENDER_CACHE_SIZE = 600


def forget_rendered() -> None:
    """Drop cached renderings (after pygame was quit and started again)."""
    _render_cache.clear()
    _scaled_cache.clear()
    _fit_cache.clear()


# pygame.quit() kills the fonts the renderings were made with (booth.ui.theme forgets those)
pygame.register_quit(forget_rendered)


def render_line(line: str, px: int, bold: bool, color) -> pygame.Surface:
    """One line of text (cached: most frames redraw the same words)."""
    return _rendered(line, px, bold, color)[0]


def _rendered(line: str, px: int, bold: bool, color) -> tuple[pygame.Surface, pygame.Rect]:
    """(the line's surface, its ink box within it), cached together."""
    key = (line, px, bold, tuple(color))
    hit = _render_cache.get(key)
    if hit is None:
        surf = font(px, bold).render(line, True, color)
        hit = (surf, surf.get_bounding_rect())
        _render_cache[key] = hit
        if len(_render_cache) > _RENDER_CACHE_SIZE:
            _render_cache.popitem(last=False)
    else:
        _render_cache.move_to_end(key)
    return hit


def _pieces(word: str, f, width: int) -> list[str]:
    """A word too wide for a line (a file name, an ID) cut into pieces that fit, after a - / _ . if
    it can be."""
    out: list[str] = []
    while word:
        cut = len(word)
        while cut > 1 and f.size(word[:cut])[0] > width:
            cut -= 1
        if cut < len(word):
            soft = max(word.rfind(ch, 0, cut) for ch in "-/_.")
            if soft > 0:
                cut = soft + 1
        out.append(word[:cut])
        word = word[cut:]
    return out


def wrap(text: str, px: int, bold: bool, width: int, *, break_words: bool = False) -> list[str] | None:
    """``text`` broken into lines no wider than ``width`` at ``px``; None if a word is too wide
    (unless ``break_words``: then such a word is cut into pieces, see :func:`_pieces`)."""
    f = font(px, bold)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        if break_words:
            words = [piece for w in words for piece in (_pieces(w, f, width) if f.size(w)[0] > width else [w])]
        line = ""
        for word in words:
            trial = word if not line else f"{line} {word}"
            if f.size(trial)[0] <= width:
                line = trial
                continue
            if not line or f.size(word)[0] > width:
                return None
            lines.append(line)
            line = word
        lines.append(line)
    return lines


_fit_cache: OrderedDict = OrderedDict()
_FIT_CACHE_SIZE = 2000


def _remember_fits(fn):
    """Keep :func:`fit`'s answers: a screen asks for the same words in the same box every frame,
    and wrapping measures each word again (a third of a frame's time before)."""

    def cached(text, px, bold, box, *, max_lines=None, min_px=MIN_TEXT_PX, break_words=True):
        box = box if isinstance(box, pygame.Rect) else pygame.Rect(box)
        key = (text, int(px), bool(bold), box.width, box.height, max_lines, min_px, bool(break_words))
        hit = _fit_cache.get(key)
        if hit is None:
            hit = fn(text, px, bold, box, max_lines=max_lines, min_px=min_px, break_words=break_words)
            hit = (hit[0], tuple(hit[1]), hit[2])
            _fit_cache[key] = hit
            if len(_fit_cache) > _FIT_CACHE_SIZE:
                _fit_cache.popitem(last=False)
        else:
            _fit_cache.move_to_end(key)
        return hit[0], list(hit[1]), hit[2]

    cached.__doc__ = fn.__doc__
    cached.__wrapped__ = fn
    return cached


@_remember_fits
def fit(
    text: str,
    px: int,
    bold: bool,
    box: pygame.Rect,
    *,
    max_lines: int | None = None,
    min_px: int = MIN_TEXT_PX,
    break_words: bool = True,
) -> tuple[int, list[str], bool]:
    """The largest size <= ``px`` at which ``text`` fits ``box`` (wrapped); (px, lines, clipped)."""
    size = int(px)
    while True:
        lines = wrap(text, size, bold, box.width)
        if lines is not None:
            height = len(lines) * font(size, bold).get_linesize()
            if height <= box.height and (max_lines is None or len(lines) <= max_lines):
                return size, lines, False
        if size <= min_px:
            # at the smallest legible size a word wider than the box (a file name, an ID) is cut,
            # rather than the text being cut off at the box's edge
            cut = wrap(text, size, bold, box.width, break_words=break_words)
            lines = cut or [text]
            height = len(lines) * font(size, bold).get_linesize()
            fits = cut is not None and height <= box.height and (max_lines is None or len(lines) <= max_lines)
            return size, lines, not fits
        size = max(min_px, int(size * 0.92))


class Painter:
    """Draws on ``surface`` with ``theme`` and records every text item of the frame."""

    def __init__(self, surface: pygame.Surface, theme: Theme) -> None:
        self.surface = surface
        self.theme = theme
        self.items: list[TextItem] = []
        self.clip_offset = (0, 0)

    @property
    def colors(self):
        return self.theme.colors

    # ----------------------------------------------------------------- text
    def text(
        self,
        value: str,
        box: pygame.Rect,
        px: int | None = None,
        *,
        color=None,
        bold: bool = False,
        align: str = "center",
        valign: str = "center",
        max_lines: int | None = None,
        min_px: int | None = None,
        break_words: bool = True,
    ) -> TextItem:
        """Draw ``value`` inside ``box``, wrapped and shrunk to fit (never below the legible
        minimum: text that still does not fit is ``clipped``, for the layout to be fixed); record it."""
        box = pygame.Rect(box)
        color = self.colors.fg if color is None else color
        floor = max(self.theme.min_px, min_px or 0)
        start = max(floor, px or self.theme.body)
        size, lines, clipped = fit(
            str(value), start, bold, box, max_lines=max_lines, min_px=floor, break_words=break_words
        )
        item = TextItem(
            str(value),
            box,
            text_kind(value),
            getattr(value, "msgid", None),
            size,
            clipped,
            bold,
            [],
            cap_height(size, bold),
        )
        self.items.append(item)
        if not str(value):
            return item
        line_h = font(size, bold).get_linesize()
        total = line_h * len(lines)
        if valign == "top":
            y = box.top
        elif valign == "bottom":
            y = box.bottom - total
        else:
            y = box.top + (box.height - total) // 2
        old_clip = self.surface.get_clip()
        self.surface.set_clip(box.clip(old_clip) if old_clip else box)
        for line in lines:
            surf, ink = _rendered(line, size, bold, color)
            if align == "left":
                x = box.left
            elif align == "right":
                x = box.right - surf.get_width()
            else:
                x = box.left + (box.width - surf.get_width()) // 2
            self.surface.blit(surf, (x, y))
            if ink.width:
                item.ink.append(ink.move(x, y))
            y += line_h
        self.surface.set_clip(old_clip)
        return item

    def column(self, box: pygame.Rect, parts, *, gap: int | None = None, align: str = "left") -> int:
        """Draw texts one under the other from the top of ``box``, each as tall as it needs;
        ``parts`` are (text, px, bold, color) tuples.  Returns the y where the next would go."""
        box = pygame.Rect(box)
        gap = self.theme.gap if gap is None else gap
        y = box.top
        for text, px, bold, color in parts:
            room = pygame.Rect(box.left, y, box.width, max(0, box.bottom - y))
            floor = self.theme.min_px
            size, lines, _clipped = fit(str(text), max(px, floor), bold, room, min_px=floor)
            height = min(room.height, len(lines) * font(size, bold).get_linesize())
            self.text(
                text,
                pygame.Rect(box.left, y, box.width, height),
                size,
                bold=bold,
                color=color,
                align=align,
                valign="top",
            )
            y += height + gap
        return y

    def widget(self, w, *, pressed: bool = False, focused: bool = False) -> None:
        """Draw widget ``w`` (a dry run records it once per look: see :mod:`booth.ui.frames`)."""
        w.draw(self, pressed=pressed, focused=focused)

    # --------------------------------------------------------------- shapes
    def fill(self, color) -> None:
        self.surface.fill(color)

    def box(self, rect, color, *, radius: int | None = None, border=None, width: int | None = None) -> None:
        rect = pygame.Rect(rect)
        r = self.theme.radius if radius is None else radius
        if color is not None:
            pygame.draw.rect(self.surface, color, rect, border_radius=r)
        if border is not None:
            pygame.draw.rect(self.surface, border, rect, width or self.colors.border_width, border_radius=r)

    def focus_ring(self, rect) -> None:
        """The thick ring around the target the navigation buttons point at."""
        w = max(4, round(self.theme.mm(1.2)))
        pygame.draw.rect(
            self.surface,
            self.colors.focus,
            pygame.Rect(rect).inflate(w, w),
            w,
            border_radius=self.theme.radius + w // 2,
        )

    def line(self, start, end, color, width: int = 2) -> None:
        pygame.draw.line(self.surface, color, start, end, width)

    def circle(self, center, radius: int, color, width: int = 0) -> None:
        """A filled circle (or a ring ``width`` px wide)."""
        pygame.draw.circle(self.surface, color, center, radius, width)

    def image(self, surf: pygame.Surface, box: pygame.Rect, *, cover: bool = False) -> pygame.Rect:
        """Blit ``surf`` scaled to fit (or cover) ``box``, centred; return where it went."""
        box = pygame.Rect(box)
        sw, sh = surf.get_size()
        if sw == 0 or sh == 0 or box.width <= 0 or box.height <= 0:
            return pygame.Rect(box.topleft, (0, 0))
        scale = (max if cover else min)(box.width / sw, box.height / sh)
        size = (max(1, round(sw * scale)), max(1, round(sh * scale)))
        scaled = scaled_surface(surf, size)
        dest = scaled.get_rect(center=box.center)
        old_clip = self.surface.get_clip()
        self.surface.set_clip(box.clip(old_clip))
        self.surface.blit(scaled, dest)
        self.surface.set_clip(old_clip)
        return dest.clip(box)

    # ---------------------------------------------------------------- icons
    def icon(self, name: str, box: pygame.Rect, color) -> None:
        """Simple vector icons (no font glyphs needed): check, cross, up, down, back, speaker,
        contrast, text, globe, camera, warning."""
        box = pygame.Rect(box)
        s = min(box.width, box.height)
        c = box.center
        w = max(2, s // 10)
        x0, y0 = c[0] - s // 2, c[1] - s // 2
        P = lambda fx, fy: (x0 + fx * s, y0 + fy * s)  # noqa: E731
        if name == "check":
            pygame.draw.lines(self.surface, color, False, [P(0.15, 0.55), P(0.4, 0.8), P(0.85, 0.25)], w + 2)
        elif name == "cross":
            pygame.draw.line(self.surface, color, P(0.2, 0.2), P(0.8, 0.8), w + 2)
            pygame.draw.line(self.surface, color, P(0.8, 0.2), P(0.2, 0.8), w + 2)
        elif name == "up":
            pygame.draw.polygon(self.surface, color, [P(0.5, 0.2), P(0.85, 0.75), P(0.15, 0.75)])
        elif name == "down":
            pygame.draw.polygon(self.surface, color, [P(0.15, 0.25), P(0.85, 0.25), P(0.5, 0.8)])
        elif name == "back":
            pygame.draw.polygon(self.surface, color, [P(0.2, 0.5), P(0.75, 0.15), P(0.75, 0.85)])
        elif name == "speaker":
            pygame.draw.polygon(
                self.surface,
                color,
                [P(0.1, 0.38), P(0.3, 0.38), P(0.55, 0.15), P(0.55, 0.85), P(0.3, 0.62), P(0.1, 0.62)],
            )
            for r in (0.18, 0.32):
                pygame.draw.arc(
                    self.surface, color, pygame.Rect(P(0.55 - r, 0.5 - r), (2 * r * s, 2 * r * s)), -0.9, 0.9, w
                )
        elif name == "contrast":
            pygame.draw.circle(self.surface, color, c, int(s * 0.4), w)
            pygame.draw.circle(self.surface, color, c, int(s * 0.4), draw_top_right=True, draw_bottom_right=True)
        elif name == "text":
            f = font(int(s * 1.0), True)
            g = f.render("A", True, color)
            self.surface.blit(g, g.get_rect(center=c))
        elif name == "globe":
            pygame.draw.circle(self.surface, color, c, int(s * 0.4), w)
            pygame.draw.ellipse(self.surface, color, pygame.Rect(P(0.32, 0.1), (s * 0.36, s * 0.8)), w)
            pygame.draw.line(self.surface, color, P(0.1, 0.5), P(0.9, 0.5), w)
        elif name == "camera":
            pygame.draw.rect(self.surface, color, pygame.Rect(P(0.1, 0.3), (s * 0.8, s * 0.55)), w, border_radius=4)
            pygame.draw.circle(self.surface, color, P(0.5, 0.57), int(s * 0.17), w)
            pygame.draw.rect(self.surface, color, pygame.Rect(P(0.35, 0.18), (s * 0.3, s * 0.12)))
        elif name == "warning":
            pygame.draw.polygon(self.surface, color, [P(0.5, 0.08), P(0.95, 0.9), P(0.05, 0.9)], w)
            pygame.draw.line(self.surface, color, P(0.5, 0.35), P(0.5, 0.65), w + 1)
            pygame.draw.circle(self.surface, color, P(0.5, 0.77), max(2, w))
        elif name == "person":
            pygame.draw.circle(self.surface, color, P(0.5, 0.3), int(s * 0.17))
            pygame.draw.ellipse(self.surface, color, pygame.Rect(P(0.2, 0.52), (s * 0.6, s * 0.45)))
        else:
            raise ValueError(f"unknown icon {name!r}")


_scaled_cache: OrderedDict = OrderedDict()


def scaled_surface(surf: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
    """``surf`` smooth-scaled to ``size`` (cached per source surface and size)."""
    if surf.get_size() == tuple(size):
        return surf
    key = (id(surf), tuple(size))
    hit = _scaled_cache.get(key)
    if hit is not None and hit[0] is surf:
        _scaled_cache.move_to_end(key)
        return hit[1]
    src = surf
    if surf.get_bitsize() not in (24, 32):  # smoothscale needs 24/32-bit pixels
        src = pygame.Surface(surf.get_size(), 0, 32)
        src.blit(surf, (0, 0))
    out = pygame.transform.smoothscale(src, size)
    _scaled_cache[key] = (surf, out)
    if len(_scaled_cache) > 64:
        _scaled_cache.popitem(last=False)
    return out
