"""At the desk after closing: each booth's closing, then the station's results report.

:class:`StationClosingScreen` lists the paired booths, each "closing received" or "waiting" (the
booth's signed results statement comes over the link once it has counted: ``closing_received``,
``status()["booths"][n]["closing"]``); "Cetak laporan hasil TPS" collects the closings
(``station_results`` with nothing handed in: what came over the link), counts at the desk if it
has not yet, and prints the station's results report (``Station.print_station_results``), again
for another copy.  A booth whose closing has not come refuses it with that booth's number, and
nothing is printed.  Once printed, "Ekspor bundel TPS" (:class:`StationExportScreen`) writes the
station bundle onto the USB stick holding every booth's bundle (``export_station``), chosen the
way a booth's export chooses its stick (``export_places``); the file's name is shown, or the
refusal naming the booth whose bundle is missing or damaged.
"""

from __future__ import annotations

from pathlib import Path

from booth.ui import layout as L
from booth.ui.closing_screens import ExportScreen, write_to_stick
from booth.ui.common_screens import CompanionScreen, ErrorScreen, WorkingScreen
from booth.ui.i18n import N_, _
from booth.ui.widgets import Button, Label

CLOSING_WORDS = {
    "received": (N_("closing received"), "ok"),
    "waiting": (N_("waiting for its closing"), "warn"),
}


def closing_rows(app) -> list[dict]:
    ok, status = app.call(app.api.status, on_error=lambda exc: True)
    booths = status.get("booths", {}) if ok else {}
    return [{"number": int(k), "closing": booths[k].get("closing", "waiting")} for k in sorted(booths, key=int)]


class StationClosingScreen(CompanionScreen):
    """The desk's closing: which booths' closings have come, and the station results report."""

    name = "station_closing"
    title = N_("Station results")

    REFRESH_S = 2.0

    def __init__(self, app) -> None:
        super().__init__(app)
        self.rows = closing_rows(app)
        self.printed = 0
        self._looked = app.now()

    def state_key(self):
        return (tuple((r["number"], r["closing"]) for r in self.rows), self.printed)

    def build_body(self, area):
        t = self.theme
        body, (back, print_box) = self.footer(area, 2)
        self.add(Button(_("Back"), self.back, back, bold=False))
        waiting = [r["number"] for r in self.rows if r["closing"] != "received"]
        label = _("Print the station results report") if not self.printed else _("Print another copy")
        kind = "primary" if not waiting and not self.printed else "normal"
        self.add(Button(label, self.print_report, print_box, kind=kind))
        if self.printed:  # the station bundle, once the report is on paper: a whole row above the footer
            body, export_box = L.split_bottom(body, back.height, t.gap * 2)
            self.add(Button(_("Export the station bundle"), self.export, export_box, kind="primary"))
        lines = L.rows(body, max(len(self.rows), 6), t.gap)
        for row, line in zip(self.rows, lines, strict=False):
            words, color = CLOSING_WORDS.get(row["closing"], CLOSING_WORDS["waiting"])
            text = _("Booth {number}: {state}").format(number=row["number"], state=_(words))
            self.add(Label(text, line, size="title", color=color, align="left"))

    def print_report(self) -> None:
        def job():
            ok, station = self.app.call(self.app.api.station_results, self.app.token, {})
            if not ok:
                return ok, None
            ok, status = self.app.call(self.app.api.status)
            if ok and status.get("polls") == "closed":  # the desk's own count: what its booths reported
                ok, _counted = self.app.call(self.app.api.count, self.app.token)
            if not ok:
                return ok, None
            return self.app.call(self.app.station.print_station_results, self.app.token, station)

        def then(result):
            ok, outcome = result
            if ok and outcome is not None and not outcome.ok:
                self.app.push(
                    ErrorScreen(
                        self.app,
                        outcome.error,
                        title=_("The results did not print"),
                        retry=(_("Continue"), lambda: (self.app.pop(), self.print_report())),
                    )
                )
            elif ok and outcome is not None:
                self.printed += 1
            self.rows = closing_rows(self.app)

        self.app.push(WorkingScreen(self.app, _("Station results"), _("Printing the results report…"), job, then))

    def export(self) -> None:
        self.app.push(StationExportScreen(self.app))

    def update(self, now: float) -> None:
        if now - self._looked >= self.REFRESH_S:
            self._looked = now
            self.rows = closing_rows(self.app)

    def wake_at(self, now: float) -> float | None:
        return self._looked + self.REFRESH_S


class StationExportScreen(ExportScreen):
    """The station bundle onto the USB stick that holds every booth's results bundle."""

    name = "station_export"
    title = N_("Export the station bundle")
    prompt = N_("Plug in the USB stick with every booth's results bundle, then touch it.")

    def export(self, folder: Path):
        write_to_stick(
            self.app,
            folder,
            (self.app.api.export_station, self.app.token, str(folder)),
            _("Export the station bundle"),
            _("Writing the station bundle…"),
            _(
                "The station bundle was written to the USB stick “{stick}” as {file}. "
                "The USB stick can be safely removed now."
            ),
        )
