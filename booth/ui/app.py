"""The kiosk: one loop that turns touches, button presses and the core's state into frames.

:class:`KioskApp` owns a surface of the panel's size and runs one frame per
:meth:`KioskApp.step`:

1. input — touches (pygame events, or events fed with :meth:`feed`), button
   presses queued by the GPIO thread, power changes;
2. state — in voter mode :class:`~booth.ui.voter_screens.VoterFlow` asks the
   core which voter screen to show (``api.voter_screen()``); in companion mode
   the companion's screen stack is on top;
3. draw — the top screen draws itself on a dry run (:mod:`booth.ui.frames`) that
   records every text (:attr:`Frame.items`) and drawing operation; only the
   regions that differ from the frame on the glass are drawn and shown
   (:meth:`present`); a screen that did not change costs no pixels and no flip;
4. jobs — work queued with :meth:`later` runs *after* the frame is shown, so
   "Mohon tunggu, struk sedang dicetak" is on the glass before the printer
   starts.

Between frames :meth:`run` sleeps (:meth:`wait`) until a touch, a button, a
power change, the next poll of the core or a screen's own timer: an idle kiosk
on its batteries costs almost nothing.

The app never opens a display by itself: :meth:`open_display` does (full screen, no
cursor, no screen saver), a simulator window embeds :attr:`surface` and calls
:meth:`step` with its own events, and a headless driver
(:mod:`booth.ui.driver`) steps frame by frame and saves screenshots.

>>> app = KioskApp(api, station, devices, (800, 480))       # doctest: +SKIP
>>> app.step(); app.screen.name                              # doctest: +SKIP
'waiting'
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pygame

from booth.errors import BoothError, NotSignedIn
from booth.hardware.controls import Nav
from booth.ui import i18n
from booth.ui.drawing import Painter, TextItem
from booth.ui.events import DEV_KEYS, Press, Touch, from_pygame
from booth.ui.frames import FrameMemo, Looks, Op, RecordingPainter, RegionCache, rects_between, replay, same_record
from booth.ui.theme import Theme
from booth.ui.wakeup import DEVICE_DRIVERS, InputWaiter

if TYPE_CHECKING:
    from booth.kiosk.booth_board import BoothBoard

log = logging.getLogger(__name__)


@dataclass
class KioskSettings:
    """Timings and places of the kiosk (field defaults; tests shorten nothing, they move the clock)."""

    poll_interval: float = 0.5  # seconds between asking the core which voter screen to show
    status_interval: float = 3.0  # companion home: refresh counts and device status
    idle_prompt_s: float = 45.0  # ballot untouched this long: "are you still voting?"
    idle_call_s: float = 90.0  # then: "Panggil petugas" and the attention light
    expire_retry_s: float = 30.0  # then: ask the core to expire the release this often
    thanks_s: float = 6.0
    lost_print_s: float = 15.0  # "printing" with no print job here this long: reported as a failed slip
    confirm_guard_s: float = 0.8  # "Ya, Pilih" does nothing this soon after the choice (double presses)
    photo_look_s: float = 3.0  # time to look at the camera before the countdown starts
    photo_countdown: int = 3
    photo_review_s: float = 10.0  # the photo is kept if the voter does not choose
    photo_retakes: int = 2
    companion_idle_s: float = 180.0  # companion screens untouched: back to the voter, signed out
    long_press_s: float = 3.0  # the hidden corner opens the companion screens after this
    language: str = i18n.DEFAULT_LANGUAGE
    dpi: float | None = None
    package_dirs: tuple[str, ...] = ("/media", "/mnt")  # where election packages are looked for
    export_dirs: tuple[str, ...] = ("/media", "/mnt")  # where the results bundle may be written
    voice_dir: str | None = None  # spoken clips (``python -m booth.ui.voice``); None: no sound
    fps: int = 30  # the fastest the kiosk draws (while something moves: a countdown, the camera)
    input_poll_s: float = 0.02  # asleep, the touch screen is looked at this often (under one frame)
    lively_s: float = 1.5  # after a touch, a new screen or an animation's change: frames at ``fps`` this long
    animation_gap_s: float = 0.75  # changes by itself closer than this are an animation (a clock's are not)
    drawn_cache_screens: float = 3  # drawn regions kept for reuse, in whole screens (4 bytes a pixel)
    windowed: bool = False  # developer window: closable, arrow keys act as the buttons


def init_pygame() -> None:
    """Start the parts of pygame the kiosk draws with: the display and the fonts.

    Not ``pygame.init()``: that also opens the audio device, whose mixing thread runs
    all day (about 0.3 % of a core here) even with the voice off; :mod:`booth.ui.voice`
    starts the mixer itself when there are clips to play.
    """
    if not pygame.display.get_init():
        pygame.display.init()
    if not pygame.font.get_init():
        pygame.font.init()


class _UiClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()


@dataclass
class Frame:
    """What the glass shows (for tests, the headless driver and the gallery).

    ``number`` counts the frames actually drawn; ``rects`` are the regions the
    last step drew (empty: the step drew nothing, the glass did not change).
    """

    number: int
    screen: str
    items: list[TextItem] = field(default_factory=list)
    rects: list[pygame.Rect] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [i.text for i in self.items if i.text]


class KioskApp:
    """The kiosk (see the module docstring)."""

    def __init__(
        self,
        api,
        station,
        devices,
        size: tuple[int, int] = (720, 1280),
        *,
        clock=None,
        settings: KioskSettings | None = None,
        voice=None,
        surface: pygame.Surface | None = None,
    ) -> None:
        from booth.ui import slip_check  # noqa: F401 - adds the slip-check screens to VoterFlow
        from booth.ui.voice import Voice
        from booth.ui.voter_screens import VoterFlow, VoterPrefs

        init_pygame()
        self.api = api
        self.station = station
        self.devices = devices
        self.size = (int(size[0]), int(size[1]))
        self.clock = clock or _UiClock()
        self.settings = settings or KioskSettings()
        self.surface = surface if surface is not None else pygame.Surface(self.size)
        self.owns_display = surface is not None and surface is pygame.display.get_surface()
        self.on_present = None  # a simulator window's hook: called with the surface after each frame
        self.running = True
        self.frame = Frame(0, "")
        self.showing_focus = False
        self.voice = voice if voice is not None else Voice(self.settings.voice_dir)
        self.prefs = VoterPrefs(language=self.settings.language)
        self.companion_language = self.settings.language
        self.mode = "voter"
        self.companion_stack: list = []
        self.token: str | None = None
        self.whoami: dict | None = None
        self.last_companion: str | None = None
        self.last_activity = self.now()
        self.last_self_test: dict | None = None
        self.camera_ok: bool | None = None  # from the companion home's last camera check
        self.photos: dict[int, pygame.Surface | None] = {}  # candidate photos, decoded once
        self._themes: dict = {}
        self._inbox: deque = deque()
        self._presses: queue.SimpleQueue = queue.SimpleQueue()
        self._power: queue.SimpleQueue = queue.SimpleQueue()
        self._jobs: list = []
        self._corner_since: float | None = None
        self._poll_soon = True
        self._glass: list[Op] | None = None  # the drawing operations of the frame on the glass
        self._glass_screen = None  # the screen they came from
        self._lively_until = 0.0  # until then frames come at ``fps`` (see _draw)
        self._changed_alone_at = -1e9  # when the screen last changed by itself
        self.drawn = RegionCache(int(self.settings.drawn_cache_screens * self.size[0] * self.size[1]))
        self.looks = Looks()  # widgets' recorded looks: a dry run copies them (see booth.ui.frames)
        self.frames = FrameMemo()  # whole dry runs, by the screens' frame keys (see booth.ui.frames)
        #: every frame taken from the memo checked against a fresh dry run (the tests set it)
        self.check_frames = os.environ.get("BOOTH_UI_CHECK_FRAMES") == "1"
        self._scratch: pygame.Surface | None = None  # where pressed looks are drawn ahead (ready_pressed)
        self._readied: tuple | None = None  # the screen and frame whose pressed looks were drawn ahead
        self._waiter: InputWaiter | None = None  # what wait() sleeps on (made by the first wait)
        self._woken: list = []  # the pygame event that ended a sleep, handled first on the next step
        self.power_state = None
        i18n.set_language(self.prefs.language)
        devices.buttons.on_press(self._on_press)  # called from the GPIO thread
        try:
            devices.power.on_change(self._on_power)
            self.power_state = devices.power.state().value
        except Exception as exc:  # noqa: BLE001 - a missing UPS HAT is not a reason to stop voting
            log.warning("no power monitor, the booth runs without one: %s (%s)", exc, type(exc).__name__)
            self.power_state = None
        self.voter = VoterFlow(self)
        # the polling station (booth.ui.station_screens): a desk's board of its booths (the link's
        # status) and, in the simulator, the hands that carry a release or a cancel notice to a
        # booth (on the appliance the station relay carries them from the ledger)
        self.booth_board: BoothBoard | None = None
        self.on_release = None  # (booth number, token bytes) -> None
        self.on_cancel = None  # (booth number, notice bytes) -> None
        self._role: str | None = None

    # ------------------------------------------------------------- display
    @staticmethod
    def open_display(size: tuple[int, int] | None, *, windowed: bool = False) -> pygame.Surface:
        """Open the kiosk's display: full screen without cursor (or a window for development)."""
        os.environ.setdefault("SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "0")
        init_pygame()
        if size is None:
            info = pygame.display.Info()
            size = (info.current_w, info.current_h)
        flags = 0 if windowed else pygame.FULLSCREEN | pygame.NOFRAME
        surface = pygame.display.set_mode(size, flags)
        pygame.display.set_caption("booth")
        pygame.mouse.set_visible(windowed)
        pygame.display.set_allow_screensaver(False)  # the display never sleeps while polls are open
        return surface

    def run(self) -> None:
        """The loop of a kiosk that owns the display, until a ketua exits the kiosk."""
        try:
            while self.running:
                self.step()
                self.wait()
        finally:
            self.stop_waiting()

    def present(self, rects: list[pygame.Rect] | None = None) -> None:
        """Show the frame: the whole surface, or only ``rects`` of it."""
        if self.owns_display:
            full = not rects or (len(rects) == 1 and rects[0].size == self.size)
            if full:
                pygame.display.flip()
            else:
                pygame.display.update(rects)
        if self.on_present is not None:
            self.on_present(self.surface)

    def _on_press(self, nav) -> None:
        self._presses.put(nav)
        self._wake_up()

    def _on_power(self, state) -> None:
        self._power.put(state)
        self._wake_up()

    def _wake_up(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            waiter.wake()

    def next_wake(self) -> float:
        """The kiosk time by which the next step must run even if nobody touches anything.

        The next poll of the core (voter mode) or the companion screens' idle limit, the
        screen's own timers (``Screen.wake_at``), and, while the screen keeps changing
        by itself (a countdown, the camera's preview), the next frame at ``fps``.
        """
        now = self.now()
        if self._jobs or self._inbox or (self._poll_soon and self.mode == "voter"):
            return now  # (companion screens act on the step of the touch: nothing to ask the core)
        if now < self._lively_until:
            return now + 1.0 / max(1, self.settings.fps)
        due = now + self.settings.poll_interval
        if self.mode == "voter":
            polled = getattr(self.voter, "_last_poll", None)
            if polled is not None:
                due = min(due, polled + self.settings.poll_interval)
        else:
            due = min(due, self.last_activity + self.settings.companion_idle_s)
        own = self.screen.wake_at(now)
        if own is not None:
            due = min(due, own)
        if self._corner_since is not None:
            due = min(due, self._corner_since + self.settings.long_press_s)
        # never sooner than a frame: a deadline that stays in the past (a core that does not
        # answer, a timer that does not move on) must not turn the loop into a busy one
        return max(now + 1.0 / max(1, self.settings.fps), due)

    def wait(self, until: float | None = None) -> bool:
        """Sleep until there is something to do: a touch, a button or power change, or
        :meth:`next_wake` (or ``until``, kiosk seconds).  Returns True if input ended the sleep.

        On the appliance (KMSDRM) it sleeps on the touch screen's device itself and wakes
        when the kernel has a touch (:mod:`booth.ui.wakeup`); elsewhere it looks for
        events every ``input_poll_s``.  Button presses and power changes wake it at once.
        """
        waiter = self._waiter
        if waiter is None:
            on_devices = self.owns_display and pygame.display.get_driver().lower() in DEVICE_DRIVERS
            waiter = self._waiter = InputWaiter(None if on_devices else [])
        deadline = self.next_wake() if until is None else until
        while self.running:
            if self.owns_display:
                events = pygame.event.get()
                if events:
                    self._woken.extend(events)
                    return True
            if self._inbox or not self._presses.empty() or not self._power.empty():
                return True
            left = deadline - self.now()
            if left <= 0:
                return False
            waiter.wait(left if waiter.sleeps_on_devices else min(left, self.settings.input_poll_s))
        return False

    def stop_waiting(self) -> None:
        """Close what :meth:`wait` sleeps on (the loop ended)."""
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.close()

    # ---------------------------------------------------------------- time
    def now(self) -> float:
        """The kiosk's monotonic seconds (the injected clock's, so tests move time)."""
        return self.clock.monotonic_ns() / 1e9

    def wall_time(self) -> dt.datetime:
        return self.clock.now()

    def note_activity(self) -> None:
        self.last_activity = self.now()

    def after_action(self) -> None:
        """Something happened: ask the core again on this frame, not after the poll interval."""
        self._poll_soon = True

    def later(self, job) -> None:
        """Run ``job()`` after the current frame has been shown (slow work: printing, camera)."""
        self._jobs.append(job)

    # -------------------------------------------------------------- frames
    @property
    def screen(self):
        """The screen on top."""
        if self.mode == "companion" and self.companion_stack:
            return self.companion_stack[-1]
        return self.voter.screen

    def feed(self, event) -> None:
        """Queue an input event: a pygame event, a :class:`Touch` or a :class:`Press`."""
        self._inbox.append(event)

    def step(self) -> Frame:
        """Run one frame: input, state, draw, present, jobs."""
        if self.mode == "companion" and self.now() - self.last_activity > self.settings.companion_idle_s:
            self.close_companion()  # before input: a touch after a long absence starts afresh
        events = list(self._inbox)
        self._inbox.clear()
        if self.owns_display:
            events = self._woken + pygame.event.get() + events
            self._woken = []
        for event in events:
            self._dispatch(event)
        while True:
            try:
                nav = self._presses.get_nowait()
            except queue.Empty:
                break
            self._dispatch(Press(nav))
        while True:
            try:
                self.power_state = self._power.get_nowait().value
                self._poll_soon = True
            except queue.Empty:
                break
        now = self.now()
        if self.mode == "voter":
            self.voter.sync(now, force=self._poll_soon)
            self._poll_soon = False
            if self._corner_since is not None and now - self._corner_since >= self.settings.long_press_s:
                self._corner_since = None
                self.voter.screen.cancel_touch()
                self.open_companion()
        self.screen.update(now)
        if self.mode == "voter":  # a timer may have moved the voter on: show it on this frame
            self.voter.sync(now, force=self._poll_soon)
            self._poll_soon = False
        screen = self.screen
        rects = self._draw(screen, touched=bool(events))
        if rects:
            self.present(rects)
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            job()
        return self.frame

    def _draw(self, screen, *, touched: bool = False) -> list[pygame.Rect]:
        """Draw what changed on the surface; return the regions drawn (see :mod:`booth.ui.frames`)."""
        i18n.set_language(self.prefs.language if self.mode == "voter" else self.companion_language)
        fresh = screen is not self._glass_screen
        if screen.needs_layout(self.size):
            screen.layout(self.size)
            fresh = True
        theme = self.theme_for(screen)
        dry = self._record(screen, theme)
        rects = rects_between(None if fresh else self._glass, dry, self.size)
        if rects:
            painter = Painter(self.surface, theme)
            for rect in rects:
                key, keep = dry.region_key(rect)
                pixels = self.drawn.get(key, rect)
                if pixels is not None:  # drawn before exactly so: one blit
                    self.surface.blit(pixels, rect)
                else:
                    replay(dry.ops, painter, rect)  # what the dry run recorded, only where it touches
                    pixels = self.surface.subsurface(rect).copy()
                    if fresh or touched:  # what moves by itself (a preview, a countdown) never comes back
                        self.drawn.put(key, pixels, keep)
                if rect.size == self.size:
                    self.drawn.whole(dry.ops, pixels)
        now = self.now()
        if fresh or touched:
            # a new screen or a touch: look at ``fps`` for a while, so an animation that starts
            # with it (the camera's preview, the busy stripe) runs smoothly from its first frame
            self._lively_until = now + self.settings.lively_s
        elif rects:
            # it changed by itself: an animation if it did so a moment ago (the preview, 10 a
            # second), not if seconds apart (a clock, a countdown: the next poll shows them)
            if now - self._changed_alone_at < self.settings.animation_gap_s:
                self._lively_until = now + self.settings.lively_s
            self._changed_alone_at = now
        self._glass, self._glass_screen = dry.ops, screen
        if rects and (rects[0].size == self.size or (touched and screen._down is None)):
            # a new screen (or one drawn whole again), or one a finger changed and left (a letter
            # typed): the pressed looks of its cards and keys, ready for the next finger
            self.later(lambda: self.ready_pressed(screen, dry, theme))
        number = self.frame.number + (1 if rects else 0)
        self.frame = Frame(number, screen.name, dry.items, rects)
        return rects

    def _frame_key(self, screen, theme, **pressed) -> tuple | None:
        key = screen.frame_key(**pressed)
        return None if key is None else (key, id(theme), i18n.language())

    def _record(self, screen, theme) -> RecordingPainter:
        """The dry run of ``screen``'s next frame: kept from an earlier step when the screen says
        its frame looks as it did then (``Screen.frame_key``), else run now (and kept if it can be)."""
        key = self._frame_key(screen, theme)
        kept = None if key is None else self.frames.get(key)
        if kept is not None and not self.check_frames:
            return kept
        # (checking: every widget recorded afresh too, so a widget's look kept wrong shows as well)
        dry = RecordingPainter(theme, self.size, None if kept is not None else self.looks)
        screen.draw(dry)
        if kept is not None:  # BOOTH_UI_CHECK_FRAMES=1 (the tests): the kept record must be this one
            wrong = same_record(kept, dry)
            if wrong is not None:
                raise AssertionError(f"screen {screen.name!r}: its frame key leaves out something it draws: {wrong}")
            return kept
        if key is not None:
            self.frames.put(key, dry)
        return dry

    def ready_pressed(self, screen, dry: RecordingPainter, theme) -> None:
        """Draw ahead, after a new screen is on the glass, the pressed look of each of its targets
        that asks for it (``ready_pressed``: the candidate cards, the keys) into the region cache: a finger
        on a card is then one blit of that card and an update of its rectangle, the first time too.

        The regions and keys are those the finger-down step will find (the same dry-run record
        with that one widget's operations pressed), so a look drawn ahead is only ever shown where
        the step's own comparison asks for exactly it.  When the screen can say what its frames
        depend on, that record is kept (:class:`FrameMemo`) under the frame key the finger-down
        step computes: that step then runs no dry run either.
        """
        if dry.ops is not self._glass:
            return  # another frame came first: its own step draws what it needs
        readied = (screen, self.drawn.cleared, id(dry.ops))
        if readied == self._readied:
            return  # this very screen was readied before (the ballot again after "No, go back")
        self._readied = readied
        if self._scratch is None or self._scratch.get_size() != self.size:
            self._scratch = pygame.Surface(self.size, 0, self.surface)
        painter = Painter(self._scratch, theme)
        for w in screen.targets():
            if not getattr(w, "ready_pressed", False) or not w.enabled or id(w) not in dry.segments:
                continue
            key = self._frame_key(screen, theme, pressed=w)
            pressed = None if key is None else self.frames.get(key)
            if pressed is None:
                pressed = dry.with_pressed(w)
                if key is not None:
                    self.frames.put(key, pressed)
            for rect in rects_between(dry.ops, pressed, self.size):
                region, keep = pressed.region_key(rect)
                if rect.size == self.size or self.drawn.has(region):
                    continue
                replay(pressed.ops, painter, rect)
                self.drawn.put(region, self._scratch.subsurface(rect).copy(), keep)

    def redraw(self) -> None:
        """Draw the whole screen again on the next step (e.g. after something else drew on the surface)."""
        self._glass = None

    def _dispatch(self, event) -> None:
        item: Touch | Press | None
        if isinstance(event, (Touch, Press)):
            item = event
        elif event.type == pygame.QUIT:
            # Window controls do nothing on the appliance; only a ketua exits (companion home).
            if self.settings.windowed:
                self.running = False
            return
        elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED):
            self.redraw()  # the window system lost what was shown (a desktop window): show it whole
            return
        elif event.type == pygame.KEYDOWN:
            if self.settings.windowed and event.key in DEV_KEYS:
                self._dispatch(Press(DEV_KEYS[event.key]))
            return  # the appliance has no keyboard shortcuts
        else:
            item = from_pygame(event, self.size)
            if item is None:
                return
        if isinstance(item, Press) and item.nav is Nav.COMPANION:
            if self.mode == "voter":
                self.open_companion()
            else:
                self.screen.handle(item)
            return
        if isinstance(item, Touch) and self.mode == "voter":
            self._corner(item)
        self.screen.handle(item)

    def _corner(self, t: Touch) -> None:
        """The hidden corner: a long press at the top-left opens the companion screens."""
        size = self.theme_for(self.voter.screen).target
        inside = t.pos[0] < size and t.pos[1] < size
        if t.kind == "down" and inside:
            self._corner_since = self.now()
        elif t.kind == "up" or not inside:
            self._corner_since = None

    def theme_for(self, screen) -> Theme:
        voter = getattr(screen, "voter", False)
        key = (voter and self.prefs.large_text, voter and self.prefs.high_contrast)
        theme = self._themes.get(key)
        if theme is None:
            theme = Theme(self.size, dpi=self.settings.dpi, large_text=key[0], high_contrast=key[1])
            self._themes[key] = theme
        return theme

    # --------------------------------------------------------------- voice
    def say(self, key: str, **values) -> None:
        """Play spoken clip ``key`` if the voter turned the voice on."""
        if self.mode == "voter" and self.prefs.voice:
            self.voice.say(key, self.prefs.language)

    # ------------------------------------------------------------- the core
    def call(self, fn, *args, on_error=None, **kwargs):
        """Call the core; on a refusal show its words (or let ``on_error(exc)`` handle it).

        Returns ``(True, result)`` or ``(False, error)``.  Unexpected exceptions propagate.
        """
        try:
            return True, fn(*args, **kwargs)
        except BoothError as exc:
            if isinstance(exc, NotSignedIn) and self.mode == "companion":
                self.token = None
                self.whoami = None
                self.show_sign_in(message=exc)
                return False, exc
            if on_error is None or not on_error(exc):
                self.show_error(exc)
            return False, exc

    def show_error(self, exc, *, title=None) -> None:
        from booth.ui.common_screens import ErrorScreen

        if self.mode == "companion":
            self.push(ErrorScreen(self, exc, title=title))
        else:
            self.voter.show_error(exc)

    def candidate_photo(self, number: int) -> pygame.Surface | None:
        """Candidate ``number``'s photo as a surface (decoded once, then kept)."""
        import io

        if number not in self.photos:
            ok, blob = self.call(self.api.candidate_photo, number, on_error=lambda exc: True)
            surf: pygame.Surface | None = None
            if ok:
                try:
                    surf = pygame.image.load(io.BytesIO(blob), "photo.jpg")
                except (pygame.error, ValueError):
                    surf = None
            self.photos[number] = surf
        return self.photos[number]

    # ---------------------------------------------------------- companions
    def open_companion(self) -> None:
        """The companion button (or the hidden corner): the sign-in screen over the voter's."""
        from booth.ui.signin import SignInScreen

        if self.mode == "companion":
            return
        self.voter.screen.cancel_touch()
        self.mode = "companion"
        self.showing_focus = False
        self.note_activity()
        self.companion_stack = [SignInScreen(self)]
        self.companion_stack[-1].on_show()

    def device_role(self) -> str:
        """``desk``, ``booth`` or ``single`` (chosen at provisioning; asked of the core once)."""
        if self._role is None:
            ok, status = self.call(self.api.status, on_error=lambda exc: True)
            if not ok:
                return "single"  # not known yet (the service restarts): asked again next time
            self._role = str(status.get("role") or "single")
        return self._role

    def show_sign_in(self, *, message=None) -> None:
        from booth.ui.signin import SignInScreen

        self.companion_stack = [SignInScreen(self, message=message)]
        self.companion_stack[-1].on_show()

    def signed_in(self, token: str, companion_id: str) -> None:
        from booth.ui.companion_home import CompanionHome

        self.token = token
        self.last_companion = companion_id
        ok, who = self.call(self.api.whoami, token)
        self.whoami = who if ok else {"id": companion_id, "name": companion_id, "role": ""}
        self.companion_stack = [CompanionHome(self)]
        self.companion_stack[-1].on_show()
        ok, booth = self.call(self.api.voter_screen, on_error=lambda exc: True)
        if ok and booth.get("screen") == "disputed":  # called to the booth for a disputed slip: straight to it
            from booth.ui.slip_check import SpoilScreen

            self.push(SpoilScreen(self))

    def close_companion(self) -> None:
        """Back to the voter's screen; the companion is signed out (the next time needs the PIN)."""
        if self.token is not None:
            self.call(self.api.sign_out, self.token, on_error=lambda exc: True)
        self.token = None
        self.whoami = None
        for s in self.companion_stack:
            s.on_hide()
        self.companion_stack = []
        self.mode = "voter"
        self.showing_focus = False
        self.note_activity()
        self._poll_soon = True

    def push(self, screen) -> None:
        if self.companion_stack:
            self.companion_stack[-1].on_hide()
        self.companion_stack.append(screen)
        screen.on_show()
        self.note_activity()

    def pop(self) -> None:
        if len(self.companion_stack) > 1:
            self.companion_stack.pop().on_hide()
            self.companion_stack[-1].on_show()
        self.note_activity()

    def go_home(self) -> None:
        """Back to the companion's home screen (the screens below it are closed)."""
        from booth.ui.companion_home import CompanionHome

        self.pop_to(CompanionHome)

    def pop_to(self, cls) -> None:
        """Pop screens until one of type ``cls`` is on top (the home screen, usually)."""
        while len(self.companion_stack) > 1 and not isinstance(self.companion_stack[-1], cls):
            self.companion_stack.pop().on_hide()
        self.companion_stack[-1].on_show()

    def replace(self, screen) -> None:
        if self.companion_stack:
            self.companion_stack.pop().on_hide()
        self.push(screen)

    def exit_kiosk(self) -> None:
        """A ketua ends the kiosk (maintenance); the service restarts it on the appliance."""
        self.close_companion()
        self.running = False

    def set_companion_language(self, lang: str) -> None:
        self.companion_language = lang
        i18n.set_language(lang)

    def save_screenshot(self, path) -> None:
        pygame.image.save(self.surface, str(path))
