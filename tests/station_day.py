"""A polling station for tests: one desk and N booths, each its own device and state directory.

Every device is a real ``BoothService`` on its own ledger; they share one ``FakeClock`` (the
station's wall clock) and talk only through the bytes of ``booth.station.release``::

    st = open_station(tmp_path, booths=3)                  # paired, zero reports printed, polls open
    release = st.vote("DPT-0001", booth=2, choice="1")     # check-in, release, cast, slip, outcome, photo
    st.desk.svc.counts()["voted"]                          # 1
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from booth.ledger.clock import FakeClock
from booth.service import BoothService, Settings
from service_day import JPEG, KETUA, PINS, Booth, demo_package, open_polls, opens_at, print_zero_report, walk_custody

STATION_SETTINGS = Settings(pin_scrypt_n=2**10, min_cast_interval=0.0, release_timeout=300.0)


def make_device(state_dir: Path, role: str, clock: FakeClock, settings: Settings = STATION_SETTINGS) -> Booth:
    """A device of ``role`` with the demo package loaded and every companion's PIN made."""
    package_dir = demo_package()[0]
    svc = BoothService.provision(state_dir, clock=clock, settings=settings, role=role)
    device = Booth(svc, clock, Path(state_dir), Path(package_dir), settings)
    svc.load_election(str(package_dir))
    for companion in svc.package.companions:
        svc.set_first_pin(companion.id, PINS[companion.id])
    return device


def pair(desk: Booth, booth: Booth, number: int) -> None:
    """Pair ``booth`` as booth ``number``: each side types the code the other's screen shows."""
    desk_key, booth_key = desk.svc.ledger.key.verifier_key(), booth.svc.ledger.key.verifier_key()
    shown_by_booth = booth.svc.pairing_code(desk_key)["code"]
    shown_by_desk = desk.svc.pairing_code(booth_key)["code"]
    desk.svc.pair_booth(desk.sign_in(KETUA), number, booth_key, shown_by_booth)
    booth.svc.pair_desk(booth.sign_in(KETUA), desk_key, number, shown_by_desk)


@dataclass
class Station:
    desk: Booth
    booths: dict[int, Booth]
    clock: FakeClock

    def devices(self) -> list[Booth]:
        return [self.desk, *self.booths.values()]

    def token(self) -> str:
        return self.desk.sign_in(KETUA)

    def release(self, voter: str, booth: int) -> dict:
        """At the desk: check the voter in and release them to ``booth``; the release with its token."""
        token = self.token()
        self.desk.svc.check_in(token, voter)
        return self.desk.svc.issue_release(token, voter, booth)

    def finish(self, release: dict, choice: str) -> dict:
        """At the booth the release went to: accept, cast, slip, check; its outcome back at the desk."""
        booth = self.booths[release["booth"]].svc
        booth.accept_release(release["token"])
        slip = booth.cast(release["release"], choice)
        booth.slip_printed(release["release"])
        booth.slip_confirmed(release["release"])
        returned = self.desk.svc.release_returned(booth.release_outcome(release["release"]))
        assert returned["outcome"] == "cast"
        self.desk.svc.station_photo(release["release"], JPEG)
        return slip

    def vote(self, voter: str, booth: int, choice: str) -> dict:
        release = self.release(voter, booth)
        self.finish(release, choice)
        return release

    def restart(self) -> None:
        for device in self.devices():
            device.restart()

    def close(self) -> None:
        for device in self.devices():
            device.close()


def open_station(root: Path, booths: int = 3, *, settings: Settings = STATION_SETTINGS) -> Station:
    """A desk and ``booths`` booths: custody walked, paired, zero reports printed, polls open."""
    clock = FakeClock(opens_at() - dt.timedelta(days=2))
    desk = make_device(Path(root) / "desk", "desk", clock, settings)
    devices = {n: make_device(Path(root) / f"booth-{n}", "booth", clock, settings) for n in range(1, booths + 1)}
    for device in [desk, *devices.values()]:
        walk_custody(device)
    for n, booth in devices.items():
        pair(desk, booth, n)
    for device in [desk, *devices.values()]:
        print_zero_report(device)
    for device in [desk, *devices.values()]:
        open_polls(device)
    return Station(desk, devices, clock)


_TEMPLATE: dict[int, tuple[Path, dt.datetime, int]] = {}


def cloned_station(root: Path, booths: int = 3) -> Station:
    """A station like ``open_station``, made by copying state directories prepared once per process
    (the same device keys each time; a fresh copy of everything else, started with ``BoothService.open``)."""
    from service_day import fast_tmp

    if booths not in _TEMPLATE:
        folder = fast_tmp("booth-station-")
        st = open_station(folder, booths)
        when, mono = st.clock.now(), st.clock.monotonic_ns()
        st.close()
        _TEMPLATE[booths] = (folder, when, mono)
    folder, when, mono = _TEMPLATE[booths]
    clock = FakeClock(when)
    clock._mono = mono  # the same boot goes on: its monotonic clock never goes back (booth verify checks)

    def opened(name: str) -> Booth:
        shutil.copytree(folder / name, Path(root) / name)
        svc = BoothService.open(Path(root) / name, clock=clock, settings=STATION_SETTINGS)
        return Booth(svc, clock, Path(root) / name, demo_package()[0], STATION_SETTINGS)

    return Station(opened("desk"), {n: opened(f"booth-{n}") for n in range(1, booths + 1)}, clock)
