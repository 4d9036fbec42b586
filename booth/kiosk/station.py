"""The kiosk's hands: print what the core says, take the photo, show the lights.

The core (``BoothService``, in the ledger service) decides; the station, in
the kiosk process next to the devices, carries out the physical part and
reports back what happened.  A print either succeeds and is reported with
``slip_printed``, or fails and is reported with ``slip_failed`` — a failed
print is never reported as printed, and a printer fault never loses the
voter's session (the core keeps it until a companion reprints).

``api`` is a ``BoothService`` (in-process: tests, simulator) or a
``BoothClient`` (over the socket on the appliance); both have the same methods.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from PIL import Image

from booth.errors import BoothError
from booth.hardware.camera import CameraError
from booth.hardware.printer import PrinterError
from booth.kiosk import printouts

log = logging.getLogger(__name__)


@dataclass
class Printout:
    kind: str  # "slip", "slip_void", "zero_report", "results_report", "station_report", "custody_slip", "self_test"
    image: Image.Image


@dataclass
class Outcome:
    """What happened to a physical step; ``error`` carries the words for the screen."""

    ok: bool
    error: Exception | None = None
    data: dict = field(default_factory=dict)

    @property
    def message(self) -> tuple[str, str]:
        if self.error is None:
            return ("", "")
        return (getattr(self.error, "message_id", str(self.error)), getattr(self.error, "message_en", str(self.error)))


class Station:
    """Devices plus the client API, for one booth."""

    def __init__(self, api, devices, *, clock=None) -> None:
        self.api = api
        self.devices = devices
        self.clock = clock
        self.printouts: list[Printout] = []  # what came out whole, in order (for the simulator's tape)

    # ------------------------------------------------------------ printing
    def _print(self, kind: str, image: Image.Image) -> None:
        # Slips at DEBUG: the journal need not hold a line per voter; every other item, and every
        # failure, at INFO / WARNING.  Never an ID or a choice (see booth.logs).
        log.log(logging.DEBUG if kind in ("slip", "slip_void") else logging.INFO, "printing the %s", kind)
        self.devices.lights.show(busy=True)
        try:
            self.devices.printer.print_image(image)
        except PrinterError as exc:
            log.warning("the %s did not print: %s (%s)", kind, exc, type(exc).__name__)
            raise
        finally:
            self.devices.lights.show()
        self.printouts.append(Printout(kind, image))

    def print_slip(self, release: str, slip: dict) -> Outcome:
        """Print the voter's paper slip and tell the core how it went."""
        try:
            self._print("slip", printouts.slip_image(slip))
        except PrinterError as exc:
            self.api.slip_failed(release, type(exc).__name__)
            self.devices.lights.show(attention=True)
            self.devices.buzzer.beep("error")
            return Outcome(False, exc, {"slip": slip})
        self.api.slip_printed(release)
        return Outcome(True, data={"slip": slip})

    def cast(self, release: str, selection: str) -> Outcome:
        """The voter confirmed: record the ballot, then print its slip."""
        slip = self.api.cast(release, selection)
        self.devices.buzzer.beep("confirm")
        return self.print_slip(release, slip)

    def reprint(self, token: str) -> Outcome:
        """A companion reprints the slip after fixing the printer (never a second ballot)."""
        slip = self.api.reprint_slip(token)
        release = self.api.voter_screen()["release"]
        return self.print_slip(release, slip)

    def answer_slip(self, release: str, matches: bool) -> None:
        """The voter's answer on the slip-check screen: "Struk sesuai" (True) or "Struk tidak sesuai"."""
        if matches:
            self.api.slip_confirmed(release)
        else:
            self.api.slip_disputed(release)
            self.devices.lights.show(attention=True)  # a companion is needed at the booth
            self.devices.buzzer.beep("error")

    def spoil(self, token: str, release: str) -> Outcome:
        """A companion spoils the disputed ballot, then the VOID mark prints for the disputed slip.

        The core spoils first (one transaction): a VOID print that fails leaves
        the ballot spoiled all the same, and the companion writes BATAL on the
        slip by hand (the screen says so); the voter votes again either way.
        """
        void = self.api.spoil_ballot(token, release)
        self.devices.lights.show()
        try:
            self._print("slip_void", printouts.void_slip_image(void))
        except PrinterError as exc:
            return Outcome(False, exc, {"void": void})
        return Outcome(True, data={"void": void})

    def print_zero_report(self, token: str) -> Outcome:
        data = self.api.zero_report(token)
        try:
            self._print(
                "zero_report", printouts.zero_report_image(data, paper=printouts.paper_of(self.devices.printer))
            )
        except PrinterError as exc:
            return Outcome(False, exc)
        self.api.zero_report_printed(token)
        return Outcome(True, data=data)

    def print_results(self, token: str) -> Outcome:
        """Print the results report (again: "print another copy" calls this once more)."""
        self.api.whoami(token)  # a signed-in companion, checked before any paper moves
        data = self.api.results()
        copy = data["copies_printed"] + 1
        try:
            self._print(
                "results_report",
                printouts.results_report_image(data, copy=copy, paper=printouts.paper_of(self.devices.printer)),
            )
        except PrinterError as exc:
            return Outcome(False, exc)
        self.api.results_printed(token)
        return Outcome(True, data=data)

    def print_station_results(self, token: str, station: dict) -> Outcome:
        """At a station's desk: print the station results report from what ``station_results``
        returned (the desk collects the closings once; "print another copy" calls this again)."""
        self.api.whoami(token)  # a signed-in companion, checked before any paper moves
        data = self.api.results()
        copy = data["copies_printed"] + 1
        paper = printouts.paper_of(self.devices.printer)
        try:
            self._print("station_report", printouts.station_report_image(data, station, copy=copy, paper=paper))
        except PrinterError as exc:
            return Outcome(False, exc)
        self.api.results_printed(token)
        return Outcome(True, data=data)

    def pack(self, token: str) -> Outcome:
        """Seal the device, then print the custody slip that goes into the box."""
        self.api.pack(token)
        return self.print_custody_slip(None)

    def print_custody_slip(self, token: str | None) -> Outcome:
        """The custody trail on paper; after packing it prints without a PIN (it is public)."""
        status = self.api.status()
        if not status["sealed"]:
            self.api.whoami(token)
        status = self.api.status()
        info = self.api.election_info()
        trail = self.api.custody_trail()
        image = printouts.custody_slip_image(
            info, trail, self.api.latest_checkpoint(), self.api.device_fingerprint(), status["time"]
        )
        try:
            self._print("custody_slip", image)
        except PrinterError as exc:
            return Outcome(False, exc)
        return Outcome(True)

    # --------------------------------------------------------------- photo
    def take_photo(self, release: str) -> Outcome:
        """Photo instead of ink; a camera failure is logged and may be retried or skipped."""
        try:
            jpeg = self.devices.camera.capture_jpeg()
        except CameraError as exc:
            log.warning("the camera took no photo: %s (%s)", exc, type(exc).__name__)
            self.api.photo_failed(release, type(exc).__name__)
            return Outcome(False, exc)
        self.api.store_photo(release, jpeg)
        return Outcome(True)

    # ----------------------------------------------------------- self-test
    def self_test(self, token: str, *, now: dt.datetime | None = None) -> dict[str, str]:
        """Check every device, print the self-test page, and record the results."""
        self.api.whoami(token)
        results: dict[str, str] = {}
        status = self.devices.printer.status()
        results["printer"] = "ok" if status.ready else f"not ready: paper {status.paper}"
        try:
            jpeg = self.devices.camera.capture_jpeg()
            results["camera"] = "ok" if jpeg[:3] == b"\xff\xd8\xff" else "bad image"
        except CameraError as exc:
            results["camera"] = f"failed: {type(exc).__name__}"
        for kind in ("ready", "busy", "attention"):
            self.devices.lights.show(**{kind: True})
        self.devices.lights.show()
        results["lights"] = "ok"
        self.devices.buzzer.beep("confirm")
        results["buzzer"] = "ok"
        now = now or dt.datetime.now(dt.UTC)
        results["clock"] = "ok" if now.year >= 2024 else f"wrong date {now.date()}"
        results["power"] = "ok" if self.devices.power.state().value == "mains" else self.devices.power.state().value
        if results["printer"] == "ok":
            try:
                zone = None  # before a package is loaded the page prints UTC, marked as such
                if self.api.status().get("election_short_id"):
                    zone = printouts.zone_of(self.api.election_info())
                page = printouts.self_test_image(results, self.api.device_fingerprint(), now, zone=zone)
                self._print("self_test", page)
            except PrinterError as exc:
                results["printer"] = f"failed: {type(exc).__name__}"
        self.api.record_self_test(token, results)
        return results

    # --------------------------------------------------------------- power
    def watch_power(self) -> None:
        """Tell the core when the UPS reports a change (it pauses the booth safely)."""
        self.devices.power.on_change(lambda state: self.api.power_changed(state.value))

    # -------------------------------------------------------------- lights
    def show_state(self) -> None:
        """Lights for the people in the room: ready (green), attention (call a companion)."""
        try:
            screen = self.api.voter_screen()["screen"]
        except BoothError:
            # the ledger service does not answer (restarting): call a companion, keep running
            self.devices.lights.show(attention=True)
            return
        self.devices.lights.show(
            ready=screen in ("waiting", "ballot"), attention=screen in ("print_failed", "disputed")
        )
