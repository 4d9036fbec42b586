"""One screen of the kiosk, and the touch rule every screen follows.

A screen builds its widgets in :meth:`Screen.build` for a given area (called
again whenever the size, text size, contrast or language changes), draws
per-frame content in :meth:`Screen.paint`, and reacts to time in
:meth:`Screen.update`.  The base class handles input the same way everywhere:

* **touch**: a target is chosen only when the finger goes down *and* lifts
  on that same target; sliding off and lifting elsewhere selects nothing; a
  second finger cancels (a palm resting on the screen is not a vote).  The
  target under the finger is drawn pressed from the next frame on;
* **buttons**: UP/DOWN move a thick focus ring through the targets, SELECT
  activates the focused one, BACK calls :meth:`Screen.back`; the focused
  target's spoken clip is played when the voice is on.

>>> class Hello(Screen):
...     name = "hello"
...     def build(self, area):
...         self.add(Button(_("Next"), self.app.next_thing, area))
"""

from __future__ import annotations

import pygame

from booth.hardware.controls import Nav
from booth.ui import layout as L
from booth.ui.drawing import Painter
from booth.ui.events import Press, Touch
from booth.ui.i18n import _  # noqa: F401 - used by subclasses via this module in examples
from booth.ui.widgets import Button, Widget  # noqa: F401

_covers: dict[type, bool] = {}


def _key_covers_drawing(cls: type) -> bool:
    """``cls.paint_key`` is defined where ``draw``, ``paint`` and ``paint_body`` are, or in a
    subclass of each: a screen that draws more than its parent without saying what that depends
    on gets no frame key, so its frames are never taken from the memo."""
    known = _covers.get(cls)
    if known is None:

        def owner(name: str) -> type | None:
            return next((c for c in cls.__mro__ if name in c.__dict__), None)

        key_owner = owner("paint_key")
        known = key_owner is not None and all(
            o is None or issubclass(key_owner, o) for o in map(owner, ("draw", "paint", "paint_body"))
        )
        _covers[cls] = known
    return known


class Screen:
    """Base class of every kiosk screen (see the module docstring)."""

    name = "screen"  # stable name for tests, screenshots and the gallery
    voter = False  # a voter-facing screen: uses the voter's text size / contrast settings
    focus_first: int = 0  # index of the target focused first (in targets() order)

    def __init__(self, app) -> None:
        self.app = app
        self.widgets: list[Widget] = []
        self.size: tuple[int, int] = (0, 0)  # set by layout()
        self._built_for = None
        self._down: Widget | None = None
        self._down_on = False  # the finger is still over the target it went down on
        self._fingers: dict[int, float] = {}  # fingers on the glass -> when they went down
        self.focus: int | None = None
        self.shown_at = 0.0

    # ------------------------------------------------------------- building
    @property
    def theme(self):
        return self.app.theme_for(self)

    def add(self, widget: Widget) -> Widget:
        self.widgets.append(widget)
        return widget

    def layout(self, size: tuple[int, int]) -> None:
        """(Re)build the widgets for ``size`` with the current theme and language."""
        self.size = (int(size[0]), int(size[1]))
        self.widgets = []
        self._down = None
        self.build(pygame.Rect(0, 0, *self.size))
        self._built_for = self._build_key()
        targets = self.targets()
        if self.focus is not None and targets:
            self.focus = min(self.focus, len(targets) - 1)

    def _build_key(self):
        t = self.theme
        from booth.ui.i18n import language

        return (self.size, t.large_text, t.high_contrast, language(), self.state_key())

    def state_key(self):
        """Anything whose change needs a rebuild (e.g. a step of a multi-step screen)."""
        return None

    def needs_layout(self, size) -> bool:
        return self._built_for is None or tuple(size) != self.size or self._build_key() != self._built_for

    def relayout(self) -> None:
        self._built_for = None

    def build(self, area: pygame.Rect) -> None:
        """Create the widgets for ``area`` (override)."""

    # --------------------------------------------------------------- drawing
    def draw(self, surface_or_painter) -> None:
        """Draw one frame: background, :meth:`paint`, the widgets, the focus ring."""
        p = surface_or_painter
        if not isinstance(p, Painter):
            p = Painter(p, self.theme)
        p.fill(p.colors.bg)
        self.paint(p)
        focused = self.focused()
        for w in self.drawn_widgets():
            p.widget(w, pressed=w is self._down and self._down_on, focused=w is focused)

    def drawn_widgets(self):
        """The widgets a frame draws, in the order it draws them: each visible one, then its
        visible children (what :meth:`draw` draws and :meth:`frame_key` describes)."""
        for w in self.widgets:
            if w.visible:
                yield w
                for child in w.children():
                    if child.visible:
                        yield child

    def paint(self, p: Painter) -> None:
        """Per-frame drawing under the widgets (override)."""

    def paint_key(self) -> tuple | None:
        """Everything :meth:`paint` (and what an own :meth:`draw` adds to the widgets) depends on
        besides the layout, the theme and the language, or None (the default: the screen is run
        afresh on every step).  A screen that gives a key is recorded once per look
        (:class:`booth.ui.frames.FrameMemo`): a key that leaves something out would keep an old
        frame on the glass (the tests check every kept frame against a fresh dry run)."""
        return None

    def frame_key(self, *, pressed: Widget | None | bool = True) -> tuple | None:
        """What this screen's next frame depends on: its :meth:`paint_key` and each widget's
        look (``Widget.look_key``), pressed and focused; None when any part cannot say.
        ``pressed``: the frame with the finger on that widget instead of where it is now."""
        own = self.paint_key() if _key_covers_drawing(type(self)) else None
        if own is None:
            return None
        down = (self._down if self._down_on else None) if pressed is True else pressed
        focused = self.focused()
        looks: list = [own]
        append = looks.append
        down_at = focused_at = 0  # which look is pressed, which focused (0: none)
        for w in self.drawn_widgets():
            look = w.look_key()
            if look is None:
                return None
            append(look)
            if w is down:
                down_at = len(looks)
            if w is focused:
                focused_at = len(looks)
        return (type(self), self._built_for, down_at, focused_at, tuple(looks))

    def header(self, p: Painter, rect: pygame.Rect, title, *, subtitle=None) -> None:
        """The coloured title band most screens start with."""
        p.box(rect, p.colors.header_bg, radius=0)
        if p.theme.high_contrast:
            p.line(rect.bottomleft, rect.bottomright, p.colors.border, 3)
        inner = L.inset(rect, p.theme.margin, max(2, p.theme.gap // 2))
        if subtitle is not None:
            left, right = L.split_right(inner, int(inner.width * 0.35), p.theme.gap)
            p.text(title, left, p.theme.title, color=p.colors.header_fg, bold=True, align="left")
            p.text(subtitle, right, p.theme.small, color=p.colors.header_fg, align="right")
        else:
            p.text(title, inner, p.theme.title, color=p.colors.header_fg, bold=True, align="left")

    # ----------------------------------------------------------------- input
    def targets(self) -> list[Widget]:
        """Every target now on screen, in reading order (the focus order)."""
        out = []
        for w in self.widgets:
            if not w.visible:
                continue
            if w.tappable:
                out.append(w)
            out.extend(c for c in w.children() if c.tappable and c.visible)
        return out

    def target_at(self, pos) -> Widget | None:
        for w in reversed(self.targets()):
            if w.rect.collidepoint(pos):
                return w
        return None

    def focused(self) -> Widget | None:
        if self.focus is None or not self.app.showing_focus:
            return None
        targets = self.targets()
        return targets[self.focus] if 0 <= self.focus < len(targets) else None

    def handle(self, event) -> None:
        """Touches follow the touch rule; button presses move the focus (see module docstring)."""
        if isinstance(event, Touch):
            self._touch(event)
        elif isinstance(event, Press):
            self.app.note_activity()
            if not self.on_nav(event.nav):
                self._nav(event.nav)

    def _touch(self, t: Touch) -> None:
        self.app.note_activity()
        if t.kind == "down":
            now = self.app.now()
            # a finger whose lift was lost (it happens) must not block touches for good
            self._fingers = {f: at for f, at in self._fingers.items() if now - at < 10.0}
            self._fingers[t.finger] = now
            if len(self._fingers) > 1:
                self.cancel_touch()  # two fingers (or a palm): nothing is chosen
                return
            self._down = self.target_at(t.pos)
            self._down_on = self._down is not None and self._down.enabled
            self.app.showing_focus = False
        elif t.kind == "move":
            if self._down is not None:
                self._down_on = self._down.rect.collidepoint(t.pos) and self._down.enabled
        elif t.kind == "up":
            self._fingers.pop(t.finger, None)
            down, self._down, self._down_on = self._down, None, False
            if down is None:
                return
            up = self.target_at(t.pos)
            if up is down and down.enabled:
                self.activate(down)

    def cancel_touch(self) -> None:
        self._down, self._down_on = None, False

    def activate(self, widget: Widget) -> None:
        widget.activate()
        self.app.after_action()

    def on_nav(self, nav: Nav) -> bool:
        """Handle a button press specially; return True if handled (override)."""
        return False

    def _nav(self, nav: Nav) -> None:
        targets = [w for w in self.targets()]
        if nav in (Nav.UP, Nav.DOWN):
            if not targets:
                return
            enabled = [i for i, w in enumerate(targets) if w.enabled]
            if not enabled:
                return
            if not self.app.showing_focus or self.focus is None or self.focus >= len(targets):
                self.focus = self.focus_first if self.focus_first in enabled else enabled[0]
                self.app.showing_focus = True
            else:
                step = 1 if nav is Nav.DOWN else -1
                i = self.focus
                for _ in range(len(targets)):
                    i = (i + step) % len(targets)
                    if i in enabled:
                        break
                self.focus = i
            self.on_focus(targets[self.focus])
        elif nav is Nav.SELECT:
            w = self.focused()
            if w is None:
                # the first press shows where the focus is, it chooses nothing
                self._nav(Nav.DOWN)
                return
            if w.enabled:
                self.activate(w)
        elif nav is Nav.BACK:
            self.back()

    def on_focus(self, widget: Widget) -> None:
        if widget.speech:
            self.app.say(widget.speech)

    def back(self) -> None:
        """The BACK button (override; companion screens go back one screen)."""

    # ------------------------------------------------------------------ time
    def update(self, now: float) -> None:
        """Called every frame with the kiosk's monotonic seconds (override for timers)."""

    def wake_at(self, now: float) -> float | None:
        """When (kiosk seconds) this screen's look or timers next change by themselves, if sooner
        than the kiosk's next poll of the core (every ``poll_interval``); None: nothing sooner.

        The kiosk sleeps between frames; a screen whose timer must fire more precisely
        than the poll interval says so here (override).
        """
        return None

    def on_show(self) -> None:
        """The screen became the one on top."""

    def on_hide(self) -> None:
        """Another screen went on top of it, or it was removed."""
