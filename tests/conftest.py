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
import os
import sqlite3
import sys
from pathlib import Path

import pytest

# tests import their shared scenario builders (tests/ledger_days.py, ...) by name
sys.path.insert(0, str(Path(__file__).parent))

# every frame the kiosk takes from its memo of whole dry runs is checked against a fresh dry run
# (booth.ui.frames.FrameMemo): a screen's or a widget's key that leaves something out fails a test
os.environ.setdefault("BOOTH_UI_CHECK_FRAMES", "1")

#: The slow tests, measured (``pytest --durations=60 -n 2``, this 2-core machine shared with other
#: work; seconds are that run's): a whole file (its shared day) or one test.  They get the ``slow``
#: mark here, in one table, so ``scripts/test -m "not slow"`` stays a few minutes; a name that no
#: longer exists fails ``tests/test_slow_marks.py``.  Files that mark themselves (``pytestmark``):
#: test_crash_safety (200 kills), test_boot and test_fresh_debian (Debian roots), test_gallery_repeatable.
SLOW: dict[str, str | dict[str, str]] = {
    "tests/test_tampering.py": "a voting day's ledger tampered with in every way (~170 s)",
    "tests/test_election_day.py": "the 300-voter election day with every fault (~60 s to build)",
    "tests/test_sim_day.py": "the demo day on the simulated booth (~50 s to build)",
    "tests/test_guidebook.py": "builds the guidebook from a simulated day, PDFs included",
    "tests/test_ui_gallery.py": "every kiosk screen at one size, both languages",
    "tests/test_station_link_store.py": {
        "TestDeskToBooth::runTest": "link.db under lost acks and kills, stateful (11 s)"
    },
    "tests/test_station_link_watch.py": "a morning of watching over real link processes (30 s)",
    "tests/test_station_demo.py": "a station day of a desk and 3 booths, 48 voters, every fault (10-30 s to build)",
    "tests/test_station_transport.py": {
        "test_a_link_cut_during_sends_delivers_every_message_once_in_order": "a proxy cutting links (13 s)",
        "test_a_message_changed_in_one_field_is_refused_or_still_well_formed": "frame fuzzing (12 s)",
    },
    "tests/test_api_wire.py": {
        "test_every_frame_is_answered_with_a_result_or_a_documented_error": "frame fuzzing (41 s)",
    },
    "tests/test_api_server.py": {
        "test_a_short_election_day_runs_through_the_socket": "a day over the socket (20 s)",
        "test_a_killed_server_restarts_with_the_day_intact_and_verify_passes": "kill and restart (15 s)",
        "test_no_frame_makes_the_server_raise": "frame fuzzing (8 s)",
    },
    "tests/test_image_recipe.py": {
        "test_refuses_an_empty_partition_3_elsewhere": "a disk image (24 s)",
        "test_refuses_a_partition_3_that_is_not_the_booths": "a disk image (23 s)",
        "test_data_partition_is_created_once_and_then_left_alone": "a disk image (22 s)",
        "test_refuses_a_root_partition_reaching_into_the_data_area": "a disk image (17 s)",
        "test_provisioning_makes_the_key_once_and_pins_the_committee_key_once": "first boot (7 s)",
    },
    "tests/test_paper.py": {
        "test_the_zero_report_lists_every_candidate_by_number_and_name_with_zero_votes": "OCR (24 s)",
        "test_the_results_report_reads_as_each_candidates_votes_and_sesuai": "OCR (15 s)",
        "test_the_self_test_page_says_which_device_failed": "OCR (10 s)",
        "test_the_examples_command_writes_a_png_of_every_item": "every printed item (7 s)",
    },
    "tests/test_ui_companion.py": {
        "test_a_companions_day_from_empty_device_to_packed_through_the_screens": "a day per size (11-21 s each)",
    },
    "tests/test_service_bad_input.py": {
        "test_a_resigned_dpt_is_refused_with_line_numbers_or_accepted_only_if_valid": "DPT fuzzing (14 s)",
    },
    "tests/test_election_package.py": {
        "test_any_wrong_value_in_election_json_is_refused_with_package_error_never_a_crash": "fuzzing (12 s)",
    },
    "tests/test_vault.py": {
        "test_any_voter_ref_and_photo_round_trip_after_a_restart": "vault fuzzing (10 s)",
    },
    "tests/test_recap_core.py": {
        "test_in_any_order_and_with_repeats_the_recap_log_stays_one_chain": "recap log fuzzing (32 s)",
        "test_the_kabupaten_totals_are_the_sum_of_the_booths_tallies": "many booths counted (9 s)",
    },
    "tests/test_secrecy.py": {  # the module's day of many ballots (~100 s to build) and what it feeds
        "test_a_plain_select_returns_ballots_in_no_relation_to_cast_order": "statistics over the day's ballots",
        "test_where_a_ballot_lies_in_the_files_says_nothing_of_when_it_was_cast": "the same day",
        "test_the_wal_keeps_no_history_of_casts": "the same day",
        "test_each_ballot_fills_a_slot_laid_out_before_voting_began": "the same day",
        "test_no_ballot_record_contains_a_time_or_counter": "the same day",
        "test_no_file_of_a_booth_names_a_voter": "a station day of 45 voters (~13 s to build)",
        "test_no_file_of_the_desk_holds_a_ballot": "the same station day",
        "test_a_booths_ballots_lie_where_their_slots_were_laid_out_before_voting": "the same station day",
    },
    "tests/test_station_stateful.py": "a desk and three booths as a state machine, hypothesis (~30 s)",
    "tests/test_service_rules_stateful.py": {
        "TestElectionDayRules::runTest": "the day's rules as a state machine, hypothesis (65 s)",
    },
    "tests/test_verify_bad_input.py": {
        "test_a_column_holding_a_value_of_another_type": "fuzzing verify (32 s)",
        "test_flipped_bytes_in_the_database": "fuzzing verify (19 s)",
        "test_edited_lines_inside_the_bundle": "fuzzing verify (18 s)",
        "test_flipped_bytes_in_the_bundle_file": "fuzzing verify (12 s)",
    },
    "tests/test_ui_sim_window.py": {
        "test_a_scenario_plays_step_by_step_and_writes_its_artifacts_when_the_window_closes": "a day (33 s)",
    },
    "tests/test_ui_i18n.py": {
        "test_every_screen_of_the_day_draws_only_catalog_words_in_its_language": "a day per language (10 s each)",
    },
    "tests/test_recap_cli.py": {
        "test_the_committee_registers_devices_ingests_a_stick_and_reads_the_totals": "three counted days (11 s)",
    },
    "tests/test_hw_drivers.py": {
        "test_the_demo_day_runs_headless_with_only_the_base_dependencies": "a demo day (8 s)",
    },
}


def is_slow(nodeid: str) -> bool:
    """Whether ``SLOW`` lists the test (its file, or its name without parameters)."""
    path, _, rest = nodeid.partition("::")
    listed = SLOW.get(path)
    return isinstance(listed, str) or (isinstance(listed, dict) and rest.split("[")[0] in listed)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)


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
