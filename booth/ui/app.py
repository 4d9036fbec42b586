"""The kiosk: one loop that turns touches, button presses and the core's state into frames.

:class:`KioskApp` owns a surface of the panel's size and runs one frame per
:meth:`KioskApp.step`:

1. input — touches (pygame events, or events fed with :meth:`feed`), button
   presses queued by the GPIO thread, power changes;
2. state — in voter mode :class:`~booth.ui.voter_screens.VoterFlow` asks the
   core which voter screen to show (``api.voter_screen()``); in companion mode
   the companion's screen stack is on top;
3. draw — the top screen draws itself and the painter records every text
   (:attr:`items`), then :meth:`present` shows the frame;
4. jobs — work queued with :meth:`later` runs *after* the frame is shown, so
   "Mohon tunggu, struk sedang dicetak" is on the glass before the printer
   starts.

The app never opens a display by itself: :meth:`run` does (full screen, no
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

import pygame

from booth.errors import BoothError, NotSignedIn
from booth.hardware.controls import Nav
from booth.ui import i18n
from booth.ui.drawing import Painter, TextItem
from booth.ui.events import DEV_KEYS, Press, Touch, from_pygame
from booth.ui.theme import Theme

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
    fps: int = 30
    windowed: bool = False  # developer window: closable, arrow keys act as the buttons


class _UiClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()


@dataclass
class Frame:
    """What the last frame showed (for tests, the headless driver and the gallery)."""

    number: int
    screen: str
    items: list[TextItem] = field(default_factory=list)

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

        if not pygame.get_init():
            pygame.init()
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
        self.power_state = None
        i18n.set_language(self.prefs.language)
        devices.buttons.on_press(self._presses.put)  # called from the GPIO thread
        try:
            devices.power.on_change(self._power.put)
            self.power_state = devices.power.state().value
        except Exception as exc:  # noqa: BLE001 - a missing UPS HAT is not a reason to stop voting
            log.warning("no power monitor, the booth runs without one: %s (%s)", exc, type(exc).__name__)
            self.power_state = None
        self.voter = VoterFlow(self)

    # ------------------------------------------------------------- display
    @staticmethod
    def open_display(size: tuple[int, int] | None, *, windowed: bool = False) -> pygame.Surface:
        """Open the kiosk's display: full screen without cursor (or a window for development)."""
        os.environ.setdefault("SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "0")
        pygame.init()
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
        ticker = pygame.time.Clock()
        while self.running:
            self.step()
            ticker.tick(self.settings.fps)

    def present(self) -> None:
        if self.owns_display:
            pygame.display.flip()
        if self.on_present is not None:
            self.on_present(self.surface)

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
            events = pygame.event.get() + events
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
        self._draw(screen)
        self.present()
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            job()
        return self.frame

    def _draw(self, screen) -> None:
        i18n.set_language(self.prefs.language if self.mode == "voter" else self.companion_language)
        if screen.needs_layout(self.size):
            screen.layout(self.size)
        painter = Painter(self.surface, self.theme_for(screen))
        screen.draw(painter)
        self.frame = Frame(self.frame.number + 1, screen.name, painter.items)

    def _dispatch(self, event) -> None:
        item: Touch | Press | None
        if isinstance(event, (Touch, Press)):
            item = event
        elif event.type == pygame.QUIT:
            # Window controls do nothing on the appliance; only a ketua exits (companion home).
            if self.settings.windowed:
                self.running = False
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
