"""Frames drawn only where they changed: a dry run of each screen, compared with what the glass shows.

A screen's ``draw()`` is first run against a :class:`RecordingPainter`: it lays
out the texts exactly as the real painter does (so the frame's text record is
the same) but puts no pixels on the panel; it notes every drawing operation with
the rectangle it covers.  :func:`changed_rects` compares that list with the one
of the frame on the glass; only where the operations differ are the recorded
operations that touch those rectangles drawn again (:func:`replay`, the surface
clipped to them) and the display updated; a region drawn before exactly so is
one blit from the :class:`RegionCache`.  A screen that did not change costs one
dry run and no pixels, no flip; a finger on a button redraws the button.

The dry run itself is cheap where widgets say what their look depends on
(``Widget.look_key``: candidate cards, buttons, toggles): each look is recorded
once (:class:`Looks`) and copied on later dry runs.  Once a new screen is on the
glass the kiosk draws the pressed look of each candidate card and of each key of
the keyboard and the PIN pad ahead into the region cache
(``KioskApp.ready_pressed``), under the very keys the finger-down step will
compute: the first finger on a card or a key is one blit of it and an update of
its rectangle, with nothing drawn at all.

Where a screen can also say what its own drawing depends on (``Screen.paint_key``:
the ballot, the check-in screens and most companion screens) and every widget on it
has a look key, the whole dry run is kept (:class:`FrameMemo`) under the screen's
frame key (``Screen.frame_key``: that key and each widget's look, pressed and
focused): a step on which the screen looks as on an earlier step costs its frame
key, not a dry run.  The pressed frames drawn ahead are kept so too, so the first
finger on a card or a key runs no dry run either.  In the tests
(``BOOTH_UI_CHECK_FRAMES=1``) every kept frame is compared with a fresh dry run.

Every screen gets this without declaring what it animates: a countdown redraws
its number, a camera preview its picture (each preview is a new surface), a
status line its text.  The one rule for screen code: draw through the
:class:`~booth.ui.drawing.Painter` (``p.text``, ``p.box``, ``p.image``,
``p.circle`` ...), never with ``pygame.draw`` or ``blit`` on ``p.surface``: such
pixels are not in the record, so they are not drawn again (a test checks the
screens' code for it).

>>> import pygame; _ = pygame.init()
>>> from booth.ui.theme import Theme
>>> rec = RecordingPainter(Theme((400, 200)), (400, 200))
>>> rec.box(pygame.Rect(10, 10, 50, 20), (255, 0, 0))
>>> tuple(rec.ops[0].rect)
(10, 10, 50, 20)
"""

from __future__ import annotations

import difflib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pygame

from booth.ui.drawing import Painter
from booth.ui.i18n import language
from booth.ui.theme import Theme


@dataclass(frozen=True)
class Op:
    """One drawing operation of a frame: what (``key``, compared between frames) and where (``rect``)."""

    key: tuple
    rect: pygame.Rect
    keep: object = None  # the picture an image op shows, kept alive so its id() stays its own
    call: tuple = ()  # (Painter method, args, keyword args): to draw it again (see replay())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Op) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


_texts: dict[tuple, object] = {}  # a text call's arguments -> the real painter's record of it


def _copy_item(item):
    """A text record's copy with its own box (``dataclasses.replace`` costs 15 us a text, here 1)."""
    new = object.__new__(type(item))
    new.__dict__.update(item.__dict__)
    new.rect = pygame.Rect(item.rect)
    return new


class _Recent:
    """At most ``most`` entries by key; the one asked for least recently goes first."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self.hits = 0

    def get(self, key: tuple) -> Any:
        hit = self._kept.get(key)
        if hit is not None:
            self._kept.move_to_end(key)
            self.hits += 1
        return hit

    def _keep(self, key: tuple, value: Any) -> None:
        self._kept[key] = value
        if len(self._kept) > self.most:
            self._kept.popitem(last=False)

    def clear(self) -> None:
        self._kept.clear()


class Looks(_Recent):
    """The recorded drawing of widgets that say what their look depends on (``Widget.look_key``),
    by that key, pressed or not, focused or not, theme and language: a dry run records such a
    widget once per look (a list copy afterwards), not again on every step.  At most ``most``."""

    def __init__(self, most: int = 512) -> None:
        super().__init__(most)

    def put(self, key: tuple, ops: list[Op], items: list) -> None:
        self._keep(key, (ops, items))


def _color(c) -> tuple | None:
    return None if c is None else tuple(pygame.Color(c))


class RecordingPainter(Painter):
    """A painter that records what a frame would draw instead of drawing it.

    Texts go through :meth:`Painter.text` on a 1x1 scratch surface, so the text
    record (:attr:`items`: sizes, boxes, clipping) is the real painter's.
    """

    def __init__(self, theme: Theme, size: tuple[int, int], looks: Looks | None = None) -> None:
        super().__init__(pygame.Surface((1, 1)), theme)
        self.size = (int(size[0]), int(size[1]))
        self.ops: list[Op] = []
        self.looks = looks
        #: id(widget) -> (its first op, end, the widget, its first text item, end)
        self.segments: dict[int, tuple[int, int, object, int, int]] = {}
        #: when this record is kept whole (:class:`FrameMemo`): what it was found to differ in
        #: from earlier records, and the region cache's key of each region, worked out once
        self.rects_from: dict[int, tuple[list[Op], list[pygame.Rect]]] = {}
        self.region_keys: dict[tuple, tuple[tuple, list]] = {}

    def widget(self, w, *, pressed: bool = False, focused: bool = False) -> None:
        """Record ``w``'s drawing, from :class:`Looks` when it was recorded so before."""
        ops = self.ops
        start, first_text = len(ops), len(self.items)
        looks = self.looks
        look = None if looks is None else w.look_key()
        if looks is None or look is None:
            w.draw(self, pressed=pressed, focused=focused)
        else:
            key = (look, pressed, focused, id(self.theme), language())
            hit = looks.get(key)
            if hit is None:
                w.draw(self, pressed=pressed, focused=focused)
                looks.put(key, ops[start:], [_copy_item(i) for i in self.items[first_text:]])
            else:
                ops.extend(hit[0])
                self.items.extend(map(_copy_item, hit[1]))
        self.segments[id(w)] = (start, len(ops), w, first_text, len(self.items))

    def _look_of(self, w, pressed: bool) -> tuple[list[Op], list]:
        """The operations and texts ``w`` records with the finger on it (``pressed``) or not (no
        focus ring)."""
        rec = RecordingPainter(self.theme, self.size, self.looks)
        rec.widget(w, pressed=pressed)
        return rec.ops, rec.items

    def with_pressed(self, w) -> RecordingPainter:
        """This frame's record with the finger on ``w`` (a widget of it, drawn without its focus
        ring): the record a dry run of the screen makes once the finger is down on it."""
        start, end, _w, first_text, end_text = self.segments[id(w)]
        ops, items = self._look_of(w, True)
        rec = RecordingPainter(self.theme, self.size, self.looks)
        rec.ops = self.ops[:start] + ops + self.ops[end:]
        rec.items = self.items[:first_text] + items + self.items[end_text:]
        shift, shift_text = len(ops) - (end - start), len(items) - (end_text - first_text)
        for wid, (a, b, other, c, d) in self.segments.items():
            if wid == id(w):
                rec.segments[wid] = (start, start + len(ops), other, first_text, first_text + len(items))
            elif a >= end:
                rec.segments[wid] = (a + shift, b + shift, other, c + shift_text, d + shift_text)
            else:
                rec.segments[wid] = (a, b, other, c, d)
        return rec

    def region_key(self, rect: pygame.Rect) -> tuple[tuple, list]:
        """:meth:`RegionCache.key` of ``rect`` under this record's operations (once per region)."""
        where = tuple(rect)
        hit = self.region_keys.get(where)
        if hit is None:
            hit = self.region_keys[where] = RegionCache.key(rect, self.ops)
        return hit

    def _note(self, key: tuple, rect, keep=None, *, call: tuple = ()) -> None:
        self.ops.append(Op(key, pygame.Rect(rect), keep, call))

    def text(self, value, box, px=None, *, color=None, bold=False, align="center", valign="center", **kw):
        # The same words in the same box give the same record: ask the real painter once.
        box = pygame.Rect(box)
        color = self.colors.fg if color is None else color
        call = (
            type(value),
            str(value),
            getattr(value, "msgid", None),
            tuple(box),
            px or self.theme.body,
            _color(color),
            bool(bold),
            align,
            valign,
            tuple(sorted(kw.items())),
        )
        item = _texts.get(call)
        if item is None:
            item = super().text(value, box, px, color=color, bold=bold, align=align, valign=valign, **kw)
            _texts[call] = _copy_item(item)
            if len(_texts) > 2000:
                _texts.pop(next(iter(_texts)))
        else:
            item = _copy_item(item)
            self.items.append(item)
        redo = (Painter.text, (value, box, px), dict(color=color, bold=bold, align=align, valign=valign, **kw))
        self._note(("text", *call[1:]), item.rect, call=redo)
        return item

    def fill(self, color) -> None:
        self._note(("fill", _color(color)), (0, 0, *self.size), call=(Painter.fill, (color,), {}))

    def box(self, rect, color, *, radius=None, border=None, width=None) -> None:
        rect = pygame.Rect(rect)
        redo = (Painter.box, (rect, color), {"radius": radius, "border": border, "width": width})
        self._note(("box", tuple(rect), _color(color), radius, _color(border), width), rect, call=redo)

    def focus_ring(self, rect) -> None:
        rect = pygame.Rect(rect)
        w = max(4, round(self.theme.mm(1.2)))
        self._note(("focus", tuple(rect)), rect.inflate(2 * w, 2 * w), call=(Painter.focus_ring, (rect,), {}))

    def line(self, start, end, color, width: int = 2) -> None:
        x0, y0 = start
        x1, y1 = end
        rect = pygame.Rect(min(x0, x1), min(y0, y1), abs(x1 - x0) + 1, abs(y1 - y0) + 1)
        key = ("line", tuple(start), tuple(end), _color(color), width)
        self._note(key, rect.inflate(width * 2, width * 2), call=(Painter.line, (start, end, color, width), {}))

    def circle(self, center, radius: int, color, width: int = 0) -> None:
        c = (int(center[0]), int(center[1]))
        r = int(radius)
        self._note(
            ("circle", c, r, _color(color), width),
            (c[0] - r - 1, c[1] - r - 1, 2 * r + 3, 2 * r + 3),
            call=(Painter.circle, (c, r, color, width), {}),
        )

    def image(self, surf: pygame.Surface, box, *, cover: bool = False) -> pygame.Rect:
        box = pygame.Rect(box)
        w, h = surf.get_size()
        # a small stand-in made afresh each frame (a blank for a missing photo) is known by its pixels
        what = pygame.image.tobytes(surf, "RGBA") if w * h <= 4096 else id(surf)
        redo = (Painter.image, (surf, box), {"cover": cover})
        self._note(("image", what, (w, h), tuple(box), cover), box, keep=surf, call=redo)
        return box

    def icon(self, name: str, box, color) -> None:
        box = pygame.Rect(box)
        grow = max(4, min(box.size) // 2)  # strokes and the "A" glyph reach a little past the box
        self._note(
            ("icon", name, tuple(box), _color(color)),
            box.inflate(grow, grow),
            call=(Painter.icon, (name, box, color), {}),
        )


class FrameMemo(_Recent):
    """Whole dry runs, by what the screen says its frame depends on (``Screen.frame_key``).

    A step on which the screen and each of its widgets look as they did on an earlier step
    (the ballot after "No, go back", a card pressed, the waiting screen between voters, a
    step on which nothing changed) takes that step's record instead of running the screen's
    drawing again: its frame key, a few tuples, replaces the dry run.  Screens that cannot
    say what their drawing depends on give no key and are drawn as before.  The kiosk
    checks every record taken from here against a fresh dry run when
    ``BOOTH_UI_CHECK_FRAMES=1`` (the tests set it): a key that leaves something out fails
    there, not on the glass.  At most ``most`` records (oldest out).
    """

    def __init__(self, most: int = 160) -> None:
        super().__init__(most)

    def put(self, key: tuple, rec: RecordingPainter) -> None:
        self._keep(key, rec)


def rects_between(old: list[Op] | None, new: RecordingPainter, size: tuple[int, int]) -> list[pygame.Rect]:
    """:func:`changed_rects` from the frame ``old`` to the record ``new``, worked out once per
    pair of records (``new`` keeps it; the records are kept whole by :class:`FrameMemo`)."""
    if old is None:
        return [pygame.Rect(0, 0, *size)]
    if old is new.ops:
        return []
    hit = new.rects_from.get(id(old))
    if hit is not None and hit[0] is old:
        return [r.copy() for r in hit[1]]
    rects = changed_rects(old, new.ops, size)
    if len(new.rects_from) >= 16:
        new.rects_from.clear()
    new.rects_from[id(old)] = (old, [r.copy() for r in rects])
    return rects


def same_record(a: RecordingPainter, b: RecordingPainter) -> str | None:
    """None when two records draw the same frame (operations and texts), else what differs."""
    if [op.key for op in a.ops] != [op.key for op in b.ops]:
        old = {op.key for op in a.ops}
        new = [op.key for op in b.ops if op.key not in old]
        return f"the drawing differs: {new[:3]!r}"
    texts_a = [(i.text, tuple(i.rect)) for i in a.items]
    texts_b = [(i.text, tuple(i.rect)) for i in b.items]
    if texts_a != texts_b:
        return f"the texts differ: {[t for t in texts_b if t not in texts_a][:3]!r}"
    return None


def replay(ops: list[Op], painter: Painter, rect: pygame.Rect) -> None:
    """Draw again, on ``painter``'s surface clipped to ``rect``, the operations that touch ``rect``
    (in their order): the same pixels there as the whole screen's drawing, for a fraction of it."""
    surface = painter.surface
    surface.set_clip(rect)
    try:
        for op in ops:
            if op.call and op.rect.colliderect(rect):
                fn, args, kwargs = op.call
                fn(painter, *args, **kwargs)
    finally:
        surface.set_clip(None)


def changed_rects(old: list[Op] | None, new: list[Op], size: tuple[int, int], *, most: int = 4) -> list[pygame.Rect]:
    """The regions where frame ``new`` differs from frame ``old`` (empty: nothing to draw).

    No ``old`` frame (a new screen, a new layout) is the whole screen.  At most
    ``most`` rectangles; more are joined into one.
    """
    full = pygame.Rect(0, 0, *size)
    if old is None:
        return [full]
    if old == new:
        return []
    rects: list[pygame.Rect] = []
    if len(old) == len(new):  # the usual change (a pressed look, a number): the same ops, some differ
        for a, b in zip(old, new, strict=True):
            if a.key != b.key:
                rects.append(a.rect.clip(full))
                rects.append(b.rect.clip(full))
    else:
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i0, i1, j0, j1 in matcher.get_opcodes():
            if tag == "equal":
                continue
            for op in old[i0:i1] + new[j0:j1]:
                rects.append(op.rect.clip(full))
    rects = _merge([r for r in rects if r.width > 0 and r.height > 0])
    if not rects:
        return []
    if len(rects) > most:
        rects = [rects[0].unionall(rects[1:])]
    return rects


def _merge(rects: list[pygame.Rect]) -> list[pygame.Rect]:
    """Rectangles that overlap (or touch) joined, so no region is drawn twice."""
    out: list[pygame.Rect] = []
    for r in rects:
        r = r.copy()
        merged = True
        while merged:
            merged = False
            for i, o in enumerate(out):
                if r.inflate(2, 2).colliderect(o):
                    r.union_ip(out.pop(i))
                    merged = True
                    break
        out.append(r)
    return out


class RegionCache:
    """Regions of the glass already drawn, by what was drawn there: drawn again by one blit.

    The key is the region and the drawing operations that touch it, in order; a
    region's pixels depend on nothing else (each operation draws inside its
    rectangle).  Every voter sees the same ballot, a card returns to its unpressed
    look, the waiting screen comes back after each voter: one blit each time, not
    a drawing.  Entries keep the pictures they showed, so an ``id()`` in a key can
    never be a new picture's.  At most ``budget_px`` pixels are kept (oldest out).
    """

    def __init__(self, budget_px: int) -> None:
        self.budget_px = int(budget_px)
        self._entries: OrderedDict[tuple, tuple[pygame.Surface, list]] = OrderedDict()
        self._pixels = 0
        self.hits = 0
        self.misses = 0
        self.cleared = 0  # how many times emptied (what was drawn ahead is gone with it)
        self.base: tuple[list[Op], pygame.Surface] | None = None  # the last whole screen drawn

    def whole(self, ops: list[Op], pixels: pygame.Surface) -> None:
        """``pixels`` show the whole screen as ``ops`` draw it: any part of it may be taken again
        (a card let go looks as it did on the whole screen)."""
        self.base = (ops, pixels)

    @staticmethod
    def key(rect: pygame.Rect, ops: list[Op]) -> tuple[tuple, list]:
        """(the cache key of ``rect`` under ``ops``, the pictures those ops show)."""
        touching = [op for op in ops if op.rect.colliderect(rect)]
        keep = [op.keep for op in touching if op.keep is not None]
        return (tuple(rect), tuple(op.key for op in touching)), keep

    def get(self, key: tuple, rect: pygame.Rect | None = None) -> pygame.Surface | None:
        """The pixels drawn before for ``key`` (of region ``rect``), or None."""
        hit = self._entries.get(key)
        if hit is None and rect is not None and self.base is not None:
            ops, pixels = self.base
            full = pygame.Rect((0, 0), pixels.get_size())
            if full.contains(rect) and self.key(rect, ops)[0] == key:
                self.hits += 1
                return pixels.subsurface(rect)
        if hit is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return hit[0]

    def has(self, key: tuple) -> bool:
        """Kept already (not counted as a hit or a miss)."""
        return key in self._entries

    def put(self, key: tuple, pixels: pygame.Surface, keep: list) -> None:
        size = pixels.get_width() * pixels.get_height()
        if size > self.budget_px or key in self._entries:
            return
        self._entries[key] = (pixels, keep)
        self._pixels += size
        while self._pixels > self.budget_px:
            _key, (old, _keep) = self._entries.popitem(last=False)
            self._pixels -= old.get_width() * old.get_height()

    def clear(self) -> None:
        self._entries.clear()
        self._pixels = 0
        self.base = None
        self.cleared += 1
