"""Breaks and the end of the day: pause/resume, close, count, results, export, pack, verify.

* pausing asks why (breaks, power problems); resuming needs no reason;
* :class:`CloseScreen` — closing before the scheduled time needs a reason,
  which the core logs;
* counting shows :class:`ResultsScreen`: a bar per candidate, the
  reconciliation, "print", "print another copy" (VotingWorks' lesson: always
  offer it) and export (only after a printed copy: paper before files);
* :class:`PackScreen` — prints the custody slip, then seals the device;
* :class:`VerifyScreen` — re-checks the device's own hash chain, signatures
  and ballots.  It never shows a tally (no partial results while voting).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pygame

from booth.ui import layout as L
from booth.ui.common_screens import (
    ChoiceScreen,
    CompanionScreen,
    ErrorScreen,
    QuestionScreen,
    WorkingScreen,
    local_time,
    show_message,
)
from booth.ui.i18n import N_, _, data
from booth.ui.widgets import BarChart, Button, Label, ListRow, ListView, Panel, ProgressBar, list_row_height


def _home(app):
    app.go_home()


# ----------------------------------------------------------------- pause
PAUSE_REASONS = [N_("Break"), N_("Power problem"), N_("Printer problem"), N_("Disturbance at the polling station")]


def pause_screen(app) -> ChoiceScreen:
    def pick(reason):
        ok, _r = app.call(app.api.pause, app.token, str(reason))
        if ok:
            _home(app)

    return ChoiceScreen(
        app, _("Pause voting"), _("Why is voting paused?"), [(_(r), str(_(r))) for r in PAUSE_REASONS], pick
    )


def resume(app) -> None:
    ok, _r = app.call(app.api.resume, app.token)
    if ok:
        _home(app)


# ----------------------------------------------------------------- close
EARLY_REASONS = [N_("Every voter on the list has voted"), N_("Emergency at the polling station")]


class CloseScreen(CompanionScreen):
    """Close the polls; early only with a reason (the core logs it)."""

    name = "close"
    title = N_("Close the polls")

    def __init__(self, app) -> None:
        super().__init__(app)
        ok, info = app.call(app.api.election_info, on_error=lambda exc: True)
        self.closes_at = dt.datetime.fromisoformat(info["closes_at"]) if ok else None
        self.reason: str | None = None

    @property
    def early(self) -> bool:
        return self.closes_at is not None and self.app.wall_time() < self.closes_at

    def state_key(self):
        return (self.early, self.reason)

    def build_body(self, area):
        body, (no, yes) = self.footer(area, 2)
        self.body = body
        self.add(Button(_("Cancel"), self.back, no, bold=False))
        if self.early and not self.reason:
            self.add(Button(_("Give the reason to close early"), self.ask_reason, yes, kind="primary"))
        else:
            self.add(Button(_("Close the polls"), self.close, yes, kind="danger"))

    def paint_body(self, p):
        t = p.theme
        top, bottom = L.split_top(self.body, int(self.body.height * 0.45), t.gap)
        when = self.closes_at.strftime("%H:%M") if self.closes_at else "?"
        if self.early:
            p.text(
                _("It is not closing time yet ({time}). Closing early needs a reason, which is recorded.").format(
                    time=when
                ),
                top,
                t.title,
                bold=True,
                color=p.colors.warn,
                align="left",
            )
        else:
            p.text(_("Closing time ({time}) has come.").format(time=when), top, t.title, bold=True, align="left")
        words = _("After closing, nobody can vote on this device any more. Then count the votes.")
        if self.reason:
            words = _("Reason: {reason}. After closing, nobody can vote on this device any more.").format(
                reason=self.reason
            )
        p.text(words, bottom, t.body, align="left", valign="top")

    def ask_reason(self):
        def pick(reason):
            self.app.pop()
            self.reason = str(reason)
            self.relayout()

        self.app.push(
            ChoiceScreen(
                self.app, _("Close the polls"), _("Why close early?"), [(_(r), str(_(r))) for r in EARLY_REASONS], pick
            )
        )

    def close(self):
        ok, _r = self.app.call(self.app.api.close_polls, self.app.token, self.reason if self.early else None)
        if ok:
            _home(self.app)
            show_message(self.app, _("Close the polls"), _("The polls are closed. Count the votes next."))


# ----------------------------------------------------------------- count
def count_screen(app) -> QuestionScreen:
    def go():
        ok, _r = app.call(app.api.count, app.token)
        if ok:
            app.replace(ResultsScreen(app))

    return QuestionScreen(
        app,
        _("Count the votes"),
        _("Count the votes now?"),
        _("Count the votes"),
        go,
        details=_(
            "The count is made from the ballot store and checked against every other count of the day. "
            "The slips lie in the Audit Box in the order people voted: before the box is opened, "
            "mix them — shake the closed box, pour the slips out, stir them."
        ),
    )


class ResultsScreen(CompanionScreen):
    """The count: a bar per candidate, the reconciliation, print, print another copy, export."""

    name = "results"
    title = N_("Results")

    def __init__(self, app) -> None:
        super().__init__(app)
        self.refresh()

    def refresh(self):
        ok, res = self.app.call(self.app.api.results, on_error=lambda exc: True)
        self.results = res if ok else None
        ok, st = self.app.call(self.app.api.status, on_error=lambda exc: True)
        self.polls = st.get("polls") if ok else None
        self.relayout()

    def state_key(self):
        return (self.results or {}).get("copies_printed")

    def build_body(self, area):
        t = self.theme
        res = self.results
        if res is None:
            self.add(Label(_("Votes have not been counted yet."), area, size="title"))
            return
        copies = res.get("copies_printed", 0)
        can_export = copies > 0 and self.polls == "counted"
        body, (print_box, export_box) = self.footer(area, 2)
        label = _("Print the results") if copies == 0 else _("Print another copy")
        self.add(Button(label, self.print_results, print_box, kind="primary" if copies == 0 else "normal"))
        self.add(
            Button(
                _("Export the results"),
                lambda: self.app.push(ExportScreen(self.app)),
                export_box,
                kind="primary" if copies else "normal",
                enabled=can_export,
            )
        )
        if not can_export:  # greyed with its reason, right above it: paper before files
            why = _("Print the results first") if copies == 0 else _("Count the votes first.")
            body, reason = L.split_bottom(body, Label.height_for(t, why, export_box.width), t.gap)
            reason = pygame.Rect(export_box.left, reason.top, export_box.width, reason.height)
            self.add(Label(why, reason, color="muted", align="left"))
        names = {str(c["number"]): c["name"] for c in res.get("candidates", [])}
        bars = [(k if k != "blank" else "–", names.get(k, str(_("Blank vote"))), v) for k, v in res["tally"].items()]
        # the summary as high as its lines wrap to (never shrunk); the chart gets the rest
        need = Panel.needed_height(t, self.summary_lines(), body.width)
        chart, info = L.split_bottom(body, min(need, body.height // 2), t.gap * 2)
        self.add(BarChart(bars, chart))
        self.add(Panel(self.summary_lines, info))

    def summary_lines(self):
        res = self.results
        total = sum(res["tally"].values())
        balanced = res.get("reconciliation", {}).get("balanced")
        return [
            (_("Votes counted"), data(total), None),
            (
                _("Counts reconciled"),
                _("All counts agree") if balanced else _("Counts do not agree — see report"),
                "ok" if balanced else "bad",
            ),
            (_("Copies printed"), data(res.get("copies_printed", 0)), None),
        ]

    def print_results(self):
        def job():
            return self.app.call(self.app.station.print_results, self.app.token)

        def then(result):
            ok, outcome = result
            if ok and not outcome.ok:
                self.app.push(
                    ErrorScreen(
                        self.app,
                        outcome.error,
                        title=_("The results did not print"),
                        retry=(_("Continue"), lambda: (self.app.pop(), self.print_results())),
                    )
                )
            self.refresh()

        self.app.push(WorkingScreen(self.app, _("Results"), _("Printing the results report…"), job, then))


def write_to_stick(app, folder: Path, call: tuple, title: str, working: str, written: str) -> None:
    """Run ``call`` (the API method and its arguments: an export onto ``folder``) behind a working
    screen; once it wrote, the stick is synced and ``written`` (with ``{stick}`` and ``{file}``) shown."""

    def job():
        result = app.call(*call)
        if result[0]:
            import os

            os.sync()  # everything on the stick before "safe to remove" is shown
        return result

    def then(result):
        ok, path = result
        if ok:
            app.pop()
            show_message(app, title, written.format(stick=folder.name or "USB", file=Path(str(path)).name))

    app.push(WorkingScreen(app, title, working, job, then))


def export_places(folders) -> list[Path]:
    """Writable folders to export to: each configured folder's mounted sticks (one level down), or itself."""
    import os

    out = []
    for root in folders:
        root = Path(root)
        if not root.is_dir():
            continue
        subs = sorted(p for p in root.iterdir() if p.is_dir()) if os.access(root, os.R_OK) else []
        for place in subs or [root]:
            if os.access(place, os.W_OK) and place not in out:
                out.append(place)
    return out[:20]


class ExportScreen(CompanionScreen):
    """Write the signed results bundle to a USB stick."""

    name = "export"
    title = N_("Export the results")
    prompt = N_("Plug in a USB stick, then touch where to write the results.")

    def on_show(self):
        self.places = export_places(self.app.settings.export_dirs)
        self.relayout()

    def build_body(self, area):
        t = self.theme
        if not hasattr(self, "places"):
            self.places = export_places(self.app.settings.export_dirs)
        body, cells = self.footer(area, 1)
        words = _(self.prompt)
        head, rest = L.split_top(body, Label.height_for(t, words, body.width, least=int(t.body * 2.4)), t.gap)
        self.add(Label(words, head, align="left"))
        # the stick's name only: a companion has no use for a mount path, and it reads like an error
        rows = [ListRow(data(p.name or "USB"), _("USB stick"), (lambda p=p: self.export(p))) for p in self.places]
        self.add(ListView(rows, rest, row_height=list_row_height(t), empty=_("No USB stick found.")))
        self.add(Button(_("Look again"), self.on_show, cells[0]))

    def export(self, folder: Path):
        ok, info = self.app.call(self.app.api.election_info, on_error=lambda exc: True)
        short = info["short_id"] if ok else "booth"
        target = folder / f"hasil-{short}-TPS{info['tps']:02d}.zip" if ok else folder / "hasil.zip"

        write_to_stick(
            self.app,
            folder,
            (self.app.api.export, self.app.token, str(target)),
            _("Export the results"),
            _("Writing the results bundle…"),
            _(
                "The results were written to the USB stick “{stick}” as {file}. "
                "The USB stick can be safely removed now."
            ),
        )


# ------------------------------------------------------------------ pack
class PackScreen(CompanionScreen):
    """Print the custody slip, then seal the device (read-only from then on)."""

    name = "pack"
    title = N_("Pack the device")

    def build_body(self, area):
        body, (no, yes) = self.footer(area, 2)
        self.body = body
        self.add(Button(_("Cancel"), self.back, no, bold=False))
        self.add(Button(_("Print the custody slip and seal"), self.pack, yes, kind="danger"))

    def paint_body(self, p):
        t = p.theme
        top, bottom = L.split_top(self.body, int(self.body.height * 0.4), t.gap)
        p.text(
            _("Packing seals the device: nothing can be changed on it any more."), top, t.title, bold=True, align="left"
        )
        p.text(
            _("First the custody slip prints, to go with the device to the district."),
            bottom,
            t.body,
            align="left",
            valign="top",
        )

    def pack(self):
        def job():
            ok, outcome = self.app.call(self.app.station.print_custody_slip, self.app.token)
            if not ok:
                return False
            if not outcome.ok:
                self.app.push(ErrorScreen(self.app, outcome.error, title=_("The custody slip did not print")))
                return False
            ok, _r = self.app.call(self.app.api.pack, self.app.token)
            return ok

        def then(done):
            if done:
                self.app.token = None  # packing ends every session
                show_message(
                    self.app,
                    _("Pack the device"),
                    _("The device is sealed. Put it in its box."),
                    then=self.app.close_companion,
                )

        self.app.push(WorkingScreen(self.app, _("Pack the device"), _("Printing the custody slip…"), job, then))


# ---------------------------------------------------------------- verify
class VerifyScreen(CompanionScreen):
    """Check the device's own records: hash chain, signatures, checkpoints, ballots."""

    name = "verify"
    title = N_("Verify the records")

    def __init__(self, app) -> None:
        super().__init__(app)
        self.report: dict | None = None

    def state_key(self):
        return self.report is not None

    def build_body(self, area):
        t = self.theme
        body, cells = self.footer(area, 1)
        bar, rest = L.split_top(body, max(t.target, int(t.body * 3.2)), t.gap * 2)
        self.add(
            ProgressBar(
                lambda: 1.0 if self.report else 0.0,
                bar,
                caption=lambda: _("Checked") if self.report else _("Not checked yet"),
            )
        )
        self.rest = rest
        if self.report is None:
            self.add(Button(_("Check now"), self.run, cells[0], kind="primary"))
        else:
            self.add(Panel(self.lines, rest))
            self.add(Button(_("Done"), self.back, cells[0], kind="primary"))

    def lines(self):
        r = self.report
        s = r.get("summary", {})
        out = [
            (_("Result"), _("Valid: nothing changed") if r["valid"] else _("NOT VALID"), "ok" if r["valid"] else "bad")
        ]
        if not r["valid"] and r.get("first_problem"):
            out.append((_("First problem"), data(r["first_problem"]), "bad"))
        out += [
            (_("Events"), data(s.get("events", "?")), None),
            (_("Ballots stored"), data(s.get("ballots_stored", "?")), None),
            (_("Device"), data(s.get("fingerprint_short", "")), None),
        ]
        return out

    def run(self):
        def job():
            return self.app.call(self.app.api.verify_ledger, self.app.token)

        def then(result):
            ok, report = result
            if ok:
                self.report = report
                self.relayout()

        self.app.push(WorkingScreen(self.app, _("Verify the records"), _("Checking every record…"), job, then))


__all__ = [
    "pause_screen",
    "resume",
    "CloseScreen",
    "count_screen",
    "ResultsScreen",
    "ExportScreen",
    "PackScreen",
    "VerifyScreen",
    "local_time",
]
