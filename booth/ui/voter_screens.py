"""What the voter sees, from "Menunggu petugas" to "Terima kasih".

The core decides where the voter is (``api.voter_screen()``: waiting, ballot,
printing, print_failed, slip_check, disputed, photo, paused, closed, not_open);
:class:`VoterFlow` adds the steps that live only on the glass — the
confirmation ("Anda memilih Nomor Urut 2. Benar?"), the thank-you — and picks
the screen (the slip check and the disputed slip: ``booth.ui.slip_check``).
Nothing is cast without "Ya, Pilih": the only call to ``station.cast`` is in
:meth:`VoterFlow.confirm`.

The day of one voter::

    waiting --(companion releases)--> ballot --touch a card--> confirm
    confirm --Tidak, Ulangi--> ballot
    confirm --Ya, Pilih--> printing --slip ok--> slip_check --Struk sesuai--> photo --> thanks --> waiting
                                    --printer fault--> print_failed --(companion reprints)--> slip_check
    slip_check --Struk tidak sesuai--> disputed --(companion spoils, PIN)--> ballot (the same release)
    ballot, untouched --> "are you still voting?" --> "Panggil petugas" --> (expired / cancelled) waiting

A voter's text size, contrast, language and voice are theirs alone: they
are reset when the next voter's ballot is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pygame

from booth.errors import BoothError, NotAllowed, TooSoon
from booth.hardware.camera import CameraError
from booth.hardware.controls import Nav
from booth.ui import layout as L
from booth.ui.drawing import fit
from booth.ui.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, N_, _, data, error_words, gettext_in
from booth.ui.screen import Screen
from booth.ui.theme import font
from booth.ui.widgets import Button, CandidateCard, Label, Picture, ProgressBar, Toggle

#: Voter screens defined in other modules, by the core's screen name: ``booth.ui.slip_check`` adds
#: ``slip_check`` and ``disputed`` when it is imported (``KioskApp`` imports it with ``VoterFlow``).
OTHER_SCREENS: dict[str, type[Screen]] = {}


@dataclass
class VoterPrefs:
    """What one voter switched on; back to defaults for the next voter."""

    large_text: bool = False
    high_contrast: bool = False
    language: str = DEFAULT_LANGUAGE
    voice: bool = False


class VoterFlow:
    """Chooses the voter's screen from the core's state and the voter's own steps."""

    def __init__(self, app) -> None:
        self.app = app
        self.core: dict = {"screen": None}
        self.release: str | None = None  # the release of the voter now in the booth
        self.choice: str | None = None  # touched, not yet confirmed
        self.casting: dict | None = None  # confirmed: {"release", "selection", "retry_at"}
        self.spoils_told = 0  # spoils of this release the voter was told about ("choose again")
        self.photo_reached: set[str] = set()
        self.thanks_until = 0.0
        self.error: tuple | None = None  # (words, until) a short notice on the voter's screen
        self.last_print: object | None = None  # the last print Outcome (the companion's reprint screen)
        self.candidates: list[dict] = []
        self.allow_blank = False
        self.election: dict | None = None
        self._last_poll = float("-inf")
        self._key: tuple[Any, ...] | None = None
        self._reset_pending = False
        self.screen: Screen = NotOpenScreen(app)

    # ------------------------------------------------------------ the core
    def poll(self, now: float) -> None:
        ok, vs = self.app.call(self.app.api.voter_screen, on_error=lambda exc: True)
        self._last_poll = now
        if not ok:
            if getattr(vs, "code", None) == "ledger_unavailable":
                # the ledger service is restarting: "please wait"; the next answer resumes the session
                self.core = {"screen": "unavailable"}
            return
        if vs != self.core:
            self.core = vs
            if self.election is None and vs.get("screen") not in (None, "not_open"):
                self.load_election()
            self.app.station.show_state()

    def load_election(self) -> None:
        """The candidates (once per package), their photos decoded off the voter's path."""
        ok, info = self.app.call(self.app.api.election_info, on_error=lambda exc: True)
        if not ok:
            return
        self.election = info
        self.candidates = info["candidates"]
        self.allow_blank = bool(info.get("allow_blank"))
        for c in self.candidates:
            self.app.candidate_photo(c["number"])
        self.app.voice.prepare([(c["number"], c["name"]) for c in self.candidates])

    def sync(self, now: float, *, force: bool = False) -> None:
        """Once per frame in voter mode: ask the core when due, then show the right screen."""
        if force or now - self._last_poll >= self.app.settings.poll_interval:
            self.poll(now)
        key = self.desired(now)
        if key != self._key:
            self._key = key
            self.screen = self._make(key)
            self.app.note_activity()
            self.screen.shown_at = now
            self.screen.on_show()

    def desired(self, now: float) -> tuple:
        s = self.core.get("screen")
        release: Any = self.core.get("release")  # the core's JSON
        if self.casting is not None:
            return ("printing", self.casting["release"])
        if s == "ballot":
            if release != self.release:
                self.start_voter(release)
            spoils = int(self.core.get("spoils") or 0)
            if spoils > self.spoils_told:  # back on the ballot after a companion spoiled the disputed one
                self.spoils_told = spoils
                self.error = (_("Your earlier ballot was cancelled. Please choose again."), now + 10.0)
            if self.choice is not None:
                return ("confirm", release, self.choice)
            return ("ballot", release)
        if s in ("printing", "print_failed", "slip_check", "disputed"):
            self.release = release
            return (s, release)
        if s == "photo":
            self.release = release
            self.photo_reached.add(release)
            return ("photo", release)
        if self.release is not None:  # the voter's release is over (voted, expired or cancelled)
            if self.release in self.photo_reached:
                self.thanks_until = now + self.app.settings.thanks_s
            self.end_voter()
        if s == "waiting" and now < self.thanks_until:
            return ("thanks",)
        if self._reset_pending:  # after the thank-you, the next voter starts from the defaults
            self._reset_pending = False
            self.app.prefs = VoterPrefs(language=self.app.settings.language)
        return (s or "not_open",)

    def start_voter(self, release: str) -> None:
        """A new voter: fresh settings, nothing chosen."""
        self.release = release
        self.choice = None
        self.spoils_told = 0
        self.app.prefs = VoterPrefs(language=self.app.settings.language)
        self.app.showing_focus = False

    def end_voter(self) -> None:
        self.release = None
        self.choice = None
        self._reset_pending = True
        self.app.voice.stop()
        self.app.station.show_state()

    def _make(self, key: tuple) -> Screen:
        if key[0] in OTHER_SCREENS:
            return OTHER_SCREENS[key[0]](self.app)
        cls = {
            "waiting": WaitingScreen,
            "ballot": BallotScreen,
            "confirm": ConfirmScreen,
            "printing": PrintingScreen,
            "print_failed": PrintFailedScreen,
            "photo": PhotoScreen,
            "thanks": ThanksScreen,
            "paused": PausedScreen,
            "closed": ClosedScreen,
            "not_open": NotOpenScreen,
            "unavailable": UnavailableScreen,
        }[key[0]]
        return cls(self.app)

    # ------------------------------------------------------- voter's steps
    def choose(self, selection: str) -> None:
        """A card was touched (or selected with the buttons): ask for confirmation."""
        self.choice = str(selection)  # the confirmation screen reads it out when it appears

    def reject(self) -> None:
        """ "Tidak, Ulangi": back to the ballot, nothing recorded."""
        self.choice = None
        self.app.say("ballot")

    def confirm(self) -> None:
        """ "Ya, Pilih": record and print — after the "printing" screen is on the glass."""
        if self.choice is None or self.release is None:
            return
        self.casting = {"release": self.release, "selection": self.choice, "retry_at": None}
        self.choice = None
        self.app.say("printing")
        self.app.later(self._cast)

    def _cast(self) -> None:
        job = self.casting
        if job is None:
            return
        try:
            outcome = self.app.station.cast(job["release"], job["selection"])
        except TooSoon as exc:
            # Nothing was recorded; the guard asks for a few seconds between ballots.
            job["retry_at"] = self.app.now() + float(exc.details.get("wait_seconds", 1.0))
            return
        except BoothError as exc:
            self.casting = None
            self.show_error(exc)
            return
        self.last_print = outcome
        self.casting = None
        self.app.after_action()

    def retry_cast_if_due(self, now: float) -> None:
        if self.casting and self.casting["retry_at"] is not None and now >= self.casting["retry_at"]:
            self.casting["retry_at"] = None
            self.app.later(self._cast)

    def show_error(self, exc) -> None:
        self.error = (error_words(exc), self.app.now() + 8.0)


# ====================================================================== base
class VoterScreen(Screen):
    """A voter's screen: the voter's text size / contrast; big words; no way out by touch."""

    voter = True
    speech: str | None = None  # clip played when the screen appears (voice on)

    @property
    def flow(self) -> VoterFlow:
        return self.app.voter

    def on_show(self) -> None:
        if self.speech:
            self.app.say(self.speech)

    def draw(self, p) -> None:
        super().draw(p)
        self.notice(p)

    def message_screen(self, p, title, body=None, *, icon: str | None = None, color=None, small=None) -> None:
        """Big centred words (the waiting/printing/thanks family)."""
        area = L.inset(pygame.Rect(0, 0, *self.size), p.theme.margin * 2)
        if icon:
            ic, area = L.split_top(area, int(area.height * 0.28))
            p.icon(icon, L.centered(ic, ic.height, ic.height), color or p.colors.fg)
        if body is not None:
            top, bottom = L.split_top(area, int(area.height * 0.5), p.theme.gap)
            p.text(title, top, int(p.theme.title * 1.6), bold=True, valign="bottom", color=color)
            if small is not None:
                bottom, low = L.split_bottom(bottom, int(bottom.height * 0.3))
                p.text(small, low, p.theme.small, color=p.colors.muted, valign="bottom")
            p.text(body, bottom, p.theme.title, valign="top")
        else:
            p.text(title, area, int(p.theme.title * 1.6), bold=True, color=color)

    def paint_key(self):
        # a notice from the core shows until its time is up: such a frame is drawn afresh
        return None if self.flow.error is not None else ("voter",)

    def notice(self, p) -> None:
        """A short notice from the core (e.g. a refusal) across the bottom."""
        err = self.flow.error
        if err is None:
            return
        if self.app.now() > err[1]:
            self.flow.error = None
            return
        box = L.split_bottom(pygame.Rect(0, 0, *self.size), p.theme.target)[1]
        p.box(box, p.colors.danger_bg, radius=0)
        p.text(err[0], L.inset(box, p.theme.margin, 4), p.theme.body, color=p.colors.danger_fg, bold=True)


class WaitingScreen(VoterScreen):
    """Locked: no ballot released.  Both languages, the Indonesian first and biggest."""

    name = "waiting"

    def paint(self, p):
        # a station's booth opens only on the desk's release (booth.ui.station_screens)
        words = N_("Waiting for the desk") if self.app.device_role() == "booth" else N_("Waiting for a companion")
        area = L.inset(pygame.Rect(0, 0, *self.size), p.theme.margin * 2)
        top, rest = L.split_top(area, int(area.height * 0.45))
        p.text(gettext_in("id", words), top, int(p.theme.title * 1.7), bold=True, valign="bottom")
        mid, low = L.split_top(rest, int(rest.height * 0.35))
        p.text(gettext_in("en", words), mid, p.theme.title, color=p.colors.muted)
        if self.flow.election:
            p.text(data(self.flow.election.get("title", "")), low, p.theme.small, color=p.colors.muted, valign="bottom")


class _ClosedLike(VoterScreen):
    title_msgid = ""
    body_msgid = ""

    def paint(self, p):
        self.message_screen(p, _(self.title_msgid), _(self.body_msgid))


class PausedScreen(_ClosedLike):
    name = "paused"
    speech = "paused"
    title_msgid = N_("Voting is paused")
    body_msgid = N_("Please wait. A companion will open the booth again.")


class ClosedScreen(_ClosedLike):
    name = "closed"
    title_msgid = N_("The polling station is closed")
    body_msgid = N_("Thank you for taking part.")


class NotOpenScreen(_ClosedLike):
    name = "not_open"
    title_msgid = N_("Voting has not opened yet")
    body_msgid = N_("Please wait for the companion.")


# ==================================================================== ballot
class AccessBar:
    """The voter's own settings: large text, high contrast, language, sound."""

    def __init__(self, screen: VoterScreen) -> None:
        self.screen = screen
        app = screen.app
        prefs = lambda: app.prefs  # noqa: E731 - prefs are replaced for each voter

        def flip(attr):
            def go():
                setattr(app.prefs, attr, not getattr(app.prefs, attr))
                app.say({"large_text": "large_text", "high_contrast": "high_contrast", "voice": "sound"}[attr])

            return go

        def next_language():
            langs = list(LANGUAGES)
            app.prefs.language = langs[(langs.index(app.prefs.language) + 1) % len(langs)]
            app.say("language")

        self.toggles = [
            Toggle(_("Large text"), lambda: prefs().large_text, flip("large_text"), icon="text", speech="large_text"),
            Toggle(
                _("Contrast"),
                lambda: prefs().high_contrast,
                flip("high_contrast"),
                icon="contrast",
                speech="high_contrast",
            ),
            # The switch names the language it switches *to*, in that language.
            Toggle(
                data(LANGUAGE_NAMES["en" if app.prefs.language == "id" else "id"]),
                lambda: False,
                next_language,
                icon="globe",
                speech="language",
            ),
            Toggle(_("Sound"), lambda: prefs().voice, flip("voice"), icon="speaker", speech="sound"),
        ]

    def needs(self, theme) -> list[int]:
        """Each toggle's width: its words at the legible size, and a 12 mm target at least."""
        f = font(theme.small, True)
        return [max(theme.target, f.size(str(t.text))[0] + 2 * max(4, theme.gap // 2) + 4) for t in self.toggles]

    def rows_for(self, theme, width: int, gap: int) -> int:
        """One row of toggles, or two where the words do not fit across (a narrow portrait panel)."""
        return 1 if sum(self.needs(theme)) + gap * (len(self.toggles) - 1) <= width else 2

    def height(self, theme, width: int, gap: int) -> int:
        rows = self.rows_for(theme, width, gap)
        return rows * theme.target + (rows - 1) * gap

    def place(self, rect: pygame.Rect, gap: int) -> None:
        """The toggles across ``rect`` (in two rows if need be), each as wide as its words need at
        the legible size, the room left over shared out evenly: "Bahasa Indonesia" is never shrunk."""
        theme = self.screen.theme
        rows = self.rows_for(theme, rect.width, gap)
        per_row = -(-len(self.toggles) // rows)
        for r, row in enumerate(L.rows(rect, rows, gap)):
            toggles = self.toggles[r * per_row : (r + 1) * per_row]
            need = self.needs(theme)[r * per_row : (r + 1) * per_row]
            spare = max(0, row.width - gap * (len(need) - 1) - sum(need))
            x = float(row.left)
            for t, w in zip(toggles, need, strict=True):
                width = w + spare / len(need)
                t.rect = pygame.Rect(round(x), row.top, round(width), row.height)
                x += width + gap
                self.screen.add(t)


def ballot_grid(area: pygame.Rect, names: list[str], gap: int, theme) -> tuple[list[pygame.Rect], int, tuple]:
    """Card boxes, the names' text size and a tall card's (name band, number above) for ``names``
    (a blank card has the name ""): the arrangement with the biggest photos among those where every
    name reads at the ballot's size (``theme.body``, at least 4.0 mm capitals; larger in large-text
    mode, which so gets fewer, bigger cards: bigger photos and names together)."""
    want = max(theme.body, round(theme.ballot_min_px * (theme.TEXT_SCALE_LARGE if theme.large_text else 1.0)))
    pad = max(4, theme.gap // 2)
    best: tuple[tuple, list[pygame.Rect], int, tuple] | None = None
    for cols in range(1, len(names) + 1):
        cells = L.grid(area, len(names), cols, gap)
        probe = CandidateCard(0, "", None, lambda: None, cells[0])
        variants: list[tuple[int | None, bool]] = [(None, False), (None, True)]
        if not probe.horizontal:  # a tall card may give its photo's foot to a long name
            inner_h = cells[0].height - 2 * pad
            variants += [(round(inner_h * f), above) for f in (0.36, 0.42, 0.48, 0.55) for above in (False, True)]
        for band_h, above in variants:
            probe.band_h, probe.number_above = band_h, above
            photo_box, _num, name_box, _align = probe.boxes(pad)
            size, fits = want, True
            for name in (n for n in names if n):
                px, _lines, clipped = fit(
                    name, want, True, name_box, max_lines=3, min_px=theme.ballot_min_px, break_words=False
                )
                size, fits = min(size, px), fits and not clipped
            photo = min(photo_box.width, photo_box.height * 3 / 4)  # portraits are 3:4
            big = min(cells[0].size) >= theme.target  # a 12 mm target first, then legible names
            # large text: the names as large as asked first (then the biggest photos with them)
            score = (big, fits, size >= 0.8 * want or not theme.large_text, photo * size / want)
            if best is None or score > best[0]:
                best = (score, cells, size, (band_h, above))
    assert best is not None  # n >= 1 gives at least one arrangement
    return best[1], best[2], best[3]


class BallotScreen(VoterScreen):
    """Every candidate at once: "Sentuh foto calon pilihan Anda"."""

    name = "ballot"
    speech = "ballot"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.idle_stage = 0  # 0 fine, 1 prompted, 2 companion called
        self.next_expire_try: float | None = None
        self._swallow = False  # the finger that woke the ballot is still down

    def build(self, area):
        t = self.theme
        # the band as high in large-text mode as without: its larger words must not cost the photos
        head, rest = L.split_top(area, int(t.variant(large_text=False).title * 2.4))
        self.head_rect = head
        rest = L.inset(rest, t.margin)
        self.access = AccessBar(self)
        cards_box, bar = L.split_bottom(rest, self.access.height(t, rest.width, t.gap), t.gap * 2)
        options = [(str(c["number"]), c["number"], c["name"]) for c in self.flow.candidates]
        if self.flow.allow_blank:
            options.append(("blank", "", ""))
        names = [name for _sel, _number, name in options] or [""]
        cells, name_px, (band_h, above) = ballot_grid(cards_box, names, t.gap * 2, t)
        self.cards = []
        for (sel, number, name), cell in zip(options, cells, strict=False):
            card = CandidateCard(
                number,
                name,
                self.app.candidate_photo(number) if number != "" else None,
                (lambda sel=sel: self.flow.choose(sel)),
                cell,
                blank_words=_("Blank vote") if sel == "blank" else None,
            )
            if sel == "blank":
                card.speech = "candidate_blank"
            self.cards.append(self.add(card))
        for c in self.cards:  # every name at one size, every card alike: none looks more important
            c.name_px, c.band_h, c.number_above = name_px, band_h, above
        self.access.place(bar, t.gap)

    def paint(self, p):
        p.box(self.head_rect, p.colors.header_bg, radius=0)
        p.text(
            _("Touch the photo of the candidate you choose"),
            L.inset(self.head_rect, p.theme.margin, 4),
            p.theme.title,
            color=p.colors.header_fg,
            bold=True,
        )

    def draw(self, p):
        super().draw(p)
        self.idle_banner(p)

    def paint_key(self):
        voter = super().paint_key()  # (the head's words are the layout's and the language's)
        return None if voter is None else (voter, self.idle_stage)

    def on_nav(self, nav):
        self.app.prefs.voice = True  # a voter using the buttons hears the prompts
        if self.idle_stage:
            self.wake()
            return True  # the press that answers "are you still voting?" chooses nothing
        return False

    def handle(self, event):
        from booth.ui.events import Touch

        if isinstance(event, Touch) and (self.idle_stage or self._swallow):
            # The touch that answers "are you still voting?" lands on the banner, not on a
            # candidate under it: it only wakes the ballot.
            if event.kind == "down":
                self._swallow = True
                self.wake()
            elif event.kind == "up":
                self._swallow = False
            self.cancel_touch()
            return
        super().handle(event)

    def wake(self) -> None:
        self.app.note_activity()
        self.idle_stage = 0
        self.next_expire_try = None
        self.app.station.show_state()

    # -------------------------------------------------------- idle voter
    def update(self, now):
        s = self.app.settings
        idle = now - self.app.last_activity
        if idle < s.idle_prompt_s:
            if self.idle_stage:
                self.idle_stage = 0
                self.next_expire_try = None
                self.app.station.show_state()
            return
        if self.idle_stage == 0:
            self.idle_stage = 1
            self.app.say("idle_prompt")
        if idle >= s.idle_call_s and self.idle_stage == 1:
            self.idle_stage = 2
            self.app.say("call_companion")
            self.app.devices.lights.show(attention=True)
            self.next_expire_try = now
        if self.idle_stage == 2 and self.next_expire_try is not None and now >= self.next_expire_try:
            self._try_expire(now)

    def _try_expire(self, now) -> None:
        release = self.flow.release

        def not_yet(exc):
            if isinstance(exc, NotAllowed):
                wait = float(exc.details.get("wait_seconds", s.expire_retry_s))
                self.next_expire_try = now + max(1.0, min(wait, s.expire_retry_s))
                return True
            return False

        s = self.app.settings
        self.next_expire_try = now + s.expire_retry_s
        ok, _result = self.app.call(self.app.api.expire_release, release, on_error=not_yet)
        if ok:
            self.app.after_action()

    def idle_banner(self, p) -> None:
        if not self.idle_stage:
            return
        box = L.centered(pygame.Rect(0, 0, *self.size), int(self.size[0] * 0.9), int(self.size[1] * 0.36))
        p.box(box, p.colors.card_bg, border=p.colors.focus, width=max(4, p.colors.border_width * 2))
        inner = L.inset(box, p.theme.margin)
        if self.idle_stage == 1:
            p.text(_("Are you still voting? Touch the screen to continue."), inner, p.theme.title, bold=True)
        else:
            top, bottom = L.split_top(inner, inner.height // 2)
            p.text(_("Call a companion"), top, int(p.theme.title * 1.4), bold=True, color=p.colors.bad)
            p.text(_("Touch the screen to continue voting"), bottom, p.theme.body)


class ConfirmScreen(VoterScreen):
    """ "Anda memilih Nomor Urut 2. Benar?" — nothing is cast without "Ya, Pilih"."""

    name = "confirm"
    focus_first = 0

    def build(self, area):
        t = self.theme
        sel = self.flow.choice
        self.candidate = next((c for c in self.flow.candidates if str(c["number"]) == sel), None)
        area = L.inset(area, t.margin)
        button_h = max(int(t.target * 1.3), int(t.button * 2.6))
        if t.portrait:
            body, buttons = L.split_bottom(area, button_h * 2 + t.gap * 3, t.gap * 2)
            yes_box, no_box = L.rows(buttons, 2, t.gap * 3)
        else:
            body, buttons = L.split_bottom(area, button_h, t.gap * 2)
            yes_box, no_box = L.columns(buttons, 2, t.gap * 4)
        self.body = body
        self.yes = self.add(
            Button(_("Yes, choose"), self.flow.confirm, yes_box, kind="primary", icon="check", speech="confirm_yes")
        )
        self.no = self.add(Button(_("No, go back"), self.flow.reject, no_box, icon="back", speech="confirm_no"))

    def paint(self, p):
        t = p.theme
        sel = self.flow.choice
        if sel == "blank":
            question = _("You chose a blank vote. Correct?")
        else:
            question = _("You chose ballot number {number}. Correct?").format(number=sel)
        q_box, rest = L.split_top(self.body, int(self.body.height * 0.32), t.gap)
        p.text(question, q_box, int(t.title * 1.25), bold=True)
        if self.candidate is not None:
            photo_box, text_box = L.split_left(rest, min(rest.width // 2, int(rest.height * 0.78)), t.gap * 2)
            p.image(self.app.candidate_photo(self.candidate["number"]) or pygame.Surface((3, 4)), photo_box)
            num_box, name_box = L.split_top(text_box, int(text_box.height * 0.55))
            p.text(data(self.candidate["number"]), num_box, int(num_box.height * 0.9), bold=True, align="left")
            p.text(
                data(self.candidate["name"]),
                name_box,
                max(t.title, t.ballot_min_px),
                bold=True,
                align="left",
                valign="top",
                min_px=t.ballot_min_px,
            )

    def on_show(self):
        self.app.say(f"confirm_{self.flow.choice}")

    def settled(self) -> bool:
        """A second press that comes too soon after the choice (a tremor, a double press) does not cast."""
        return self.app.now() - self.shown_at >= self.app.settings.confirm_guard_s

    def activate(self, widget):
        if widget is self.yes and not self.settled():
            return
        super().activate(widget)

    def on_nav(self, nav):
        self.app.prefs.voice = True
        if nav is Nav.SELECT and self.focused() is None:
            # The spoken prompt says: select for yes, back for no.
            if self.settled():
                self.flow.confirm()
                self.app.after_action()
            return True
        return False

    def back(self):
        self.flow.reject()

    def update(self, now):
        if now - self.app.last_activity >= self.app.settings.idle_prompt_s:
            self.flow.reject()  # an unattended confirmation goes back to the ballot; nothing is cast


class PrintingScreen(VoterScreen):
    """ "Mohon tunggu, struk sedang dicetak" — shown before the printer starts."""

    name = "printing"

    def build(self, area):
        t = self.theme
        bar = L.centered(L.split_bottom(area, int(area.height * 0.3))[1], int(area.width * 0.7), t.target // 2)
        self.add(ProgressBar(lambda: None, bar))

    def paint(self, p):
        self.message_screen(p, _("Please wait, your slip is being printed"), None)

    def update(self, now):
        self.flow.retry_cast_if_due(now)
        release = self.flow.core.get("release")
        if (
            self.flow.casting is None
            and not self.reported
            and release
            and now - self.shown_at >= self.app.settings.lost_print_s
        ):
            # The core says "printing" but this kiosk is printing nothing (it restarted, or lost the
            # answer to the cast): report a failed slip, so a companion reprints it — never a recast.
            self.reported = True
            self.app.call(self.app.api.slip_failed, release, "KioskLostPrint", on_error=lambda exc: True)
            self.app.after_action()

    def __init__(self, app) -> None:
        super().__init__(app)
        self.reported = False


class PrintFailedScreen(VoterScreen):
    """The slip did not print: the vote is safe, a companion reprints (never a second vote)."""

    name = "print_failed"
    speech = "print_failed"

    def paint(self, p):
        self.message_screen(
            p,
            _("Call a companion"),
            _("The slip did not print. Your vote is recorded and safe. A companion will print your slip again."),
            icon="warning",
            color=p.colors.bad,
        )


class PhotoScreen(VoterScreen):
    """Photo instead of ink: look at the camera, countdown, see the photo, keep it or take it again."""

    name = "photo"
    speech = "photo_look"

    def __init__(self, app) -> None:
        super().__init__(app)
        self.phase = "look"  # look, countdown, review, failed
        self.countdown_from = 0.0
        self.preview: pygame.Surface | None = None
        self.preview_at = float("-inf")
        self.jpeg: bytes | None = None
        self.shot: pygame.Surface | None = None
        self.review_since = 0.0
        self.retakes = 0
        self.error = None
        self._said = None

    def state_key(self):
        return self.phase

    def build(self, area):
        t = self.theme
        area = L.inset(area, t.margin)
        button_h = max(int(t.target * 1.2), int(t.button * 2.4))
        head, rest = L.split_top(area, int(t.title * 2.6), t.gap)
        self.head_rect = head
        # what the photo is for, every phase: it replaces the ink, it is not tied to the vote
        self.why_words = _("This photo replaces the ink; it is not linked to your choice")
        why_h = Label.height_for(t, self.why_words, rest.width)
        why, rest = L.split_top(rest, why_h, t.gap)
        self.why_rect = why
        body, foot = L.split_bottom(rest, button_h, t.gap * 2)
        self.picture_box = body
        if self.phase == "look":
            self.add(Picture(lambda: self.preview, body))
            self.add(Button(_("Take the photo"), self.start_countdown, foot, kind="primary", icon="camera"))
        elif self.phase == "countdown":
            self.add(Picture(lambda: self.preview, body))
        elif self.phase == "review":
            self.add(Picture(lambda: self.shot, body))
            keep, again = L.columns(foot, 2, t.gap * 3)
            self.add(Button(_("Keep photo"), self.keep, keep, kind="primary", icon="check"))
            self.add(
                Button(
                    _("Take again"),
                    self.retake,
                    again,
                    icon="back",
                    enabled=self.retakes < self.app.settings.photo_retakes,
                )
            )
        elif self.phase == "failed":
            self.add(Button(_("Try again"), self.try_again, foot, kind="primary", icon="camera"))

    def paint(self, p):
        t = p.theme
        words = {
            "look": _("Look at the camera"),
            "countdown": _("Look at the camera"),
            "review": _("This is your photo"),
            "failed": _("Call a companion"),
            "capturing": _("Look at the camera"),
            "storing": _("Please wait"),
        }[self.phase]
        p.text(
            words, self.head_rect, int(t.title * 1.3), bold=True, color=p.colors.bad if self.phase == "failed" else None
        )
        p.text(self.why_words, self.why_rect, t.body, color=p.colors.muted)
        if self.phase == "failed":
            p.text(self.error, self.picture_box, t.title)

    def draw(self, p):
        super().draw(p)
        if self.phase == "countdown":
            n = self.count_left()
            # words in a band at the bottom ("Foto dalam 3 detik"), not a lone digit in a circle
            # that reads like a nomor urut badge; the voter still sees their own face above it
            words = _("Photo in {seconds} s").format(seconds=max(1, n))
            h = Label.height_for(p.theme, words, self.picture_box.width, size="title", bold=True)
            band = L.split_bottom(self.picture_box, h + p.theme.gap)[1]
            p.box(band, p.colors.card_bg, radius=0)
            p.text(words, band, p.theme.title, bold=True)

    def count_left(self) -> int:
        return self.app.settings.photo_countdown - int(self.app.now() - self.countdown_from)

    def update(self, now):
        if self.phase in ("look", "countdown") and now - self.preview_at >= 0.1:
            self.preview_at = now
            self.preview = self._preview()
        if self.phase == "look" and now - self.shown_at >= self.app.settings.photo_look_s:
            self.start_countdown()
        elif self.phase == "countdown":
            n = self.count_left()
            if n != self._said and n >= 1:
                self._said = n
                self.app.say(f"count_{n}")
            if n <= 0:
                self.phase = "capturing"
                self.app.later(self.capture)
        elif self.phase == "review" and now - self.review_since >= self.app.settings.photo_review_s:
            self.keep()

    def _preview(self) -> pygame.Surface | None:
        try:
            img = self.app.devices.camera.preview()
        except CameraError:
            return None
        img = img.convert("RGB")
        return pygame.image.frombytes(img.tobytes(), img.size, "RGB")

    def start_countdown(self):
        if self.phase != "look":
            return
        self.phase = "countdown"
        self.countdown_from = self.app.now()
        self._said = None

    def capture(self):
        """Take the picture; it is stored only when kept (retake needs it before the core has it)."""
        release = self.flow.release
        try:
            self.jpeg = self.app.devices.camera.capture_jpeg()
        except CameraError as exc:
            self.app.call(self.app.api.photo_failed, release, type(exc).__name__, on_error=lambda e: True)
            self.error = error_words(exc)
            self.phase = "failed"
            self.app.say("photo_failed")
            self.app.devices.lights.show(attention=True)
            return
        import io

        self.shot = pygame.image.load(io.BytesIO(self.jpeg), "photo.jpg")
        self.phase = "review"
        self.review_since = self.app.now()
        self.app.say("photo_review")

    def keep(self):
        if self.phase != "review":
            return
        self.phase = "storing"
        ok, _r = self.app.call(self.app.api.store_photo, self.flow.release, self.jpeg)
        if not ok:
            self.phase = "review"
            self.review_since = self.app.now()
        self.app.after_action()

    def retake(self):
        if self.phase == "review" and self.retakes < self.app.settings.photo_retakes:
            self.retakes += 1
            self.jpeg = self.shot = None
            self.phase = "look"
            self.shown_at = self.app.now()

    def try_again(self):
        self.phase = "look"
        self.shown_at = self.app.now()
        self.app.station.show_state()

    def on_nav(self, nav):
        if self.phase == "review" and nav is Nav.SELECT and self.focused() is None:  # "select to keep it"
            self.keep()
            return True
        if self.phase == "review" and nav is Nav.BACK:
            self.retake()
            return True
        if self.phase == "look" and nav is Nav.SELECT and self.focused() is None:
            self.start_countdown()
            return True
        return False


class UnavailableScreen(_ClosedLike):
    """The ledger service does not answer (it restarts after a fault); the kiosk keeps asking."""

    name = "unavailable"
    title_msgid = N_("Please wait")
    body_msgid = N_("The booth is restarting. Nothing is lost.")


class ThanksScreen(VoterScreen):
    """ "Terima kasih. Suara Anda telah tercatat"."""

    name = "thanks"
    speech = "thanks"

    def paint(self, p):
        self.message_screen(p, _("Thank you. Your vote has been recorded"), None, icon="check", color=p.colors.ok)
