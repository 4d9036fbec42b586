"""The companion's home: where the day stands, how the devices are, and the next things to do.

The left (or top) half shows the polls state, the election's short ID, the
day's counts and the devices (printer paper, camera, power, clock); it is
refreshed every few seconds.  The right (or bottom) half holds the actions
that make sense *now* (:func:`actions_for`): before opening — custody,
self-test, zero report, open polls; while voting — check in a voter, the
voter in the booth (cancel, reprint, skip photo), pause, close; after —
count, results, pack.  A problem with the voter in the booth comes first.
"""

from __future__ import annotations

from booth.hardware.power import Power
from booth.ui import layout as L
from booth.ui.common_screens import CompanionScreen, QuestionScreen, local_time
from booth.ui.i18n import LANGUAGE_NAMES, LANGUAGES, N_, _, core_words, data
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
    lines.append((_("Clock"), data(local_time(app).strftime("%H:%M:%S")), None))
    return lines


def check_camera(app) -> None:
    """Ask the camera for a preview frame (every few seconds on the home screen)."""
    from booth.hardware.camera import CameraError

    try:
        app.devices.camera.preview()
        app.camera_ok = True
    except CameraError:
        app.camera_ok = False


def actions_for(app, status: dict) -> list[Button]:
    """The buttons of the home screen for the day as it stands (first: the most urgent)."""
    from booth.ui import checkin_screens as C
    from booth.ui import closing_screens as X
    from booth.ui import companion_setup as S

    polls = status.get("polls")
    booth = (status.get("voter_screen") or {}).get("screen")
    push = app.push
    out: list[Button] = []

    def add(label, make, kind="normal"):
        out.append(Button(label, lambda: push(make()), kind=kind))

    if booth == "print_failed":
        add(_("Print the slip again"), lambda: C.ReprintScreen(app), "danger")
    if polls == "unconfigured":
        add(_("Load the election package"), lambda: S.PackageLoadScreen(app), "primary")
    if polls == "configured":
        nxt = status.get("custody_next")
        if nxt in ("received", "distributed", "handed_over", "installed"):
            add(_("Custody and installation"), lambda: S.CustodyScreen(app), "primary")
        add(_("Hardware self-test"), lambda: S.SelfTestScreen(app))
        if "installed" in status.get("custody_done", []):
            label = _("Open the polls") if status.get("zero_report_printed") else _("Zero report and opening")
            add(label, lambda: S.ZeroReportScreen(app), "primary")
    if polls in ("open", "paused"):
        add(_("Voter check-in"), lambda: C.VoterSearchScreen(app), "primary")
        if booth == "ballot":
            add(_("Cancel the ballot in the booth"), lambda: C.cancel_release_screen(app), "danger")
        if booth == "photo":
            add(_("Skip the photo"), lambda: C.skip_photo_screen(app))
    if polls == "open":
        add(_("Pause voting"), lambda: X.pause_screen(app))
    if polls == "paused":
        out.append(Button(_("Resume voting"), lambda: X.resume(app), kind="primary"))
    if polls in ("open", "paused"):
        add(_("Close the polls"), lambda: X.CloseScreen(app), "danger")
    if polls == "closed":
        add(_("Count the votes"), lambda: X.count_screen(app), "primary")
    if polls in ("counted", "packed"):
        add(_("Results"), lambda: X.ResultsScreen(app), "primary")
    if polls == "counted":
        add(_("Pack the device"), lambda: X.PackScreen(app))
    if status.get("election_id"):
        add(_("Election package and candidates"), lambda: S.PackageCheckScreen(app))
    add(_("Verify the records"), lambda: X.VerifyScreen(app))
    return out


class CompanionHome(CompanionScreen):
    """Home: state, counts, devices, and what to do next."""

    name = "companion_home"
    title = N_("Companion home")
    has_back = False

    def __init__(self, app) -> None:
        super().__init__(app)
        self.status: dict = {}
        self.refreshed = float("-inf")
        self._actions_key = None

    def state_key(self):
        s = self.status
        return (
            s.get("polls"),
            (s.get("voter_screen") or {}).get("screen"),
            s.get("custody_next"),
            s.get("zero_report_printed"),
            tuple(s.get("custody_done", [])),
        )

    def on_show(self):
        self.refresh()

    def refresh(self) -> None:
        ok, st = self.app.call(self.app.api.status, on_error=lambda exc: True)
        if ok:
            self.status = st
        check_camera(self.app)
        self.refreshed = self.app.now()

    def update(self, now):
        if now - self.refreshed >= self.app.settings.status_interval:
            self.refresh()

    def build_body(self, area):
        t = self.theme
        role = (self.app.whoami or {}).get("role")
        body, foot = self.footer(area, 3 if role == "ketua" else 2)
        other = [lang for lang in LANGUAGES if lang != self.app.companion_language][0]
        self.add(Button(_("Sign out"), self.app.close_companion, foot[0], bold=False))
        self.add(
            Button(
                data(LANGUAGE_NAMES[other]),
                lambda: self.app.set_companion_language(other),
                foot[1],
                icon="globe",
                bold=False,
            )
        )
        if role == "ketua":
            self.add(Button(_("Exit the kiosk"), self.ask_exit, foot[2], kind="danger", bold=False))
        if t.portrait:
            info, acts = L.split_top(body, int(body.height * 0.42), t.gap * 2)
        else:
            info, acts = L.split_left(body, int(body.width * 0.42), t.gap * 2)
        state_box, rest = L.split_top(info, max(t.target, int(t.body * 3.4)), t.gap)
        self.state_box = state_box
        self.add(Panel(lambda: self.count_lines() + device_lines(self.app), rest))
        buttons = actions_for(self.app, self.status)
        for cols in (1, 2, 3):
            n_rows = -(-len(buttons) // cols)
            row_h = (acts.height - t.gap * (n_rows - 1)) // max(1, n_rows)
            if row_h >= t.target:
                break
        row_h = min(int(t.target * 1.25), row_h)
        cells = L.grid(L.split_top(acts, n_rows * row_h + (n_rows - 1) * t.gap)[0], len(buttons), cols, t.gap)
        for b, cell in zip(buttons, cells, strict=True):
            b.rect = cell
            self.add(b)
        even_text(buttons, t)

    def count_lines(self) -> list[tuple]:
        c = self.status.get("counts", {})
        slips_short = c.get("slips_printed", 0) != c.get("ballots_cast", 0)
        return [
            (_("DPT + DPTb"), data(f"{c.get('dpt', 0)} + {c.get('dptb', 0)}"), None),
            (_("Checked in / voted"), data(f"{c.get('checked_in', 0)} / {c.get('voted', 0)}"), None),
            (
                _("Ballots / slips"),
                data(f"{c.get('ballots_stored', 0)} / {c.get('slips_printed', 0)}"),
                "bad" if slips_short else None,
            ),
        ]

    def paint_body(self, p):
        t = p.theme
        s = self.status
        box = self.state_box
        p.box(box, p.colors.card_bg, border=p.colors.border)
        top, bottom = L.split_top(L.inset(box, t.gap, 2), int((box.height - 4) * 0.55))
        if s.get("polls_words"):
            p.text(core_words(s["polls_words"]), top, t.body, bold=True, align="left", max_lines=2)
        short = s.get("election_short_id")
        p.text(_("Election ID {id}").format(id=short) if short else _("No election"), bottom, t.small, align="left")

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
