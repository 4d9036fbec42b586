"""A polling station of real processes: each device its own state directory and ``booth service ledger``.

The driver plays the kiosks: it is a client of each device's ledger socket, as the desk's and the
booths' kiosks are on the day.  Every device has its own fake clock (``--fake-clock``), set to
the same station time by :meth:`ProcessStation.set_time`::

    st = ProcessStation.open(tmp, booths=3)               # provisioned, paired, polls open
    release = st.release("DPT-0001", booth=2)              # at the desk: check-in, release token
    st.booths[2].client.accept_release(release["token"])   # what the relay carries

Tokens, outcomes and notices travel as bytes between the clients here; ``booth station relay``
carries the same bytes over the station's link (tests/test_station_processes.py).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from booth.api.client import BoothClient
from service_day import JPEG, KETUA, PINS, SELF_TEST, demo_package, opens_at
from test_api_server import Ledger


def utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


@dataclass
class ProcessDevice:
    """One device: its state directory, its ledger service process, and the kiosk's client of it."""

    name: str
    role: str
    ledger: Ledger
    client: BoothClient = field(init=False)

    @classmethod
    def provision(cls, root: Path, name: str, role: str, start: dt.datetime) -> ProcessDevice:
        workdir = Path(root) / name
        workdir.mkdir(parents=True)
        subprocess.run(
            [sys.executable, "-m", "booth", "device", "init", str(workdir / "state"), "--role", role],
            check=True,
            capture_output=True,
            timeout=60,
        )
        device = cls(name, role, Ledger(workdir, fake_clock=utc(start)))
        device.start()
        return device

    def start(self) -> None:
        self.ledger.start()
        self.client = BoothClient(self.ledger.socket, timeout=60)

    def kill(self) -> None:
        """kill -9 of the ledger service (a crash or power cut as the ledger sees it)."""
        self.client.close()
        self.ledger.kill()

    def restart(self, when: dt.datetime) -> None:
        """systemd's restart: the same state directory, the station's time."""
        self.ledger.fake_clock = utc(when)
        self.start()

    def token(self) -> str:
        return self.client.sign_in(KETUA, PINS[KETUA])

    def verifier_key(self) -> str:
        """The device's C2SP verifier key, as ``booth device pubkey`` shows it for pairing."""
        return (self.ledger.state / "device.pub").read_text().strip()

    def stop(self) -> None:
        self.client.close()
        if self.ledger.alive():
            self.ledger.stop()


@dataclass
class ProcessStation:
    """A desk and its booths, each a :class:`ProcessDevice`, and the station's time."""

    desk: ProcessDevice
    booths: dict[int, ProcessDevice]
    now: dt.datetime

    def devices(self) -> list[ProcessDevice]:
        return [self.desk, *self.booths.values()]

    def set_time(self, when: dt.datetime) -> None:
        """Every device's clock to ``when``; forward by advancing, so the monotonic clocks move too."""
        seconds = int((when - self.now).total_seconds())
        self.now = when
        for device in self.devices():
            if device.ledger.alive():
                if seconds >= 0:
                    device.client.fake_clock_advance(seconds)
                else:
                    device.client.fake_clock_set(utc(when))

    def advance(self, seconds: int) -> None:
        self.set_time(self.now + dt.timedelta(seconds=seconds))

    @classmethod
    def open(cls, root: Path, booths: int = 3) -> ProcessStation:
        """Provisioned, package loaded, custody walked, paired, zero reports printed, polls open."""
        start = opens_at() - dt.timedelta(days=2)
        desk = ProcessDevice.provision(root, "desk", "desk", start)
        devices = {n: ProcessDevice.provision(root, f"booth-{n}", "booth", start) for n in range(1, booths + 1)}
        st = cls(desk, devices, start)
        package_dir = demo_package()[0]
        for device in st.devices():
            set_up(device, package_dir)
        for n, booth in devices.items():
            pair(desk, booth, n)
        st.set_time(opens_at() - dt.timedelta(minutes=30))
        for device in st.devices():
            token = device.token()
            device.client.zero_report(token)
            device.client.zero_report_printed(token)
        st.set_time(opens_at() + dt.timedelta(seconds=1))
        for device in st.devices():
            device.client.open_polls(device.token())
        return st

    # --- the day, as the kiosks do it
    def release(self, voter: str, booth: int, token: str | None = None) -> dict:
        """At the desk: check the voter in and release them to ``booth``; the release with its token."""
        self.advance(60)  # a voter a minute: the booths' minimum interval between casts
        token = token or self.desk.token()
        self.desk.client.check_in(token, voter)
        return self.desk.client.issue_release(token, voter, booth)

    def cast_at_booth(self, booth: int, release_id: str, choice: str) -> bytes:
        """At the booth (the release accepted): cast, slip printed and checked; the signed outcome."""
        c = self.booths[booth].client
        c.cast(release_id, choice)
        c.slip_printed(release_id)
        c.slip_confirmed(release_id)
        return c.release_outcome(release_id)

    def photo(self, release_id: str) -> None:
        self.desk.client.station_photo(release_id, JPEG)

    def close_and_collect(self) -> dict[int, str]:
        """Closing time: every device closes and counts; the booths' signed results statements."""
        from service_day import closes_at

        self.set_time(closes_at() + dt.timedelta(minutes=1))
        closings = {}
        for number, device in [(0, self.desk), *self.booths.items()]:
            token = device.token()
            device.client.close_polls(token)
            device.client.count(token)
            if number:
                closings[number] = device.client.results()["statement"]
        return closings

    def stop(self) -> None:
        for device in self.devices():
            device.stop()


def set_up(device: ProcessDevice, package_dir: Path) -> None:
    """The package loaded, every companion's PIN made, custody walked to "installed"."""
    c = device.client
    c.load_election(str(package_dir))
    companions = demo_package()[2].companions
    for companion in companions:
        c.set_first_pin(companion.id, PINS[companion.id])
    technician = next(x.id for x in companions if x.role == "teknisi")
    c.record_custody("received", companion_id=technician, place="Kantor Kecamatan Pagelaran")
    c.record_custody("distributed", companion_id=technician, place="Jalan ke pekon")
    token = device.token()
    c.record_custody("handed_over", token=token, place="Balai Pekon", note="diterima lengkap")
    c.record_custody("installed", token=token, place="Balai Pekon", self_test=dict(SELF_TEST))


def pair(desk: ProcessDevice, booth: ProcessDevice, number: int) -> None:
    """Each side types the code the other's screen shows."""
    desk_key, booth_key = desk.verifier_key(), booth.verifier_key()
    shown_by_booth = booth.client.pairing_code(desk_key)["code"]
    shown_by_desk = desk.client.pairing_code(booth_key)["code"]
    desk.client.pair_booth(desk.token(), number, booth_key, shown_by_booth)
    booth.client.pair_desk(booth.token(), desk_key, number, shown_by_desk)
