"""The companion's home: where the day stands, how the devices are, and the next things to do.

The left (or top) part shows the polls state, the election's short ID, the
day's counts and the devices (printer paper, camera, power, clock); it is
refreshed every few seconds, and a change of state (polls, the voter in the
booth) is announced: the state card's frame lights up and says what changed.
The right (or bottom) part holds the actions of the phase of the day
(:data:`SLOTS`, :func:`actions_for`), each in its own fixed place whatever the
booth or the devices do: before opening — package, custody, self-test, zero
report and opening; while voting — check-in, pause/resume, reprint, skip the
photo, and apart, in red, cancel the ballot and close the polls (checking the
package and the records wait for a quiet moment: before opening or after); after —
count, results, pack.  An action that does not apply now is greyed in its
place and says why when touched.
"""

from __future__ import annotations

import pygame

from booth.hardware.power import Power
from booth.ui import layout as L
from booth.ui.common_screens import CompanionScreen, QuestionScreen, local_time, show_message
from booth.ui.drawing import fit
from booth.ui.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, core_words, data
from booth.ui.theme import font
from booth.ui.widgets import Button, Panel, even_text

PAPER_WORDS = {
    "ok": (N_("Paper OK"), "ok"),
    "low": (N_("Paper low — have a new roll ready"), "warn"),
    "out": (N_("Paper out — replace the roll"), "bad"),
    "unknown": (N_("Paper: unknown"), "warn"),
}
POWER_WORDS = {
    Power.MAINS.value: (N_("Mains power"), "ok"),
    Power.BATTERY.value: (N_("On battery — mains power is off"), "warn"),
    Power.LOW_BATTERY.value: (N_("Battery low — pause and shut down soon"), "bad"),
}


def device_lines(app) -> list[tuple]:
    """(name, value, colour) lines for the printer, camera, power and clock."""
    lines: list[tuple] = []
    try:
        st = app.devices.printer.status()
        # A printer with a fault reports itself offline too: name the fault first.
        if st.cover_open:
            words, color = N_("Printer cover open"), "bad"
        elif st.jammed:
            words, color = N_("Paper jam"), "bad"
        elif st.paper == "out":
            words, color = PAPER_WORDS["out"]
        elif not st.online:
            words, color = N_("Printer not connected"), "bad"
        else:
            words, color = PAPER_WORDS.get(st.paper, PAPER_WORDS["unknown"])
    except Exception:  # noqa: BLE001 - a printer that cannot answer is shown, not fatal
        words, color = N_("Printer not connected"), "bad"
    lines.append((_("Printer"), _(words), color))
    camera_ok = app.camera_ok if getattr(app, "camera_ok", None) is not None else True
    lines.append((_("Camera"), _("Ready") if camera_ok else _("Camera problem"), "ok" if camera_ok else "bad"))
    if app.power_state is not None:
        words, color = POWER_WORDS.get(app.power_state, (N_("Power: unknown"), "warn"))
        lines.append((_("Power"), _(words), color))
    return lines  # (the clock is in the title band)


def status_lines(device_rows: list[tuple], count_rows: list[tuple]) -> list[tuple]:
    """The home panel's lines, the most urgent first: a device that needs a hand, then the counts;
    devices that are all fine make one green line (a small panel keeps room for the counts).

    >>> ok = [("Printer", "Paper OK", "ok"), ("Camera", "Ready", "ok")]
    >>> [line[0] for line in status_lines(ok, [("DPT", "60", None)])]
    ['DPT', 'Perangkat']
    >>> out = [("Printer", "Paper out", "bad"), ("Camera", "Ready", "ok")]
    >>> [line[0] for line in status_lines(out, [("DPT", "60", None)])]
    ['Printer', 'DPT', 'Camera']
    """
    trouble = [row for row in device_rows if row[2] != "ok"]
    if not trouble:
        return [*count_rows, (_("Devices"), _("Ready"), "ok")]
    fine = [row for row in device_rows if row[2] == "ok"]
    return [*trouble, *count_rows, *fine]


def check_camera(app) -> None:
    """Ask the camera for a preview frame (every few seconds on the home screen)."""
    from booth.hardware.camera import CameraError

    try:
        app.devices.camera.preview()
        app.camera_ok = True
    except CameraError:
        app.camera_ok = False


def phase_of(status: dict) -> str:
    """Which part of the day the home screen is laid out for: setup, voting or after."""
    polls = status.get("polls")
    if polls in ("open", "paused"):
        return "voting"
    if polls in ("closed", "counted", "packed"):
        return "after"
    return "setup"


# Every action of a phase has its own place, whatever the booth or the devices do: an action that
# does not apply now is greyed, in its place, and says why when touched.  Destructive actions sit
# apart, in the bottom row, in the danger colour, and each asks before it acts.
SLOTS = {
    "setup": (["package", "custody", "self_test", "opening", "election", "verify"], []),
    "voting": (["check_in", "pause", "reprint", "skip_photo"], ["cancel_ballot", "spoil", "close"]),
    "after": (["count", "results", "pack", "election", "verify"], []),
}


class HomeAction(Button):
    """An action in its fixed place on the home screen; greyed (and saying why) when it does not apply."""

    def __init__(self, label, on_tap, *, kind: str = "normal", why_not=None, app=None) -> None:
        super().__init__(label, on_tap, kind=kind)
        self.why_not = why_not
        self.app = app

    def colors(self, p, pressed):
        if self.why_not is not None and not pressed:
            c = p.colors
            return c.disabled_bg, c.disabled_fg, c.disabled_fg
        return super().colors(p, pressed)

    def activate(self) -> None:
        if self.why_not is not None:
            show_message(self.app, self.text, self.why_not)
            return
        super().activate()


def actions_for(app, status: dict) -> tuple[list[HomeAction], list[HomeAction]]:
    """The home screen's (routine, destructive) actions for the phase of the day, in their places."""
    from booth.ui import checkin_screens as C
    from booth.ui import closing_screens as X
    from booth.ui import companion_setup as S

    polls = status.get("polls")
    booth = (status.get("voter_screen") or {}).get("screen")
    done = status.get("custody_done", [])
    nxt = status.get("custody_next")
    push = app.push

    def act(label, make, kind="normal", why_not=None, direct=False):
        go = make if direct else (lambda: push(make()))
        return HomeAction(label, go, kind=kind if why_not is None else "normal", why_not=why_not, app=app)

    def slot(key) -> HomeAction:
        if key == "package":
            loaded = polls != "unconfigured"
            return act(
                _("Load the election package"),
                lambda: S.PackageLoadScreen(app),
                "primary",
                _("The election package is loaded.") if loaded else None,
            )
        if key == "custody":
            open_steps = nxt in ("received", "distributed", "handed_over", "installed")
            why = (
                _("Load the election package first.")
                if polls == "unconfigured"
                else None
                if open_steps
                else _("Every custody step before opening is recorded.")
            )
            return act(_("Custody and installation"), lambda: S.CustodyScreen(app), "primary", why)
        if key == "self_test":
            why = _("Load the election package first.") if polls == "unconfigured" else None
            return act(_("Hardware self-test"), lambda: S.SelfTestScreen(app), why_not=why)
        if key == "opening":
            label = _("Open the polls") if status.get("zero_report_printed") else _("Zero report and opening")
            why = None if "installed" in done else _("Record the installation and self-test first.")
            return act(label, lambda: S.ZeroReportScreen(app), "primary", why)
        if key == "election":
            why = None if status.get("election_id") else _("Load the election package first.")
            return act(_("Election package and candidates"), lambda: S.PackageCheckScreen(app), why_not=why)
        if key == "verify":
            return act(_("Verify the records"), lambda: X.VerifyScreen(app))
        if key == "check_in":
            why = _("Voting is paused: resume voting first.") if polls == "paused" else None
            return act(_("Voter check-in"), lambda: C.VoterSearchScreen(app), "primary", why)
        if key == "pause":
            if polls == "paused":
                return act(_("Resume voting"), lambda: X.resume(app), "primary", direct=True)
            return act(_("Pause voting"), lambda: X.pause_screen(app))
        if key == "reprint":
            why = None if booth == "print_failed" else _("No slip is waiting to be printed again.")
            return act(_("Print the slip again"), lambda: C.ReprintScreen(app), "primary", why)
        if key == "skip_photo" and status.get("role") == "desk":  # the photo is taken at the desk
            from booth.ui.station_screens import LeavingPhotoScreen

            why = None if status.get("photos_due") else _("No voter is back from a booth.")
            return act(_("Photo as the voter leaves"), lambda: LeavingPhotoScreen(app), "primary", why)
        if key == "skip_photo":
            why = None if booth == "photo" else _("No voter is at the photo step.")
            return act(_("Skip the photo"), lambda: C.skip_photo_screen(app), why_not=why)
        if key == "spoil":
            from booth.ui.slip_check import SpoilScreen

            why = None if booth == "disputed" else _("No voter disputes a slip.")
            return act(_("Slip disputed"), lambda: SpoilScreen(app), "danger", why)
        if key == "cancel_ballot":
            why = None if booth == "ballot" else _("No ballot is open in the booth.")
            return act(_("Cancel the ballot in the booth"), lambda: C.cancel_release_screen(app), "danger", why)
        if key == "close":
            return act(_("Close the polls"), lambda: X.CloseScreen(app), "danger")
        if key == "count":
            why = None if polls == "closed" else _("The votes are counted.")
            return act(_("Count the votes"), lambda: X.count_screen(app), "primary", why)
        if key == "results" and status.get("role") == "desk":  # the station's results, from its booths
            from booth.ui.station_closing import StationClosingScreen

            why = None if polls in ("closed", "counted", "packed") else _("Close the polls first.")
            return act(_("Station results"), lambda: StationClosingScreen(app), "primary", why)
        if key == "results":
            why = None if polls in ("counted", "packed") else _("Count the votes first.")
            return act(_("Results"), lambda: X.ResultsScreen(app), "primary", why)
        if key == "pack":
            why = (
                None
                if polls == "counted"
                else _("The device is packed.")
                if polls == "packed"
                else _("Count the votes first.")
            )
            return act(_("Pack the device"), lambda: X.PackScreen(app), why_not=why)
        raise ValueError(f"no home action {key!r}")

    routine, destructive = SLOTS[phase_of(status)]
    return [slot(k) for k in routine], [slot(k) for k in destructive]


BOOTH_WORDS = {
    "ballot": N_("A voter is at the ballot"),
    "print_failed": N_("The slip did not print"),
    "photo": N_("A voter is at the photo step"),
    "printing": N_("A slip is printing"),
}
BOOTH_FREE = N_("The booth is free")
SHORT_LANGUAGE_NAMES = {"id": "Indonesia", "en": "English"}  # (a narrow title band; never translated)

# Labels an action's place may show in its phase (the grid is sized for every one, so a button
# never moves when its words change: "Jeda" becomes "Lanjutkan" in the same place).
OTHER_LABELS = (N_("Resume voting"), N_("Pause voting"), N_("Open the polls"), N_("Zero report and opening"))


class CompanionHome(CompanionScreen):
    """Home: state, counts, devices, and what to do next — every action in its own fixed place."""

    name = "companion_home"
    title = N_("Companion home")
    has_back = False
    ANNOUNCE_S = 12.0  # how long a change of the day's state stays highlighted

    def __init__(self, app) -> None:
        super().__init__(app)
        self.status: dict = {}
        self.refreshed = float("-inf")
        self._actions_key = None
        self.announced: tuple | None = None  # (words, until) of the last change of state
        self._last_state: tuple | None = None

    def state_key(self):
        s = self.status
        return (
            s.get("polls"),
            (s.get("voter_screen") or {}).get("screen"),
            s.get("custody_next"),
            s.get("zero_report_printed"),
            tuple(s.get("custody_done", [])),
            bool(s.get("photos_due")),  # a desk: a voter is back from a booth for the photo
        )

    def on_show(self):
        self.refresh()

    def needs_layout(self, size) -> bool:
        # a finger is down on an action: the status refresh must not swap the buttons under it
        # (the lift would land on a new button and choose nothing); relayout after the lift
        if self._down is not None and tuple(size) == self.size and self._built_for is not None:
            return False
        return super().needs_layout(size)

    def refresh(self) -> None:
        ok, st = self.app.call(self.app.api.status, on_error=lambda exc: True)
        if ok:
            self.status = st
        check_camera(self.app)
        self.refreshed = self.app.now()
        state = (self.status.get("polls"), (self.status.get("voter_screen") or {}).get("screen"))
        if self._last_state is not None and state != self._last_state:
            self.announced = (self.change_words(self._last_state, state), self.app.now() + self.ANNOUNCE_S)
        self._last_state = state

    def change_words(self, before: tuple, after: tuple):
        """What changed, in words, for the highlighted line under the state (a new polls state is
        the card's first line already: the line only says it just changed)."""
        if before[0] != after[0]:
            return _("Just changed")
        return _("Booth: {state}").format(state=_(BOOTH_WORDS.get(after[1] or "", BOOTH_FREE)))

    @staticmethod
    def every_change_words() -> list[str]:
        """Every line :meth:`change_words` can say (the state card keeps room for the longest)."""
        booth = [*BOOTH_WORDS.values(), BOOTH_FREE]
        return [_("Just changed"), *(_("Booth: {state}").format(state=_(w)) for w in booth)]

    def update(self, now):
        if now - self.refreshed >= self.app.settings.status_interval:
            self.refresh()

    def build(self, area):
        super().build(area)
        t = self.theme
        # Sign out and the language in the title band: the body keeps its height for the day's words
        head = self.head_rect
        h = t.target
        top = head.top + (head.height - h) // 2
        words = font(t.button).size(str(_("Sign out")))[0] + 2 * max(6, t.gap) + 4
        sign_out = pygame.Rect(head.left + t.gap // 2, top, max(t.target, words), h)
        who_w = self.who_width(t)
        self.add(Button(_("Sign out"), self.app.close_companion, sign_out, bold=False))
        right = head.right - who_w - t.gap
        short = t.portrait and self.language_width(t) > right - sign_out.right - 2 * t.gap
        lang = self.language_button(t, short=short)  # (short: "Indonesia", beside the name and the clock)
        if t.portrait:
            # a portrait band has no room for a title beside the language: the home screen's body
            # needs every line for the day's words, and its state card says where the day stands
            lang.rect = pygame.Rect(sign_out.right + t.gap, top, self.language_width(t, short), h)
            right = sign_out.right + t.gap
        else:
            lang.rect = pygame.Rect(right - self.language_width(t), top, self.language_width(t), h)
            right = lang.rect.left
        self.add(lang)
        title_w = max(0, right - sign_out.right - 2 * t.gap)
        self.title_rect = pygame.Rect(sign_out.right + t.gap, head.top, title_w, head.height)
        self.who_rect = pygame.Rect(head.right - who_w - t.gap // 2, head.top, who_w, head.height)

    def language_button(self, t, *, short: bool = False) -> Button:
        other = [lang for lang in LANGUAGES if lang != self.app.companion_language][0]
        names = SHORT_LANGUAGE_NAMES if short else LANGUAGE_NAMES
        return Button(data(names[other]), lambda: self.app.set_companion_language(other), icon="globe", bold=False)

    def language_width(self, t, short: bool = False) -> int:
        other = [lang for lang in LANGUAGES if lang != self.app.companion_language][0]
        words = font(t.button).size((SHORT_LANGUAGE_NAMES if short else LANGUAGE_NAMES)[other])[0]
        return words + 2 * max(6, t.gap) + t.gap + max(t.button, t.target // 2) + 4

    def who_width(self, t) -> int:
        who = self.app.whoami
        f = font(t.small)
        return max(f.size(str(who["name"]))[0] if who else 0, f.size("00:00")[0]) + 4

    def build_body(self, area):
        t = self.theme
        body = area
        routine, destructive = actions_for(self.app, self.status)
        if (self.app.whoami or {}).get("role") == "ketua":
            destructive.append(HomeAction(_("Exit the kiosk"), self.ask_exit, kind="danger", app=self.app))
        buttons = routine + destructive
        labels = [str(b.text) for b in buttons] + [str(_(w)) for w in OTHER_LABELS]
        apart = t.gap * 3 if destructive else 0  # the destructive row stands apart
        rows = -(-len(routine) // 2) + -(-len(destructive) // 2)

        def grid(col_w: int, bold: bool) -> tuple[int, int]:
            """(lines per label, row height) of a two-column grid ``col_w`` wide per column."""
            room = pygame.Rect(0, 0, col_w - 2 * max(6, t.gap), 10**4)
            lines = max(len(fit(w, t.min_px, bold, room, min_px=t.min_px)[1]) for w in labels)
            # (three lines are set at the minimum size: a row no higher than they need)
            px = t.button if lines < 3 else t.min_px
            row_h = max(t.target, lines * font(px, bold).get_linesize() + 2 * max(4, t.gap // 2) + 2)
            return lines, row_h

        # The grid's words are never shrunk below the minimum: on a small landscape panel the labels
        # go regular weight, then the grid widens (the day's words beside it narrow), until every
        # row fits the height at its size.
        shares = (0.58,) if t.portrait else (0.58, 0.61, 0.64, 0.67)
        room_h = body.height * 2 // 3 if t.portrait else body.height
        plans = [(share, bold) for share in shares for bold in (True, False)]
        for share, bold in plans:
            width = body.width if t.portrait else int(body.width * share)
            col_w = (width - t.gap) // 2
            lines, row_h = grid(col_w, bold)
            acts_h = rows * row_h + (rows - 1) * t.gap + apart
            if acts_h <= room_h:
                break
        for b in buttons:
            b.bold = bold
        if t.portrait:
            info, acts = L.split_bottom(body, min(acts_h, body.height * 2 // 3), t.gap * 2)
        else:
            info, acts = L.split_left(body, body.width - 2 * col_w - t.gap - t.gap * 2, t.gap * 2)
        state_box, rest = L.split_top(info, self.state_height(t, info), t.gap)
        self.state_box = state_box
        self.add(Panel(lambda: status_lines(device_lines(self.app), self.count_lines()), rest, pages=True))
        y = acts.top
        for i in range(0, len(routine), 2):
            row = pygame.Rect(acts.left, y, acts.width, row_h)
            for b, cell in zip(routine[i : i + 2], L.columns(row, 2, t.gap), strict=False):
                b.rect = cell
                self.add(b)
            y += row_h + t.gap
        y += apart
        for i in range(0, len(destructive), 2):
            row = pygame.Rect(acts.left, y, acts.width, row_h)
            for b, cell in zip(destructive[i : i + 2], L.columns(row, 2, t.gap), strict=False):
                b.rect = cell
                self.add(b)
            y += row_h + t.gap
        even_text(buttons, t, max_lines=lines)

    def paint(self, p):
        p.box(self.head_rect, p.colors.header_bg, radius=0)
        who = self.app.whoami
        when = local_time(self.app).strftime("%H:%M")
        if self.title_rect.width:
            title = self.screen_title()
            p.text(title, self.title_rect, p.theme.title, color=p.colors.header_fg, bold=True, align="left")
        sub = data(f"{who['name']}\n{when}" if who else when)
        p.text(sub, self.who_rect, p.theme.small, color=p.colors.header_fg, align="right", max_lines=2)
        self.paint_body(p)

    def state_parts(self, t, colors) -> list[tuple]:
        """The state card's lines: the polls state, the election ID (and the announced change)."""
        s = self.status
        parts: list[tuple] = []
        if s.get("polls_words"):
            parts.append((core_words(s["polls_words"]), t.body, True, colors.fg))
        short = s.get("election_short_id")
        parts.append((_("Election ID {id}").format(id=short) if short else _("No election"), t.small, False, colors.fg))
        return parts

    def state_height(self, t, info) -> int:
        """The state card as high as its wrapped lines, with room kept for the longest change it
        may announce (so nothing under it moves when a change is announced)."""
        width = info.width - 2 * t.gap
        need = 0
        for text, px, bold, _color in self.state_parts(t, t.colors):
            need += (
                len(fit(str(text), px, bold, pygame.Rect(0, 0, width, 10**4), min_px=t.min_px)[1])
                * font(px, bold).get_linesize()
            )
        change = max(
            len(fit(str(w), t.small, True, pygame.Rect(0, 0, width, 10**4), min_px=t.min_px)[1])
            for w in self.every_change_words()
        )
        need += change * font(t.small, True).get_linesize()
        return min(info.height // 2, need + 8 + 2)

    def count_lines(self) -> list[tuple]:
        c = self.status.get("counts", {})
        role = self.status.get("role")
        if role == "booth":  # a booth knows no voter: the releases it took and the ballots it holds
            lines: list[tuple] = [
                (_("Releases taken / cast"), data(f"{c.get('checked_in', 0)} / {c.get('voted', 0)}"), None)
            ]
        else:
            lines = [
                (_("DPT + DPTb"), data(f"{c.get('dpt', 0)} + {c.get('dptb', 0)}"), None),
                (_("Checked in / voted"), data(f"{c.get('checked_in', 0)} / {c.get('voted', 0)}"), None),
            ]
        if role == "desk":  # a desk holds no ballot: what its booths reported
            lines.append((_("Cast at the booths"), data(str(c.get("ballots_cast") or 0)), None))
        else:
            slips_short = c.get("slips_printed", 0) != c.get("ballots_cast", 0)
            lines.append(
                (
                    _("Ballots / slips"),
                    data(f"{c.get('ballots_stored', 0)} / {c.get('slips_printed', 0)}"),
                    "bad" if slips_short else None,
                )
            )
        return lines

    def paint_body(self, p):
        t = p.theme
        box = self.state_box
        fresh = self.announced is not None and self.app.now() < self.announced[1]
        # a change of state is announced: the card's frame in the focus colour, the change in words
        p.box(box, p.colors.card_bg, border=p.colors.focus if fresh else p.colors.border, width=6 if fresh else None)
        parts = self.state_parts(t, p.colors)
        if fresh:
            parts.append((self.announced[0], t.small, True, p.colors.warn))
        p.column(L.inset(box, t.gap, 4), parts, gap=0)

    def ask_exit(self):
        self.app.push(
            QuestionScreen(
                self.app,
                _("Exit the kiosk"),
                _("Close the kiosk program?"),
                _("Exit the kiosk"),
                self.app.exit_kiosk,
                details=_("Voting stops on this screen until the kiosk is started again."),
                danger=True,
            )
        )
