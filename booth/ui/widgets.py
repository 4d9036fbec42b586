"""The kiosk's building blocks: buttons, candidate cards, keypad, keyboard, lists, bars, charts.

A widget has a ``rect`` and draws itself with a :class:`~booth.ui.drawing.Painter`;
a *target* (``tappable``) also has ``activate()``, called when a touch starts
and ends on it (the rule lives in :class:`booth.ui.screen.Screen`).  Composite
widgets (keypad, keyboard, list) are made of small targets and return them
from ``children()``.  Every target is at least ``theme.target`` pixels (12 mm)
in both directions where the layout allows; ``tests/test_ui_*.py`` check it.

>>> b = Button(_("Yes, choose"), on_tap=lambda: None, kind="primary")
>>> b.tappable, b.label
(True, 'Ya, Pilih')
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pygame

from booth.ui import layout as L
from booth.ui.drawing import Painter, fit
from booth.ui.i18n import _, data, language
from booth.ui.theme import font


class Widget:
    """Something drawn in ``rect``; targets set ``tappable``/``focusable``."""

    tappable = False
    focusable = False
    ready_pressed = False  # the kiosk draws its pressed look ahead (KioskApp.ready_pressed)

    def __setattr__(self, name: str, value: object) -> None:
        # whatever is set may change how the widget looks: a look key kept for it is forgotten
        self.__dict__.pop("_look", None)
        object.__setattr__(self, name, value)

    def __init__(self, rect=None) -> None:
        self.rect = pygame.Rect(rect or (0, 0, 0, 0))
        self.enabled = True
        self.visible = True
        self.speech: str | None = None  # voice clip key read out when focused

    @property
    def label(self) -> str:
        return ""

    def children(self) -> list[Widget]:
        return []

    def draw(self, p: Painter, *, pressed: bool = False, focused: bool = False) -> None:
        pass

    def look_key(self) -> tuple | None:
        """Everything :meth:`draw` depends on besides ``pressed``, ``focused``, the theme and the
        language, or None (the default: drawn again on every dry run).  A widget that gives a key
        is recorded once per look (:class:`booth.ui.frames.Looks`): a key that leaves something
        out would keep an old look on the glass."""
        if type(self).draw is Widget.draw:  # draws nothing itself (a keyboard: its keys draw)
            return ("nothing",)
        return None

    def activate(self) -> None:
        pass


# ----------------------------------------------------------------- text
class Label(Widget):
    """Words or data in a box (wrapped and shrunk to fit)."""

    def __init__(
        self,
        text,
        rect=None,
        *,
        size: str = "body",
        bold: bool = False,
        align: str = "center",
        valign: str = "center",
        color: str = "fg",
        max_lines: int | None = None,
    ) -> None:
        super().__init__(rect)
        self.text = text
        self.size, self.bold, self.align, self.valign = size, bold, align, valign
        self.color = color
        self.max_lines = max_lines

    @staticmethod
    def height_for(theme, text, width: int, *, size: str = "body", bold: bool = False, least: int = 0) -> int:
        """The height ``text`` needs in a box ``width`` wide at the theme's ``size`` (wrapped, never
        shrunk), and at least ``least``: layouts size their heads with it."""
        from booth.ui.drawing import wrap

        px = getattr(theme, size)
        lines = wrap(str(text), px, bold, max(1, width), break_words=True) or [str(text)]
        return max(least, len(lines) * font(px, bold).get_linesize() + 2)

    @property
    def label(self) -> str:
        return str(self.text)

    def look_key(self):
        if type(self) is not Label:
            return None
        text = self.text() if callable(self.text) else self.text
        return (
            "label",
            tuple(self.rect),
            type(text),
            str(text),
            self.size,
            self.bold,
            self.align,
            self.valign,
            self.color,
            self.max_lines,
        )

    def draw(self, p, *, pressed=False, focused=False):
        text = self.text() if callable(self.text) else self.text
        p.text(
            text,
            self.rect,
            getattr(p.theme, self.size),
            bold=self.bold,
            align=self.align,
            valign=self.valign,
            color=getattr(p.colors, self.color),
            max_lines=self.max_lines,
        )


# --------------------------------------------------------------- buttons
class Button(Widget):
    """A big labelled button.  ``kind``: normal, primary (go on), danger, quiet (no fill)."""

    tappable = True
    focusable = True

    def __init__(
        self,
        label,
        on_tap: Callable[[], None] | None = None,
        rect=None,
        *,
        kind: str = "normal",
        icon: str | None = None,
        enabled: bool = True,
        sublabel=None,
        speech: str | None = None,
        bold: bool = True,
    ) -> None:
        super().__init__(rect)
        self.text = label
        self.on_tap = on_tap
        self.kind = kind
        self.icon = icon
        self.enabled = enabled
        self.sublabel = sublabel
        self.speech = speech
        self.bold = bold
        self.px: int | None = None  # a common text size for a group of buttons (see even_text)

    @property
    def label(self) -> str:
        return str(self.text)

    def activate(self) -> None:
        if self.enabled and self.on_tap is not None:
            self.on_tap()

    def colors(self, p: Painter, pressed: bool):
        c = p.colors
        if not self.enabled:
            return c.disabled_bg, c.disabled_fg, c.disabled_fg
        if pressed:
            return c.pressed_bg, c.pressed_fg, c.pressed_fg
        if self.kind == "primary":
            return c.primary_bg, c.primary_fg, c.primary_bg if not p.theme.high_contrast else c.border
        if self.kind == "danger":
            return c.danger_bg, c.danger_fg, c.danger_bg if not p.theme.high_contrast else c.border
        if self.kind == "quiet":
            return c.bg, c.fg, c.border
        return c.button_bg, c.button_fg, c.border

    def draw(self, p, *, pressed=False, focused=False):
        bg, fg, border = self.colors(p, pressed)
        p.box(self.rect, bg, border=border)
        inner = L.inset(self.rect, max(6, p.theme.gap), max(4, p.theme.gap // 2))
        if self.icon:
            size = min(inner.height, max(p.theme.button, inner.height // 2), inner.width // 4)
            if self.text:
                icon_box, inner = L.split_left(inner, size, p.theme.gap)
            else:
                icon_box = L.centered(inner, size, size)
            p.icon(self.icon, L.centered(icon_box, size, size), fg)
        if self.sublabel:
            top, bottom = L.split_bottom(inner, int(inner.height * 0.38))
            p.text(self.text, top, p.theme.button, color=fg, bold=self.bold)
            p.text(self.sublabel, bottom, p.theme.small, color=fg)
        elif self.text:
            p.text(self.text, inner, self.px or p.theme.button, color=fg, bold=self.bold)
        if focused:
            p.focus_ring(self.rect)

    def look_key(self):
        if type(self) is not Button:  # a kind of button may draw more than a button's words
            return None
        # A keyboard's forty keys are asked on every step: each key's look key is kept (the same
        # tuple, so comparing frame keys is comparing identities) until an attribute of the button
        # is set (Widget.__setattr__), its box moves or the language changes.
        where, words = tuple(self.rect), language()
        kept = self.__dict__.get("_look")
        if kept is not None and kept[0] == where and kept[1] == words:
            return kept[2]
        key = (
            "button",
            where,
            type(self.text),  # words (a catalogue message) or data: the text record says which
            str(self.text),
            self.sublabel and str(self.sublabel),
            self.kind,
            self.icon,
            self.enabled,
            self.px,
            self.bold,
        )
        self.__dict__["_look"] = (where, words, key)
        return key

    def text_box(self, theme) -> pygame.Rect:
        inner = L.inset(self.rect, max(6, theme.gap), max(4, theme.gap // 2))
        if self.icon and self.text:
            size = min(inner.height, max(theme.button, inner.height // 2), inner.width // 4)
            inner = L.split_left(inner, size, theme.gap)[1]
        return inner


def even_text(buttons: list[Button], theme, *, max_lines: int = 2) -> None:
    """Give a group of buttons one text size: the largest at which every label fits."""
    labelled = [b for b in buttons if b.text and not b.sublabel]
    if not labelled:
        return
    size = min(
        fit(str(b.text), theme.button, b.bold, b.text_box(theme), max_lines=max_lines, min_px=theme.min_px)[0]
        for b in labelled
    )
    for b in labelled:
        b.px = size


class Toggle(Button):
    """A button that shows whether its setting is on (large text, high contrast, sound): icon above words."""

    def __init__(self, label, is_on: Callable[[], bool], on_tap, rect=None, *, icon=None, speech=None) -> None:
        super().__init__(label, on_tap, rect, icon=icon, speech=speech, bold=False)
        self.is_on = is_on

    def draw(self, p, *, pressed=False, focused=False):
        bg, fg, border = self.colors(p, pressed)
        p.box(self.rect, bg, border=border)
        inner = L.inset(self.rect, max(4, p.theme.gap // 2), max(3, p.theme.gap // 3))
        # the words get the height of their line at the legible size; the icon the rest
        words_h = font(p.theme.small, True).get_linesize()
        icon_box, text_box = L.split_top(inner, max(0, inner.height - words_h))
        p.icon(self.icon, L.centered(icon_box, icon_box.height, icon_box.height), fg)
        p.text(self.text, text_box, p.theme.small, color=fg, bold=self.is_on(), max_lines=1)
        if focused:
            p.focus_ring(self.rect)

    def look_key(self):
        if type(self) is not Toggle:
            return None
        return (
            "toggle",
            tuple(self.rect),
            type(self.text),
            str(self.text),
            self.icon,
            self.enabled,
            bool(self.is_on()),
        )

    def colors(self, p, pressed):
        c = p.colors
        if pressed:
            return c.pressed_bg, c.pressed_fg, c.pressed_fg
        if self.is_on():
            return (
                c.header_bg if not p.theme.high_contrast else c.primary_bg,
                c.header_fg if not p.theme.high_contrast else c.primary_fg,
                c.border,
            )
        return c.button_bg, c.button_fg, c.border


# --------------------------------------------------------- candidate card
class CandidateCard(Widget):
    """A candidate: photo, huge nomor urut, name.  The whole card is one target."""

    tappable = True
    focusable = True
    ready_pressed = True  # the kiosk draws its pressed look ahead (KioskApp.ready_pressed)

    def __init__(
        self,
        number: int | str,
        name: str,
        photo: pygame.Surface | None,
        on_tap,
        rect=None,
        *,
        selected: bool = False,
        blank_words=None,
    ) -> None:
        super().__init__(rect)
        self.number = number
        self.name = name
        self.photo = photo
        self.on_tap = on_tap
        self.selected = selected
        self.blank_words = blank_words  # the words of a blank-vote card (no number, no photo)
        self.speech = f"candidate_{number}"
        self.name_px: int | None = None  # set by the ballot so every name has the same size
        self.band_h: int | None = None  # a tall card's number-and-name band, set by the ballot
        self.number_above = False  # a tall card's number above its name (the name the band's width)

    def target_h(self) -> int:
        """The number's height when it sits above the name in a ballot-sized band."""
        return max(24, self.rect.height // 6)

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}"

    def activate(self) -> None:
        self.on_tap()

    @property
    def horizontal(self) -> bool:
        return self.rect.width > self.rect.height * 1.25

    def boxes(self, pad: int) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect, str]:
        """(photo, number, name, name alignment) inside the card."""
        inner = L.inset(self.rect, pad)
        if self.horizontal:
            photo_w = min(int(inner.height * 0.8), inner.width // 2)
            photo_box, rest = L.split_left(inner, photo_w, pad)
            if rest.height >= rest.width * 0.6 or self.number_above:  # the number above the name
                num_box, name_box = L.split_top(rest, int(rest.height * (0.4 if self.number_above else 0.55)))
            else:  # a low card: the number beside the name, the name the card's whole height
                num_box, name_box = L.split_left(rest, min(rest.height, rest.width // 4), pad)
            return photo_box, num_box, name_box, "left"
        photo_h = min(int(inner.height * 0.68), int(inner.width * 4 / 3))
        if self.band_h is not None:  # the ballot gives the names the room they need at its size
            photo_h = min(photo_h, inner.height - self.band_h - pad)
        photo_box, band = L.split_top(inner, photo_h, pad)
        if band.width < 180 or self.number_above:  # a narrow card: number above the name
            num_h = int(band.height * 0.5) if self.band_h is None else min(int(band.height * 0.5), self.target_h())
            num_box, name_box = L.split_top(band, num_h)
            return photo_box, num_box, name_box, "center"
        num_box, name_box = L.split_left(band, min(band.width // 4, int(band.height * 0.9)), pad)
        return photo_box, num_box, name_box, "left"

    def draw(self, p, *, pressed=False, focused=False):
        c = p.colors
        bg = c.pressed_bg if pressed else c.card_bg
        fg = c.pressed_fg if pressed else c.fg
        border = c.focus if self.selected else c.border
        p.box(self.rect, bg, border=border, width=max(c.border_width, 6 if self.selected else 0))
        pad = max(4, p.theme.gap // 2)
        if self.blank_words is not None:
            p.text(self.blank_words, L.inset(self.rect, pad), p.theme.title, color=fg, bold=True)
        else:
            photo_box, num_box, name_box, align = self.boxes(pad)
            self._photo(p, photo_box)
            p.text(
                data(self.number),
                num_box,
                int(num_box.height * 0.95),
                color=fg,
                bold=True,
                align="left" if align == "left" else "center",
            )
            p.text(
                data(self.name),
                name_box,
                self.name_px or p.theme.body,
                color=fg,
                bold=True,
                align=align,
                max_lines=3,
                min_px=p.theme.ballot_min_px,
                break_words=False,  # a candidate's name is never cut inside a word
            )
        if focused:
            p.focus_ring(self.rect)

    def look_key(self):
        if type(self) is not CandidateCard:
            return None
        words = None if self.blank_words is None else str(self.blank_words)
        return (
            "candidate",
            tuple(self.rect),
            str(self.number),
            self.name,
            id(self.photo),
            self.selected,
            words,
            self.name_px,
            self.band_h,
            self.number_above,
        )

    def _photo(self, p, box):
        if self.photo is not None:
            p.image(self.photo, box)
        else:
            p.box(box, p.colors.disabled_bg, radius=0)
            p.icon("person", L.centered(box, box.height // 2, box.height // 2), p.colors.disabled_fg)


# ------------------------------------------------------------ entry fields
class TextField(Widget):
    """The text being typed (or dots for a PIN), with a cursor bar."""

    def __init__(self, value: Callable[[], str], rect=None, *, secret: bool = False, placeholder=None) -> None:
        super().__init__(rect)
        self.value = value
        self.secret = secret
        self.placeholder = placeholder

    @property
    def label(self) -> str:
        return self.value()

    def look_key(self):
        if type(self) is not TextField:
            return None
        hint = self.placeholder
        return ("field", tuple(self.rect), self.value(), self.secret, type(hint), hint and str(hint))

    def draw(self, p, *, pressed=False, focused=False):
        p.box(self.rect, p.colors.card_bg, border=p.colors.border)
        inner = L.inset(self.rect, p.theme.gap)
        text = self.value()
        if self.secret:
            n = len(text)
            r = max(5, min(inner.height // 4, p.theme.body // 2))
            step = r * 3
            x = inner.centerx - (n - 1) * step // 2
            for i in range(n):
                p.circle((x + i * step, inner.centery), r, p.colors.fg)
            p.items.append(_marker(self.rect, "•" * n))
        elif text:
            p.text(data(text), inner, p.theme.title, bold=True, align="left", max_lines=2)
        elif self.placeholder:
            p.text(self.placeholder, inner, p.theme.body, color=p.colors.muted, align="left")


def _marker(rect, text):
    from booth.ui.drawing import TextItem

    return TextItem(text, pygame.Rect(rect), "data", None, 0, False)


class Keypad(Widget):
    """Digits 0-9, delete and a go key, in a 4x3 grid (for PINs and numbers)."""

    def __init__(self, on_key: Callable[[str], None], go_label, rect=None, *, go_enabled=lambda: True) -> None:
        super().__init__(rect)
        self.on_key = on_key
        self.go_label = go_label
        self.go_enabled = go_enabled
        self.keys: list[Button] = []
        for k in ["1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "go"]:
            if k == "del":
                b = Button(_("Delete"), lambda: self.on_key("del"), kind="normal")
            elif k == "go":
                b = Button(go_label, lambda: self.on_key("go"), kind="primary")
            else:
                b = Button(data(k), functools.partial(self.on_key, k))
            b.ready_pressed = True  # its pressed look drawn ahead, as a candidate card's
            self.keys.append(b)
        self.layout(self.rect)

    def layout(self, rect) -> None:
        self.rect = pygame.Rect(rect)
        gap = max(6, min(self.rect.width, self.rect.height) // 40)
        for b, cell in zip(self.keys, L.grid(self.rect, 12, 3, gap), strict=False):
            b.rect = cell

    def children(self):
        self.keys[-1].enabled = bool(self.go_enabled())
        return self.keys


KEYBOARD_ROWS = ["1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM"]
ALPHABET = "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Keyboard(Widget):
    """Letters and digits, space, delete, and a done key.

    QWERTY (as on phones) where ten keys of ``min_key`` pixels fit across;
    on a narrow screen (portrait 720 px: ten 12 mm keys do not fit) the keys
    go in alphabetical order in as many columns as fit.
    """

    def __init__(
        self,
        on_key: Callable[[str], None],
        done_label,
        rect=None,
        *,
        digits_only: bool = False,
        extra: str = "",
        min_key: int = 0,
        gap: int = 6,
    ) -> None:
        super().__init__(rect)
        self.on_key = on_key
        self.done_label = done_label
        self.digits_only = digits_only
        self.extra = extra  # extra characters, e.g. "-" for dates, "-./," for addresses
        self.min_key = min_key
        self.gap = gap
        self.key_rows: list[list[Button]] = []
        self.space = None if digits_only else Button(_("Space"), lambda: self.on_key(" "), bold=False)
        self.delete = Button(_("Delete"), lambda: self.on_key("del"), bold=False)
        self.done = Button(done_label, lambda: self.on_key("done"), kind="primary")
        self._keys: dict[str, Button] = {}
        self.layout(self.rect)

    def _key(self, ch: str) -> Button:
        if ch not in self._keys:
            key = Button(data(ch), functools.partial(self.on_key, ch))
            key.ready_pressed = True  # its pressed look drawn ahead, as a candidate card's
            self._keys[ch] = key
        return self._keys[ch]

    def rows_for(self, width: int) -> list[str]:
        if self.digits_only:
            chars = "1234567890" + self.extra
        elif self.min_key * 10 + self.gap * 9 <= width:
            return list(KEYBOARD_ROWS[:-1]) + [KEYBOARD_ROWS[-1] + self.extra]
        else:
            chars = ALPHABET + self.extra
        cols = max(3, (width + self.gap) // (self.min_key + self.gap)) if self.min_key else 10
        cols = min(cols, len(chars))
        return [chars[i : i + cols] for i in range(0, len(chars), cols)]

    def layout(self, rect) -> None:
        self.rect = pygame.Rect(rect)
        gap = self.gap
        rows = self.rows_for(self.rect.width)
        self.key_rows = [[self._key(ch) for ch in row] for row in rows]
        row_rects = L.rows(self.rect, len(rows) + 1, gap)
        widest = max(len(r) for r in rows)
        key_w = (self.rect.width - gap * (widest - 1)) / widest
        for keys, row in zip(self.key_rows, row_rects, strict=False):
            used = len(keys) * key_w + gap * (len(keys) - 1)
            left = row.left + (row.width - used) / 2
            for i, b in enumerate(keys):
                b.rect = pygame.Rect(round(left + i * (key_w + gap)), row.top, round(key_w), row.height)
        last = row_rects[-1]
        if self.space is None:
            self.delete.rect, self.done.rect = L.columns(last, 2, gap)
        else:
            cells = L.columns(last, 4, gap)
            self.delete.rect = cells[0]
            self.space.rect = pygame.Rect(cells[1].left, last.top, cells[2].right - cells[1].left, last.height)
            self.done.rect = cells[3]

    def children(self):
        keys = [b for row in self.key_rows for b in row] + [self.delete]
        if self.space is not None:
            keys.append(self.space)
        return keys + [self.done]


# --------------------------------------------------------------- lists
class ListRow(Button):
    """One row of a list: a title line and a detail line, with an optional status badge."""

    ready_pressed = True  # its pressed look drawn ahead (the voters found, picked by a finger)

    def __init__(self, title, detail=None, on_tap=None, *, badge=None, badge_color: str = "muted") -> None:
        super().__init__(title, on_tap, kind="normal", bold=True)
        self.detail = detail
        self.badge = badge
        self.badge_color = badge_color

    @staticmethod
    def pad(theme) -> tuple[int, int]:
        return theme.gap, max(3, theme.gap // 2)

    def look_key(self):
        if type(self) is not ListRow:
            return None
        detail, badge = self.detail, self.badge
        return (
            "row",
            tuple(self.rect),
            type(self.text),
            str(self.text),
            type(detail),
            detail and str(detail),
            type(badge),
            badge and str(badge),
            self.badge_color,
            self.kind,
            self.enabled,
            self.bold,
        )

    def draw(self, p, *, pressed=False, focused=False):
        bg, fg, border = self.colors(p, pressed)
        p.box(self.rect, bg, border=border)
        inner = L.inset(self.rect, *self.pad(p.theme))
        t = p.theme
        if self.detail:
            # the title as tall as its line needs (the badge at its right), the detail gets the
            # rest of the row's width and height (at least its line)
            title_h = font(t.body, True).get_linesize()
            spare = max(0, inner.height - title_h - font(t.small).get_linesize())
            one_line = font(t.small).size(str(self.detail))[0] <= inner.width
            top, bottom = L.split_top(inner, title_h + (spare // 2 if one_line else 0))
            if self.badge:
                top = self._badge(p, top, fg, pressed)
            p.text(self.text, top, t.body, color=fg, bold=True, align="left", max_lines=1)
            p.text(self.detail, bottom, t.small, color=fg, align="left", valign="top" if spare else "center")
        else:
            if self.badge:
                inner = self._badge(p, inner, fg, pressed)
            p.text(self.text, inner, t.body, color=fg, bold=True, align="left")
        if focused:
            p.focus_ring(self.rect)

    def _badge(self, p, box: pygame.Rect, fg, pressed: bool) -> pygame.Rect:
        """Draw the badge at the right of ``box``; return what is left of it for the title."""
        t = p.theme
        need = font(t.small, True).size(str(self.badge))[0] + 4
        box, badge_box = L.split_right(box, min(max(box.width // 3, need), box.width * 2 // 3), t.gap)
        color = fg if pressed else getattr(p.colors, self.badge_color)
        p.text(self.badge, badge_box, t.small, bold=True, align="right", color=color)
        return box


def list_row_height(theme, *, detail: bool = True, detail_lines: int | None = None) -> int:
    """A list row tall enough for its title (and detail lines) at legible sizes, and a 12 mm target;
    a portrait panel is narrow but tall: room for a detail of two lines unless ``detail_lines``."""
    need = font(theme.body, True).get_linesize() + 2 * ListRow.pad(theme)[1] + 2
    if detail:
        need += font(theme.small).get_linesize() * (detail_lines or (2 if theme.portrait else 1))
    return max(theme.target, need)


def detail_lines(theme, row: ListRow, width: int) -> int:
    """How many lines ``row``'s detail takes in a row ``width`` wide."""
    if not row.detail:
        return 0
    inner = width - 2 * ListRow.pad(theme)[0]  # (the badge is on the title's line)
    room = pygame.Rect(0, 0, max(1, inner), 10**4)
    return len(fit(str(row.detail), theme.small, False, room, min_px=theme.min_px)[1])


def rows_height(theme, rows: list[ListRow], width: int) -> int:
    """:func:`list_row_height` for ``rows`` in a list ``width`` wide: as many detail lines as the
    longest detail needs (a detail wraps, it is never shrunk below the minimum)."""
    need = max([1, *(detail_lines(theme, row, width) for row in rows)])
    return list_row_height(theme, detail_lines=max(need, 2 if theme.portrait else 1))


def stack_rows(theme, rows: list[ListRow], box: pygame.Rect, *, gap: int | None = None) -> bool:
    """Place ``rows`` one under the other in ``box``, each as high as its own detail needs;
    False (and nothing placed) if they do not all fit: then a :class:`ListView` pages them."""
    gap = max(4, theme.gap // 2) if gap is None else gap
    heights = [list_row_height(theme, detail_lines=max(1, detail_lines(theme, r, box.width))) for r in rows]
    if sum(heights) + gap * (len(rows) - 1) > box.height:
        return False
    y = box.top
    for row, h in zip(rows, heights, strict=True):
        row.rect = pygame.Rect(box.left, y, box.width, h)
        y += h + gap
    return True


class ListView(Widget):
    """Large rows, a page at a time, with big previous/next buttons (no fiddly scrolling)."""

    def __init__(self, rows: list[ListRow], rect=None, *, row_height: int = 80, empty=None, columns: int = 1) -> None:
        super().__init__(rect)
        self.rows = rows
        self.row_height = row_height
        self.columns = columns
        self.page = 0
        self.empty = empty
        self.prev = Button(_("Previous"), self._prev, icon="up", bold=False)
        self.next = Button(_("Next"), self._next, icon="down", bold=False)
        self.layout(self.rect)

    @property
    def per_page(self) -> int:
        return max(1, self._list_box.height // self.row_height) if self.rect.height else 1

    def layout(self, rect) -> None:
        self.rect = pygame.Rect(rect)
        gap = max(4, self.row_height // 10)
        fits = (self.rect.height + gap) // (self.row_height + gap) * self.columns
        paging = len(self.rows) > fits
        if paging:
            self._list_box, nav = L.split_bottom(self.rect, self.row_height, gap)
        else:
            self._list_box, nav = self.rect, None
        n = max(1, (self._list_box.height + gap) // (self.row_height + gap))
        self._slots = []
        for col in L.columns(self._list_box, self.columns, gap * 2):  # down the first column, then the next
            self._slots += [
                pygame.Rect(col.left, col.top + i * (self.row_height + gap), col.width, self.row_height)
                for i in range(n)
            ]
        self._paging = paging
        if nav is not None:
            self.prev.rect, self.next.rect = L.columns(nav, 2, gap)
        self.page = min(self.page, max(0, (len(self.rows) - 1) // len(self._slots)))

    def _prev(self):
        self.page = max(0, self.page - 1)

    def _next(self):
        if (self.page + 1) * len(self._slots) < len(self.rows):
            self.page += 1

    def visible_rows(self) -> list[ListRow]:
        start = self.page * len(self._slots)
        shown = self.rows[start : start + len(self._slots)]
        for row, slot in zip(shown, self._slots, strict=False):
            row.rect = slot
        return shown

    def children(self):
        out = list(self.visible_rows())
        if self._paging:
            self.prev.enabled = self.page > 0
            self.next.enabled = (self.page + 1) * len(self._slots) < len(self.rows)
            out += [self.prev, self.next]
        return out

    def look_key(self):
        if type(self) is not ListView:
            return None
        empty = self.empty if not self.rows else None
        return ("list", tuple(self.rect), type(empty), empty and str(empty))

    def draw(self, p, *, pressed=False, focused=False):
        if not self.rows and self.empty is not None:
            p.text(self.empty, self.rect, p.theme.body, color=p.colors.muted)


# --------------------------------------------------------- bars and charts
class ProgressBar(Widget):
    """A bar filling from left to right; ``fraction`` None draws a moving stripe (busy)."""

    def __init__(self, fraction: Callable[[], float | None], rect=None, *, caption=None) -> None:
        super().__init__(rect)
        self.fraction = fraction
        self.caption = caption
        self.phase = 0

    def draw(self, p, *, pressed=False, focused=False):
        bar = self.rect
        if self.caption is not None:
            bar, cap = L.split_bottom(self.rect, int(self.rect.height * 0.45), p.theme.gap)
            text = self.caption() if callable(self.caption) else self.caption
            p.text(text, cap, p.theme.body, align="left")
        p.box(bar, p.colors.card_bg, border=p.colors.border)
        inner = L.inset(bar, 4)
        f = self.fraction()
        if f is None:
            self.phase = (self.phase + 1) % 20
            w = inner.width // 4
            x = inner.left + (inner.width - w) * self.phase // 19
            p.box(pygame.Rect(x, inner.top, w, inner.height), p.colors.primary_bg, radius=4)
        else:
            w = round(inner.width * max(0.0, min(1.0, f)))
            if w:
                p.box(pygame.Rect(inner.left, inner.top, w, inner.height), p.colors.primary_bg, radius=4)


class BarChart(Widget):
    """One row per candidate: the big number, the name and the count on a line above the bar.

    The name and the count take one line at the legible size (the count at the right, bold);
    the bar gets the rest of the row, so a small panel draws a thinner bar, never smaller words.
    """

    def __init__(self, bars: list[tuple[str, str, int]], rect=None) -> None:
        super().__init__(rect)
        self.bars = bars  # (number label, name, votes)

    def draw(self, p, *, pressed=False, focused=False):
        if not self.bars:
            return
        t = p.theme
        gap = t.gap
        n = len(self.bars)
        row_h = min((self.rect.height - gap * (n - 1)) // n, int(t.target * 1.6))
        area = L.split_top(self.rect, n * row_h + (n - 1) * gap)[0]
        top = max(1, max(v for _, _, v in self.bars))
        for (number, name, votes), slot in zip(self.bars, L.rows(area, n, gap), strict=False):
            num_box, rest = L.split_left(slot, min(slot.height, slot.width // 5), gap)
            p.text(data(number), num_box, int(slot.height * 0.75), bold=True)
            line = max(font(t.body, True).get_linesize(), int(rest.height * 0.55))
            words, bar_box = L.split_top(rest, min(line, rest.height))
            count_w = max(font(t.title, True).size(str(top))[0], font(t.body, True).size("0000")[0]) + 4
            name_box, count_box = L.split_right(words, count_w, gap)
            p.text(data(name), name_box, t.body, align="left", max_lines=1)
            p.text(data(votes), count_box, t.title, bold=True, align="right")
            bar_area = L.inset(bar_box, 0, max(1, bar_box.height // 8))
            bar = pygame.Rect(bar_area.left, bar_area.top, round(bar_area.width * votes / top), bar_area.height)
            p.box(bar_area, None, border=p.colors.border, width=1)
            if bar.width:
                p.box(bar, p.colors.primary_bg, radius=4)


class Picture(Widget):
    """A picture (camera preview, a voter's earlier photo) fitted into its box."""

    def __init__(self, surface: Callable[[], pygame.Surface | None], rect=None, *, missing=None) -> None:
        super().__init__(rect)
        self.surface = surface
        self.missing = missing

    def draw(self, p, *, pressed=False, focused=False):
        surf = self.surface()
        p.box(self.rect, p.colors.disabled_bg, radius=0)
        if surf is not None:
            p.image(surf, self.rect)
        elif self.missing is not None:
            p.text(self.missing, L.inset(self.rect, p.theme.gap), p.theme.body, color=p.colors.disabled_fg)


def _wrapped(text: str, px: int, bold: bool, width: int, break_words: bool) -> list[str] | None:
    from booth.ui.drawing import wrap

    return wrap(text, px, bold, width, break_words=break_words)


class Panel(Widget):
    """A box of "name: value" lines (status, details), each line a (label, value, colour) triple.

    A panel made with ``pages=True`` never runs past its box: the lines that do not fit at the
    legible minimum go on a next page, the last line says so ("Sentuh: lanjut 1/2"), and a
    touch on the panel turns the page.  Without it, a table that does not fit is drawn cut at the
    box (and the text-size test names it) rather than shrunk below the minimum.
    """

    @staticmethod
    def height_for(theme, lines: int, *, title: bool = False) -> int:
        """The height that shows ``lines`` lines at body size (for layouts that fit the box to its content)."""
        line = font(theme.body, True).get_linesize()
        return int(line * lines + (line + theme.gap // 2 if title else 0) + theme.gap * 2 + 2)

    @staticmethod
    def needed_height(theme, lines: list[tuple], width: int) -> int:
        """The height a panel ``width`` wide needs to show ``lines`` whole at the body size."""
        if not lines:
            return Panel.height_for(theme, 1)
        inner = pygame.Rect(0, 0, max(1, width - 2 * theme.gap), 10**5)
        px, _name_w, rows = Panel.table(theme, lines, inner)
        return sum(max(r) for r in rows) * font(px, True).get_linesize() + theme.gap * 2 + 2

    def __init__(self, lines: Callable[[], list[tuple]], rect=None, *, title=None, pages: bool = False) -> None:
        super().__init__(rect)
        self.lines = lines
        self.title = title
        self.pages = pages
        self.page = 0
        self.page_count = 1  # (known after a draw)

    @property
    def label(self) -> str:
        return str(_("Next page")) if self.page_count > 1 else ""

    def activate(self) -> None:
        self.page = (self.page + 1) % max(1, self.page_count)

    def _paged(self, count: int) -> None:
        # a panel of several pages is a target: a touch turns the page
        self.page_count = count
        self.tappable = self.focusable = count > 1

    def draw(self, p, *, pressed=False, focused=False):
        p.box(self.rect, p.colors.pressed_bg if pressed else p.colors.card_bg, border=p.colors.border)
        t = p.theme
        inner = L.inset(self.rect, t.gap)
        if self.title is not None:
            head, inner = L.split_top(inner, Label.height_for(t, self.title, inner.width, bold=True) + t.gap // 2)
            p.text(self.title, head, t.body, bold=True, align="left")
        lines = self.lines()
        if not lines:
            self._paged(1)
            return
        px, name_w, rows = self.table(t, lines, inner)
        line_h = font(px, True).get_linesize()
        heights = [max(r) * line_h for r in rows]
        shown = list(range(len(lines)))
        self._paged(1)
        if self.pages and sum(heights) > inner.height:
            pages = self.split_pages(heights, inner.height - line_h)
            self._paged(len(pages))
            self.page %= self.page_count
            shown = pages[self.page]
        y = inner.top
        for i in shown:
            (name, value, *color), h = lines[i], heights[i]
            # (clipped to the panel: a table that does not fit is cut here, where the test sees it)
            left = pygame.Rect(inner.left, y, name_w, h).clip(inner)
            right = pygame.Rect(inner.left + name_w + t.gap, y, inner.width - name_w - t.gap, h).clip(inner)
            p.text(name, left, px, align="left", valign="top", color=p.colors.muted, min_px=px)
            col = getattr(p.colors, color[0]) if color and color[0] else p.colors.fg
            p.text(value, right, px, align="left", valign="top", bold=True, color=col, min_px=px)
            y += h
        if self.page_count > 1:
            more = _("Touch: more {page}/{pages}").format(page=self.page + 1, pages=self.page_count)
            p.text(
                more,
                pygame.Rect(inner.left, inner.bottom - line_h, inner.width, line_h),
                px,
                align="left",
                color=p.colors.focus if focused else p.colors.muted,
                min_px=px,
            )
        if focused:
            p.focus_ring(self.rect)

    @staticmethod
    def split_pages(heights: list[int], room: int) -> list[list[int]]:
        """The row indexes of each page: as many whole rows as fit in ``room`` (at least one).

        >>> Panel.split_pages([26, 52, 26, 26], 80)
        [[0, 1], [2, 3]]
        """
        pages: list[list[int]] = [[]]
        used = 0
        for i, h in enumerate(heights):
            if pages[-1] and used + h > room:
                pages.append([])
                used = 0
            pages[-1].append(i)
            used += h
        return pages

    @staticmethod
    def table(theme, lines, inner) -> tuple[int, int, list[tuple[int, int]]]:
        """(text size, name column width, lines per row): the largest size from body down to the
        legible minimum at which every row fits, names and values wrapping to a second line if need be.

        The name column gets up to 45% of the width, or more where the values are short; where a
        row wraps so, the name column is moved to the width (one of the names' own) that takes the
        fewest lines, no word cut.
        """
        px = theme.body
        gap = theme.gap
        while True:
            f_name, f_value = font(px), font(px, True)
            widest = max(f_name.size(str(line[0]))[0] for line in lines)
            widest_value = max(f_value.size(str(line[1]))[0] for line in lines)
            last = px <= theme.min_px  # (only at the minimum is a too-wide word cut)

            def rows_at(name_w: int, px=px, last=last) -> tuple[bool, int, list[tuple[int, int]]]:
                """(no word cut, lines in all, lines per row) with the name column ``name_w`` wide."""
                value_w = max(1, inner.width - name_w - gap)
                rows, whole = [], True
                for line in lines:
                    name_lines = _wrapped(str(line[0]), px, False, name_w, False)
                    value_lines = _wrapped(str(line[1]), px, True, value_w, False)
                    whole = whole and name_lines is not None and value_lines is not None
                    if last:  # a word too wide for its column is cut (rather than run out)
                        name_lines = name_lines or _wrapped(str(line[0]), px, False, name_w, True)
                        value_lines = value_lines or _wrapped(str(line[1]), px, True, value_w, True)
                    rows.append((len(name_lines or [1, 1]), len(value_lines or [1, 1])))
                return whole, sum(max(r) for r in rows), rows

            name_w = min(widest + 2, max(int(inner.width * 0.45), inner.width - widest_value - gap))
            whole, total, rows = rows_at(name_w)
            if total > len(lines):  # a row wraps: the name column moved to where fewest lines wrap
                tries = {min(f_name.size(str(line[0]))[0] + 2, inner.width - gap - 1) for line in lines}
                for w in sorted(tries, reverse=True):
                    w_whole, w_total, w_rows = rows_at(w)
                    if w_whole and w_total < total:
                        name_w, total, rows = w, w_total, w_rows
            height = total * f_value.get_linesize()
            if (whole and height <= inner.height) or last:
                return px, name_w, rows
            px = max(theme.min_px, int(px * 0.92))
