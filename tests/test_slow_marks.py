"""The slow tests' table (tests/conftest.py ``SLOW``) names tests that exist, and only those."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import SLOW, is_slow

ROOT = Path(__file__).resolve().parent.parent


def _tests_in(path: Path) -> set[str]:
    """The module's top-level test functions and test classes (``TestX = Machine.TestCase`` too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    return {name for name in names if name.startswith(("test_", "Test"))}


def test_every_slow_entry_names_a_file_and_tests_that_exist():
    for path, listed in SLOW.items():
        assert (ROOT / path).is_file(), f"SLOW names {path}, which is no test file any more"
        if isinstance(listed, dict):
            gone = {name for name in listed if name.split("::")[0] not in _tests_in(ROOT / path)}
            assert not gone, f"SLOW names {sorted(gone)} in {path}: no such tests any more"


def test_the_table_marks_whole_files_listed_tests_and_their_parameters_only():
    assert is_slow("tests/test_tampering.py::test_changing_any_event_is_detected")
    assert is_slow(
        "tests/test_ui_companion.py::test_a_companions_day_from_empty_device_to_packed_through_the_screens[800x480]"
    )
    assert not is_slow("tests/test_ui_companion.py::test_wrong_pins_show_the_wait_then_the_lock")
    assert not is_slow("tests/test_ledger.py::test_the_tally_counts_the_ballot_store")
    assert is_slow("tests/test_service_rules_stateful.py::TestElectionDayRules::runTest")
