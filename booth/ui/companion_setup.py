"""Before the polls open: custody, the election package, the hardware self-test, the zero report.

The order of the morning (each screen is reached from the companion home):

1. :class:`CustodyScreen` — received, distributed (before handover, no PIN
   yet: the companion is picked from the list), handed over, installed; each
   with the place and a free note typed on the on-screen keyboard;
2. :class:`PackageLoadScreen` / :class:`PackageCheckScreen` — load the
   committee's signed package from the USB stick and compare its election ID
   and candidate table with the paper;
3. :class:`SelfTestScreen` / :class:`ButtonTestScreen` — printer, camera,
   lights, buzzer, clock, power, then "press each button";
4. :class:`ZeroReportScreen` — print the zero report for the witnesses to
   sign, then open the polls.
"""

from __future__ import annotations

from pathlib import Path

import pygame

from booth.hardware.controls import Nav
from booth.ui import layout as L
from booth.ui.common_screens import (
    CompanionScreen,
    ErrorScreen,
    TextEntryScreen,
    WorkingScreen,
    local_hhmm,
    local_time,
    role_words,
    show_message,
)
from booth.ui.i18n import N_, _, core_words, data
from booth.ui.widgets import Button, Label, ListRow, ListView, Panel, Picture, list_row_height, rows_height, stack_rows

CUSTODY_WORDS = {
    "received": N_("Received"),
    "distributed": N_("Distributed"),
    "handed_over": N_("Handed over at the village"),
    "installed": N_("Installed and self-tested"),
    "activated": N_("Activated (zero report)"),
    "voting_opened": N_("Voting opened"),
    "counting": N_("Counting"),
    "packed": N_("Packed and sealed"),
}
NO_PIN_STAGES = ("received", "distributed")  # before handover: companions have no PIN yet


class CustodyScreen(CompanionScreen):
    """The custody trail and the next step, with place and note."""

    name = "custody"
    title = N_("Custody")

    def __init__(self, app) -> None:
        super().__init__(app)
        self.place = ""
        self.note = ""
        self.companion: dict | None = None
        # the companion's check of the device clock against a watch (handover): what
        # record_custody takes as ``clock``
        self.clock: dict | None = None
        self.refresh()

    def refresh(self) -> None:
        ok, st = self.app.call(self.app.api.status, on_error=lambda exc: True)
        self.status = st if ok else {}
        ok, trail = self.app.call(self.app.api.custody_trail, on_error=lambda exc: True)
        self.trail = trail if ok else []
        ok, info = self.app.call(self.app.api.election_info, on_error=lambda exc: True)
        self.info = info if ok else {}
        self.next = self.status.get("custody_next")
        if not self.place and self.info:
            self.place = (
                f"Balai Pekon {self.info['pekon']}"
                if self.next in ("handed_over", "installed")
                else f"Kecamatan {self.info['kecamatan']}"
            )
        self.relayout()

    def state_key(self):
        return (
            self.next,
            bool(self.companion),
            self.place,
            self.note,
            self.app.last_self_test is not None,
            tuple(sorted((self.clock or {}).items())),
        )

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        manual = self.next in ("received", "distributed", "handed_over", "installed")
        if t.portrait:
            trail_box, form = L.split_top(
                body, min(int(body.height * 0.4), Panel.height_for(t, 6, title=True)), t.gap * 2
            )
        else:
            trail_box, form = L.split_left(body, int(body.width * 0.42), t.gap * 2)
        self.add(Panel(self.trail_lines, trail_box, title=_("Custody so far")))
        if not manual:
            self.add(Label(_("Custody is up to date."), form, bold=True))
            self.add(Button(_("Done"), self.back, cells[0], kind="primary"))
            return
        words = _("Next step: {stage}").format(stage=_(CUSTODY_WORDS[self.next]))
        head, form = L.split_top(
            form, Label.height_for(t, words, form.width, bold=True, least=int(t.body * 2.2)), t.gap
        )
        self.add(Label(words, head, bold=True, align="left"))
        rows = []
        if self.next in NO_PIN_STAGES and self.app.token is None:
            who = data(self.companion["name"]) if self.companion else _("Touch to choose")
            rows.append(ListRow(_("Companion"), who, self.choose_companion))
        rows.append(ListRow(_("Place"), data(self.place) if self.place else _("Touch to type"), self.type_place))
        rows.append(ListRow(_("Note"), data(self.note) if self.note else _("Touch to type"), self.type_note))
        if self.next == "handed_over":
            rows.append(
                ListRow(
                    _("Device clock"),
                    self.clock_words(),
                    self.check_clock,
                    badge=None if self.clock else _("Needed"),
                    badge_color="warn",
                )
            )
        if self.next == "installed":
            done = self.app.last_self_test is not None
            rows.append(
                ListRow(
                    _("Hardware self-test"),
                    _("Done") if done else _("Touch to run it first"),
                    lambda: self.app.push(SelfTestScreen(self.app)),
                    badge=None if done else _("Needed"),
                    badge_color="warn",
                )
            )
        if stack_rows(t, rows, form):  # each row as high as its words (the clock's check wraps)
            for row in rows:
                self.add(row)
        else:
            self.add(ListView(rows, form, row_height=rows_height(t, rows, form.width)))
        ready = (
            (self.next not in NO_PIN_STAGES or self.app.token or self.companion)
            and (self.next != "installed" or self.app.last_self_test is not None)
            and (self.next in NO_PIN_STAGES or self.app.token)
            and (self.next != "handed_over" or self.clock is not None)
        )
        self.add(
            Button(
                _("Record: {stage}").format(stage=_(CUSTODY_WORDS[self.next])),
                self.record,
                cells[0],
                kind="primary",
                enabled=bool(ready),
            )
        )

    def trail_lines(self) -> list[tuple]:
        out: list[tuple] = []
        for step in self.trail[-6:]:
            when = local_hhmm(self.app, step.get("time"))
            out.append((core_words(step["words"]), data(f"{when} {step.get('actor', '')}".strip()), "ok"))
        if not out:
            out.append((_("Nothing recorded yet"), data(""), None))
        return out

    def clock_words(self) -> str:
        shown = local_time(self.app).strftime("%H:%M")
        if self.clock is None:
            return _("{time} — touch to check").format(time=data(shown))
        if "matches" in self.clock:
            return _("Matches the watch ({time})").format(time=data(shown))
        return _("Watch {watch}, device {time}").format(watch=data(self.clock["watch"]), time=data(shown))

    def check_clock(self):
        """Device time against the companion's watch: the log keeps both and the difference."""
        from booth.ui.common_screens import ChoiceScreen

        shown = local_time(self.app).strftime("%H:%M")

        def picked(answer):
            self.app.pop()
            if answer == "matches":
                self.clock = {"matches": "yes"}
                self.relayout()
            else:
                self.app.push(
                    TextEntryScreen(
                        self.app,
                        _("Time on your watch"),
                        self._typed_watch,
                        mode="digits",
                        max_len=4,
                        required=True,
                        hint=_("Hours and minutes, four digits: 0635 for 06:35"),
                    )
                )

        self.app.push(
            ChoiceScreen(
                self.app,
                _("Device clock"),
                _("The device shows {time}. Does your watch show the same time, within 5 minutes?").format(
                    time=data(shown)
                ),
                [(_("Yes, the same time"), "matches"), (_("No: type the time on my watch"), "watch")],
                picked,
                other=False,
            )
        )

    def _typed_watch(self, text):
        text = text.strip().replace(":", "").replace(".", "")
        hours, minutes = text[:-2], text[-2:]  # the keypad has digits only: "0635" or "635"
        if not (3 <= len(text) <= 4 and text.isdigit() and int(hours) < 24 and int(minutes) < 60):
            show_message(
                self.app,
                _("Time on your watch"),
                _('"{text}" is not a time; type hours and minutes, for example 0635 for 06:35').format(text=data(text)),
            )
            return
        self.app.pop()
        self.clock = {"watch": f"{int(hours):02d}:{minutes}"}
        self.relayout()

    def choose_companion(self):
        from booth.ui.common_screens import ChoiceScreen

        choices = [(data(f"{c['name']} — {role_words(c['role'])}"), c) for c in self.info.get("companions", [])]

        def picked(c):
            self.app.pop()
            self.companion = c
            self.relayout()

        self.app.push(
            ChoiceScreen(self.app, _("Companion"), _("Who received the device?"), choices, picked, other=False)
        )

    def type_place(self):
        self.app.push(
            TextEntryScreen(self.app, _("Place"), self._set("place"), initial=self.place.upper(), max_len=120)
        )

    def type_note(self):
        self.app.push(
            TextEntryScreen(
                self.app,
                _("Note"),
                self._set("note"),
                initial=self.note,
                max_len=500,
                hint=_("For example: seals intact, box number, who was present."),
            )
        )

    def _set(self, attr):
        def done(text):
            setattr(self, attr, text)
            self.app.pop()
            self.relayout()

        return done

    def record(self):
        kw = {"place": self.place, "note": self.note}
        if self.app.token:
            kw["token"] = self.app.token
        else:
            kw["companion_id"] = self.companion["id"] if self.companion else None
        if self.next == "installed":
            kw["self_test"] = self.app.last_self_test
        if self.next == "handed_over" and self.clock is not None:
            kw["clock"] = self.clock
        stage = self.next
        ok, _r = self.app.call(self.app.api.record_custody, stage, **kw)
        if ok:
            self.note = ""
            self.place = ""
            self.clock = None
            self.refresh()
            show_message(self.app, _("Custody"), _("Recorded: {stage}").format(stage=_(CUSTODY_WORDS[stage])))


# ------------------------------------------------------------ the package
def find_packages(folders) -> list[Path]:
    """Election package folders (with election.json and a signature) up to three levels down."""
    found = []
    for root in folders:
        root = Path(root)
        if not root.is_dir():
            continue
        for depth in ("*", "*/*", "*/*/*"):
            try:
                for election in sorted(root.glob(f"{depth}/election.json")):
                    if (election.parent / "manifest.sig").is_file() and election.parent not in found:
                        found.append(election.parent)
            except OSError:
                continue
    return found[:30]


class PackageLoadScreen(CompanionScreen):
    """Pick the election package on the USB stick; it is checked and loaded."""

    name = "package_load"
    title = N_("Load the election package")

    def on_show(self):
        self.found = find_packages(self.app.settings.package_dirs)
        self.relayout()

    def build_body(self, area):
        t = self.theme
        if not hasattr(self, "found"):
            self.found = find_packages(self.app.settings.package_dirs)
        body, cells = self.footer(area, 1)
        words = _("Plug in the committee's USB stick, then touch the package.")
        head, rest = L.split_top(body, Label.height_for(t, words, body.width, least=int(t.body * 2.4)), t.gap)
        self.add(Label(words, head, align="left"))
        # the folder's own name, never a path (/media/..., /dev/shm/...): a companion knows the stick
        rows = [
            ListRow(
                data(p.name),
                _("In the folder “{folder}”").format(folder=data(p.parent.name or "/")),
                (lambda p=p: self.load(p)),
            )
            for p in self.found
        ]
        self.add(
            ListView(
                rows,
                rest,
                row_height=list_row_height(t),
                empty=_("No election package found. Check the USB stick."),
            )
        )
        self.add(Button(_("Look again"), self.on_show, cells[0]))

    def load(self, path: Path):
        def job():
            return self.app.call(self.app.api.load_election, str(path))

        def then(result):
            ok, _info = result
            if ok:
                self.app.voter.election = None
                self.app.photos.clear()
                self.app.voter.load_election()
                self.app.replace(PackageCheckScreen(self.app, just_loaded=True))

        self.app.push(
            WorkingScreen(
                self.app, _("Load the election package"), _("Checking the package and its signature…"), job, then
            )
        )


class PackageCheckScreen(CompanionScreen):
    """The election ID and the candidate table, to compare with the committee's paper."""

    name = "package_check"
    title = N_("Election package")

    def __init__(self, app, *, just_loaded: bool = False) -> None:
        super().__init__(app)
        self.just_loaded = just_loaded
        ok, info = app.call(app.api.election_info, on_error=lambda exc: True)
        self.info = info if ok else {}

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        self.add(Button(_("It matches the paper"), self.back, cells[0], kind="primary"))
        if t.portrait:
            # as high as its wrapped lines need (the title and the village take several lines
            # on a narrow panel), so nothing is drawn over the candidates below it
            title = _("Compare with the committee's paper")
            title_h = Label.height_for(t, title, body.width - 2 * t.gap, bold=True) + t.gap // 2
            need = Panel.needed_height(t, self.info_lines(), body.width) + title_h
            top, cands = L.split_top(body, min(need, int(body.height * 0.62)), t.gap * 2)
        else:
            top, cands = L.split_left(body, int(body.width * 0.58), t.gap * 2)
        # (on a small panel the last lines go on a second page, turned by a touch: never shrunk)
        self.add(Panel(self.info_lines, top, title=_("Compare with the committee's paper"), pages=True))
        self.cands_box = cands

    def info_lines(self):
        i = self.info
        if not i:
            return []
        return [
            (_("Election ID"), data(i["short_id"]), None),
            (_("Election"), data(i["title"]), None),
            (_("Village"), data(f"{i['pekon']}, {i['kecamatan']}, {i['kabupaten']}"), None),
            (_("Polling station"), data(f"TPS {i['tps']:02d}"), None),
            (_("Date"), data(i["date"]), None),
            (_("Hours"), data(f"{i['opens_at'][11:16]}–{i['closes_at'][11:16]} {i['timezone']}"), None),
            (_("Committee key"), data(i["committee_fingerprint"][:16]), None),
        ]

    def paint_body(self, p):
        t = p.theme
        cands = self.info.get("candidates", [])
        if not cands:
            return
        head, rest = L.split_top(self.cands_box, int(t.body * 1.8))
        p.text(_("Candidates"), head, t.body, bold=True, align="left")
        for c, row in zip(cands, L.rows(rest, max(len(cands), 3), t.gap), strict=False):
            p.box(row, p.colors.card_bg, border=p.colors.border)
            inner = L.inset(row, t.gap // 2)
            photo_box, rest_box = L.split_left(inner, int(inner.height * 0.75), t.gap)
            photo = self.app.candidate_photo(c["number"])
            if photo is not None:
                p.image(photo, photo_box)
            num, name = L.split_left(rest_box, min(rest_box.width // 4, inner.height), t.gap)
            p.text(data(c["number"]), num, int(inner.height * 0.7), bold=True)
            p.text(data(c["name"]), name, t.body, bold=True, align="left", max_lines=2)


# ---------------------------------------------------------- the self-test
RESULT_WORDS = {
    "printer": N_("Printer"),
    "camera": N_("Camera"),
    "lights": N_("Lights"),
    "buzzer": N_("Buzzer"),
    "clock": N_("Clock"),
    "power": N_("Power"),
    "buttons": N_("Buttons"),
}


class SelfTestScreen(CompanionScreen):
    """Run the hardware self-test (prints a test slip), show each device's result and the camera."""

    name = "self_test"
    title = N_("Hardware self-test")

    def __init__(self, app) -> None:
        super().__init__(app)
        self.results: dict | None = None
        self.preview = None
        self.preview_at = float("-inf")

    def state_key(self):
        return self.results is not None

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 2)
        if t.portrait:
            left, right = L.split_top(body, min(int(body.height * 0.5), Panel.height_for(t, 8, title=True)), t.gap * 2)
        else:
            left, right = L.split_left(body, int(body.width * 0.55), t.gap * 2)
        if self.results is None:
            self.add(
                Label(
                    _(
                        "The test prints a short test slip, flashes the lights, sounds the buzzer "
                        "and takes a test picture."
                    ),
                    left,
                    align="left",
                )
            )
            self.add(Button(_("Start the test"), self.run, cells[1], kind="primary"))
        else:
            self.add(Panel(self.result_lines, left, title=_("Results")))
            self.add(
                Button(
                    _("Test the buttons"), lambda: self.app.push(ButtonTestScreen(self.app)), cells[1], kind="primary"
                )
            )
        self.add(Picture(lambda: self.preview, right, missing=_("No camera picture")))
        self.add(Button(_("Done"), self.back, cells[0]))

    def result_lines(self):
        out = []
        for key, value in (self.app.last_self_test or self.results or {}).items():
            ok = value == "ok"
            out.append(
                (
                    _(RESULT_WORDS[key]) if key in RESULT_WORDS else data(key),
                    _("OK") if ok else data(value),
                    "ok" if ok else "bad",
                )
            )
        return out

    def run(self):
        def job():
            return self.app.call(self.app.station.self_test, self.app.token, now=self.app.wall_time())

        def then(result):
            ok, results = result
            if ok:
                self.results = dict(results)
                self.app.last_self_test = dict(results)
                self.relayout()

        self.app.push(WorkingScreen(self.app, _("Hardware self-test"), _("Testing the devices…"), job, then))

    def update(self, now):
        if now - self.preview_at >= 0.2:
            self.preview_at = now
            from booth.hardware.camera import CameraError

            try:
                img = self.app.devices.camera.preview().convert("RGB")
                self.preview = pygame.image.frombytes(img.tobytes(), img.size, "RGB")
            except CameraError:
                self.preview = None


BUTTON_WORDS = [
    (Nav.UP, N_("Up")),
    (Nav.DOWN, N_("Down")),
    (Nav.SELECT, N_("Select")),
    (Nav.BACK, N_("Back")),
    (Nav.COMPANION, N_("Companion")),
]


class ButtonTestScreen(CompanionScreen):
    """ "Press each button": every push-button lights its box when pressed."""

    name = "button_test"
    title = N_("Test the buttons")

    def __init__(self, app) -> None:
        super().__init__(app)
        self.pressed: set[Nav] = set()
        self.recorded = False

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        words = _("Press each button on the booth once.")
        head, rest = L.split_top(
            body, Label.height_for(t, words, body.width, bold=True, least=int(t.body * 2.4)), t.gap
        )
        self.add(Label(words, head, bold=True, align="left"))
        self.boxes = L.grid(rest, len(BUTTON_WORDS), 3 if not t.portrait else 2, t.gap * 2)
        self.add(Button(_("Done"), self.back, cells[0], kind="primary"))

    def paint_body(self, p):
        for (nav, words), box in zip(BUTTON_WORDS, self.boxes, strict=True):
            on = nav in self.pressed
            p.box(box, p.colors.primary_bg if on else p.colors.card_bg, border=p.colors.border)
            fg = p.colors.primary_fg if on else p.colors.fg
            top, bottom = L.split_top(L.inset(box, p.theme.gap), int(box.height * 0.55))
            p.text(_(words), top, p.theme.title, bold=True, color=fg)
            p.text(_("Works") if on else _("Not pressed yet"), bottom, p.theme.small, color=fg)

    def on_nav(self, nav):
        self.pressed.add(nav)
        if len(self.pressed) == len(BUTTON_WORDS) and not self.recorded:
            self.recorded = True
            results = dict(self.app.last_self_test or {})
            results["buttons"] = "ok"
            ok, _r = self.app.call(self.app.api.record_self_test, self.app.token, {"buttons": "ok"})
            if ok:
                self.app.last_self_test = results
        return True  # every button is under test here, BACK too


# ---------------------------------------------------------- zero report
class ZeroReportScreen(CompanionScreen):
    """Print the zero report (every candidate at 0) for the witnesses; then open the polls."""

    name = "zero_report"
    title = N_("Zero report and opening")

    def __init__(self, app) -> None:
        super().__init__(app)
        ok, st = app.call(app.api.status, on_error=lambda exc: True)
        self.printed = bool(ok and st.get("zero_report_printed"))
        ok, info = app.call(app.api.election_info, on_error=lambda exc: True)
        self.info = info if ok else {}

    def state_key(self):
        return self.printed

    def build_body(self, area):
        body, cells = self.footer(area, 2 if self.printed else 1)
        self.body = body
        if self.printed:
            self.add(Button(_("Print another copy"), self.print_report, cells[0]))
            self.add(Button(_("Open the polls"), self.open_polls, cells[1], kind="primary"))
        else:
            self.add(Button(_("Print the zero report"), self.print_report, cells[0], kind="primary"))

    def paint_body(self, p):
        t = p.theme
        words, table = L.split_top(self.body, int(self.body.height * 0.3), t.gap)
        if self.printed:
            p.text(
                _("Ask the witnesses (saksi) to check and sign the zero report, then open the polls."),
                words,
                t.body,
                bold=True,
                align="left",
            )
        else:
            p.text(
                _("The zero report shows every candidate at 0 and the election ID, for the witnesses."),
                words,
                t.body,
                align="left",
            )
        cands = self.info.get("candidates", [])
        n = max(3, len(cands))
        row_h = min((table.height - t.gap * (n - 1)) // n, int(t.target * 1.3))
        table = L.split_top(table, n * row_h + (n - 1) * t.gap)[0]
        for c, row in zip(cands, L.rows(table, n, t.gap), strict=False):
            p.box(row, p.colors.card_bg, border=p.colors.border)
            num, rest = L.split_left(L.inset(row, t.gap // 2), row.height, t.gap)
            name, votes = L.split_right(rest, min(row.height * 2, rest.width // 4), t.gap)
            p.text(data(c["number"]), num, int(row.height * 0.6), bold=True)
            p.text(data(c["name"]), name, t.body, align="left")
            p.text(data(0), votes, int(row.height * 0.6), bold=True)

    def print_report(self):
        def job():
            return self.app.call(self.app.station.print_zero_report, self.app.token)

        def then(result):
            ok, outcome = result
            if not ok:
                return
            if outcome.ok:
                self.printed = True
                self.relayout()
            else:
                self.app.push(
                    ErrorScreen(
                        self.app,
                        outcome.error,
                        title=_("The zero report did not print"),
                        retry=(_("Continue"), self._retry),
                    )
                )

        self.app.push(WorkingScreen(self.app, _("Zero report"), _("Printing the zero report…"), job, then))

    def _retry(self):
        self.app.pop()
        self.print_report()

    def open_polls(self):
        ok, _r = self.app.call(self.app.api.open_polls, self.app.token)
        if ok:
            self.app.go_home()
            show_message(self.app, _("Open the polls"), _("Voting is open. Check in the first voter."))


__all__ = [
    "CustodyScreen",
    "PackageLoadScreen",
    "PackageCheckScreen",
    "SelfTestScreen",
    "ButtonTestScreen",
    "ZeroReportScreen",
    "find_packages",
    "local_time",
]
