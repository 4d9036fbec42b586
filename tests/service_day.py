"""A booth through the client API, for tests: the demo package, a provisioned device, the day's steps.

The demo package (3 candidates; companions PT-01 ketua, PT-02 and PT-03
teknisi) is built once per test process and reused.  Every booth runs on a
:class:`FakeClock` and with a cheap scrypt, so a whole day takes milliseconds::

    booth = ready_to_vote(tmp_path / "state")          # custody done, zero report, polls open
    slip = vote(booth.svc, "DPT-0001", "2")            # check in, release, cast, slip, photo
    booth.restart()                                    # close and reopen from the state directory

Only ``booth.service.BoothService`` is called; nothing here reaches inside it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from booth.demo_election import make_demo_package
from booth.election_package import CommitteeKeyPair, ElectionPackage, load_package, sign_package
from booth.ledger.clock import FakeClock
from booth.service import BoothService, Settings

#: The PIN each demo companion makes at handover (6 digits, not trivial).
PINS = {"PT-01": "258001", "PT-02": "258002", "PT-03": "258003", "PT-04": "258004"}
KETUA, TEKNISI, TEKNISI_2 = "PT-01", "PT-02", "PT-03"
#: A tiny byte string the photo vault accepts as a JPEG (it checks the SOI marker and the size).
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + bytes(range(64)) + b"\xff\xd9"
SELF_TEST = {"printer": "ok", "camera": "ok", "buttons": "ok"}
SETTINGS = Settings(pin_scrypt_n=2**10)

_CACHE: dict[str, tuple[Path, CommitteeKeyPair, ElectionPackage]] = {}
_ROOT: list[Path] = []
_MADE: list[Path] = []  # every temporary folder made here, removed when the test process ends


@atexit.register
def _remove_temporary_folders() -> None:
    for folder in _MADE:
        shutil.rmtree(folder, ignore_errors=True)


def _cache_root() -> Path:
    if not _ROOT:
        _ROOT.append(fast_tmp("booth-test-packages-"))
    return _ROOT[0]


def demo_package() -> tuple[Path, CommitteeKeyPair, ElectionPackage]:
    """(package folder, committee keys, loaded package) of the demo election, built once per process.

    Treat the folder as read-only: copy it (``copy_package``) before changing anything.
    """
    if "demo" not in _CACHE:
        package_dir, keys = make_demo_package(_cache_root() / "demo", seed=2025, voters=300)
        _CACHE["demo"] = (Path(package_dir), keys, load_package(package_dir))
    return _CACHE["demo"]


def copy_package(dest: Path) -> Path:
    """A private copy of the demo package folder (still validly signed)."""
    package_dir, _, _ = demo_package()
    shutil.copytree(package_dir, dest)
    return dest


def package_with_companions(companions: list[dict]) -> tuple[Path, ElectionPackage]:
    """The demo election with another companion table, re-signed with the demo committee key (cached)."""
    name = "companions-" + "-".join(f"{c['id']}:{c['role']}" for c in companions)
    if name not in _CACHE:
        _, keys, _ = demo_package()
        folder = copy_package(_cache_root() / name.replace(":", "_"))
        election = json.loads((folder / "election.json").read_text(encoding="utf-8"))
        election["companions"] = companions
        (folder / "election.json").write_text(json.dumps(election, ensure_ascii=False, indent=2), encoding="utf-8")
        _CACHE[name] = (folder, keys, sign_package(folder, keys))
    folder, _, pkg = _CACHE[name]
    return folder, pkg


def opens_at() -> dt.datetime:
    return demo_package()[2].election.opens_at.astimezone(dt.UTC)


def closes_at() -> dt.datetime:
    return demo_package()[2].election.closes_at.astimezone(dt.UTC)


@dataclass
class Booth:
    """One device under test: its service, clock and state directory."""

    svc: BoothService
    clock: FakeClock
    state_dir: Path
    package_dir: Path
    settings: Settings = SETTINGS
    pins: dict[str, str] = field(default_factory=lambda: dict(PINS))

    @property
    def package(self) -> ElectionPackage:
        return self.svc.package

    def sign_in(self, companion_id: str = KETUA) -> str:
        """A fresh session token for the companion (right PIN)."""
        return self.svc.sign_in(companion_id, self.pins[companion_id])

    def restart(self, *, crash: bool = False) -> BoothService:
        """Stop the service and start it again from the state directory.

        ``crash=True`` drops the service without its orderly close (no WAL scrub,
        no vault close): only the database handle is let go, because the ledger
        holds SQLite's exclusive lock as a live process would until it dies.
        """
        if crash:
            self.svc.ledger.connection.close()
        else:
            self.svc.close()
        self.svc = BoothService.open(self.state_dir, clock=self.clock, settings=self.settings)
        return self.svc

    def close(self) -> None:
        self.svc.close()


def provision(
    state_dir: Path,
    *,
    at: dt.datetime | None = None,
    settings: Settings = SETTINGS,
    package_dir: Path | None = None,
    load: bool = True,
    pins: bool = True,
) -> Booth:
    """A new device on a FakeClock at ``at`` (default: two days before opening).

    With ``load`` the (demo) package is loaded; with ``pins`` every companion of
    the package then makes their PIN from ``PINS``.
    """
    package_dir = package_dir or demo_package()[0]
    clock = FakeClock(at or opens_at() - dt.timedelta(days=2))
    svc = BoothService.provision(Path(state_dir), clock=clock, settings=settings)
    booth = Booth(svc, clock, Path(state_dir), Path(package_dir), settings)
    if load:
        svc.load_election(str(package_dir))
        if pins:
            for companion in svc.package.companions:
                svc.set_first_pin(companion.id, PINS[companion.id])
    return booth


def walk_custody(booth: Booth, companion_id: str = KETUA, *, until: str = "installed") -> None:
    """received -> distributed (named, no PIN yet) -> handed over -> installed (signed in);
    with ``until="handed_over"`` the booth is left with the KPPS, not yet installed."""
    svc = booth.svc
    technician = next(c.id for c in svc.package.companions if c.role == "teknisi")
    svc.record_custody("received", companion_id=technician, place="Kantor Kecamatan Pagelaran")
    svc.record_custody("distributed", companion_id=technician, place="Jalan ke pekon")
    token = booth.sign_in(companion_id)
    svc.record_custody("handed_over", token=token, place="Balai Pekon", note="diterima lengkap")
    if until == "installed":
        svc.record_custody("installed", token=token, place="Balai Pekon", self_test=dict(SELF_TEST))


def print_zero_report(booth: Booth, companion_id: str = KETUA) -> dict:
    """Half an hour before opening: the zero report is made and printed."""
    booth.clock.set(opens_at() - dt.timedelta(minutes=30))
    token = booth.sign_in(companion_id)
    report = booth.svc.zero_report(token)
    booth.svc.zero_report_printed(token)
    return report


def open_polls(booth: Booth, companion_id: str = KETUA) -> str:
    """At opening time the ketua opens the polls; returns the ketua's token."""
    booth.clock.set(opens_at() + dt.timedelta(seconds=1))
    token = booth.sign_in(companion_id)
    booth.svc.open_polls(token)
    return token


def ready_to_vote(state_dir: Path, **kw) -> Booth:
    """Provisioned, package loaded, PINs made, custody walked, zero report printed, polls open."""
    booth = provision(state_dir, **kw)
    walk_custody(booth)
    print_zero_report(booth)
    open_polls(booth)
    return booth


def fast_tmp(prefix: str = "booth-") -> Path:
    """A fresh temporary folder, in memory (/dev/shm) where there is one: fsync is free there.

    For tests that make thousands of ledger commits and are not about power cuts.
    """
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=shm if shm.is_dir() else None))
    _MADE.append(folder)
    return folder


_TEMPLATES: dict[str, tuple[Path, dt.datetime]] = {}


def cloned_booth(state_dir: Path, *, opened: bool = True) -> Booth:
    """A booth like ``ready_to_vote`` (or, with ``opened=False``, zero report printed, polls not yet
    open) made by copying a state directory prepared once per process: the same device key each
    time, a fresh copy of everything else, started with ``BoothService.open``.
    """
    kind = "open" if opened else "zero_report"
    if kind not in _TEMPLATES:
        folder = _cache_root() / ("state-" + kind)
        booth = provision(folder)
        walk_custody(booth)
        print_zero_report(booth)
        if opened:
            open_polls(booth)
        when, mono = booth.clock.now(), booth.clock.monotonic_ns()
        booth.close()
        _TEMPLATES[kind] = (folder, when, mono)
    folder, when, mono = _TEMPLATES[kind]
    shutil.copytree(folder, state_dir)
    clock = FakeClock(when)
    clock._mono = mono  # the same boot goes on: its monotonic clock never goes back (booth verify checks)
    svc = BoothService.open(Path(state_dir), clock=clock, settings=SETTINGS)
    return Booth(svc, clock, Path(state_dir), demo_package()[0], SETTINGS)


def vote(
    svc: BoothService,
    voter_ref: str,
    choice: str,
    *,
    token: str | None = None,
    companion_id: str = KETUA,
    wait: bool = True,
) -> dict:
    """One voter, whole: check in -> release -> cast -> slip printed -> "Struk sesuai" -> photo stored.

    Signs the companion in with their ``PINS`` entry unless ``token`` is given.
    With ``wait`` a FakeClock is moved on by the minimum interval between casts
    first.  Returns the slip data of the cast.
    """
    if wait and isinstance(svc.clock, FakeClock):
        svc.clock.advance(svc.settings.min_cast_interval)
    token = token or svc.sign_in(companion_id, PINS[companion_id])
    svc.check_in(token, voter_ref)
    release = svc.release_ballot(token, voter_ref)["release"]
    slip = svc.cast(release, choice)
    svc.slip_printed(release)
    svc.slip_confirmed(release)  # the voter touches "Struk sesuai"
    svc.store_photo(release, JPEG)
    return slip


def events(svc: BoothService, start: int = 0) -> list:
    """The log's entries from ``start`` (``booth.ledger.ledger.Entry``)."""
    return list(svc.ledger.entries(start))
