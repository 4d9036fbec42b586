"""The tests' day-builders, as fixtures in one place.

Each builder brings a booth to a point of the day, the way the people in the
room would (through the service's API, on a fake clock), and cleans up after
the test.  The functions behind them stay importable from their modules, for
tests and tools that build days outside pytest (the screen gallery, the
guidebook):

=====================  =============================================================  ==========================
fixture                what it gives                                                  built by
=====================  =============================================================  ==========================
``service_booth``      ``service_booth(stage)``: a ``Booth`` (service, clock, state)  ``tests/service_day.py``
                       at "new", "loaded", "handed_over", "installed", "zero_report"
                       or "open"
``ledger_day``         ``ledger_day(voters, ...)``: a ledger with that many ballots   ``tests/ledger_days.py``
                       cast, closed; returns (state dir, [(ballot id, choice)])
``demo_pkg``           the demo package (60 voters) for the kiosk, once per session   ``booth.demo_election``
``booth_day``          ``booth_day(stage=, size=, ...)``: a kiosk ``Day`` on a booth  ``tests/test_ui_support.py``
=====================  =============================================================  ==========================

Built on these: ``service_day.cloned_booth`` (a copy of one open booth per process, for the
fuzz and rule tests that need hundreds of fresh booths) and ``tests/recap_days.py`` (counted
polling places for the recap).  The whole election day of ``tests/test_election_day.py`` (300
voters, every fault) is that module's own, as is the simulated day of ``tests/test_sim_day.py``.
"""

import contextlib
import sqlite3
import sys
from pathlib import Path

import pytest

# tests import their shared scenario builders (tests/ledger_days.py, ...) by name
sys.path.insert(0, str(Path(__file__).parent))

SERVICE_STAGES = ("new", "loaded", "handed_over", "installed", "zero_report", "open")


@pytest.fixture
def service_booth(tmp_path):
    """``service_booth(stage="open", **provision_options)``: a booth brought to ``stage``; closed afterwards."""
    import service_day

    made = []

    def make(stage: str = "open", **kw):
        if stage not in SERVICE_STAGES:
            raise ValueError(f"stage must be one of {SERVICE_STAGES}, not {stage!r}")
        booth = service_day.provision(tmp_path / f"state-{len(made)}", load=stage != "new", **kw)
        made.append(booth)
        at = SERVICE_STAGES.index(stage)
        if at == SERVICE_STAGES.index("handed_over"):
            service_day.walk_custody(booth, until="handed_over")
        elif at >= SERVICE_STAGES.index("installed"):
            service_day.walk_custody(booth)
        if SERVICE_STAGES.index(stage) >= SERVICE_STAGES.index("zero_report"):
            service_day.print_zero_report(booth)
        if stage == "open":
            service_day.open_polls(booth)
        return booth

    yield make
    for booth in made:
        with contextlib.suppress(sqlite3.ProgrammingError):  # the test closed it itself (a power cut, a restart)
            booth.close()


@pytest.fixture
def ledger_day(tmp_path):
    """``ledger_day(voters, **options)``: (state dir, cast ballots) of a small day in the ledger alone."""
    import ledger_days

    made = []

    def make(voters: int, **kw):
        state = tmp_path / f"ledger-{len(made)}"
        made.append(state)
        return state, ledger_days.voting_day(state, voters, **kw)

    return make


@pytest.fixture(scope="session")
def demo_pkg(tmp_path_factory):
    """The demo election package for the kiosk tests (60 voters; made and signed once per test session)."""
    from booth.demo_election import make_demo_package
    from booth.election_package import load_package

    root = tmp_path_factory.mktemp("demo")
    pkg_dir, _keys = make_demo_package(root / "usb", voters=60)
    return pkg_dir, load_package(pkg_dir)


@pytest.fixture
def booth_day(tmp_path, demo_pkg):
    """``booth_day(stage=..., size=...)`` makes a kiosk ``Day``; its devices are closed afterwards."""
    import test_ui_support

    made = []

    def make(**kw):
        day = test_ui_support.make_day(test_ui_support.fast_root(tmp_path), demo_pkg, **kw)
        made.append(day)
        return day

    yield make
    for day in made:
        day.devices.close()
        day.svc.close()
