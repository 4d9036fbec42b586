"""Damaged evidence: a corrupted or cut-off database or bundle never crashes ``booth verify``.

Whatever bytes it is given, verify answers with exit 0 (only if what it read
is exactly the original record), 1 (invalid, naming the problem) or 2
(unreadable), and a message — never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from booth.cli import main
from booth.ledger.bundle import write_bundle
from booth.ledger.ledger import Ledger
from booth.ledger.verify import open_source, verify
from ledger_days import voting_day

SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("BOOTH_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad-input")
    state = base / "state"
    voting_day(state, voters=25)
    with Ledger.open(state) as ledger:
        write_bundle(ledger, base / "bundle.zip")
    summary = verify(open_source(state)).summary
    return state, base / "bundle.zip", summary


def run_verify(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["verify", str(path), "--json"])
    return code, out.getvalue() + err.getvalue()


SAME = ("events", "root", "tally", "ballot_root", "ballots_stored")


def assert_sane(path: Path, original_summary: dict) -> None:
    code, text = run_verify(path)
    assert code in (0, 1, 2)
    assert text.strip(), "verify must always say something"
    if code == 0:  # only if the damage missed everything that matters
        summary = verify(open_source(path)).summary
        assert {k: summary[k] for k in SAME} == {k: original_summary[k] for k in SAME}


@SETTINGS
@given(data=st.data())
def test_flipped_bytes_in_the_database(originals, tmp_path, data):
    state, _, summary = originals
    blob = bytearray((state / "ledger.db").read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] ^= data.draw(st.integers(1, 255))
    target = Path(tempfile.mkdtemp(dir=tmp_path)) / "state"
    shutil.copytree(state, target)
    (target / "ledger.db").write_bytes(bytes(blob))
    assert_sane(target, summary)


@SETTINGS
@given(cut=st.integers(0, 200_000))
def test_a_cut_off_database(originals, tmp_path, cut):
    state, _, summary = originals
    blob = (state / "ledger.db").read_bytes()
    cut = cut % len(blob)
    target = Path(tempfile.mkdtemp(dir=tmp_path)) / "state"
    shutil.copytree(state, target)
    (target / "ledger.db").write_bytes(blob[:cut])
    code, text = run_verify(target)
    assert code in (1, 2) and text.strip()


@SETTINGS
@given(data=st.data())
def test_flipped_bytes_in_the_bundle_file(originals, tmp_path, data):
    _, bundle, summary = originals
    blob = bytearray(bundle.read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] ^= data.draw(st.integers(1, 255))
    target = tmp_path / "b.zip"
    target.write_bytes(bytes(blob))
    assert_sane(target, summary)


COLUMNS = {
    "meta": ("key", "value"),
    "events": ("seq", "type", "entry", "sig"),
    "checkpoints": ("size", "note"),
    "ballots": ("id", "filled", "slot", "sig"),
}
ODD_VALUES = st.one_of(
    st.none(), st.integers(-3, 2**40), st.floats(allow_nan=False), st.text(max_size=20), st.binary(max_size=40)
)


@SETTINGS
@given(table=st.sampled_from(sorted(COLUMNS)), data=st.data())
@example(table="meta", data=None)
def test_a_column_holding_a_value_of_another_type(originals, tmp_path, table, data):
    """SQLite keeps whatever type it is given: a BLOB key, a number for an entry, NULL, ..."""
    state, _, summary = originals
    if data is None:  # found by a differential fuzz: a BLOB in meta's key column crashed the sort
        column, value, row = "key", b"origin", 0
    else:
        column = data.draw(st.sampled_from(COLUMNS[table]))
        value = data.draw(ODD_VALUES)
        row = data.draw(st.integers(0, 40))
    target = Path(tempfile.mkdtemp(dir=tmp_path)) / "state"
    shutil.copytree(state, target)
    conn = sqlite3.connect(target / "ledger.db", isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    key = COLUMNS[table][0]
    keys = [r[0] for r in conn.execute(f"SELECT {key} FROM {table} ORDER BY {key}")]
    with contextlib.suppress(sqlite3.IntegrityError):  # a duplicate primary key: nothing changed
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, keys[row % len(keys)]))
    conn.close()
    assert_sane(target, summary)


MEMBERS = ["bundle.json", "device.pub", "events.jsonl", "checkpoints.jsonl", "ballots.jsonl"]


@SETTINGS
@given(member=st.sampled_from(MEMBERS), data=st.data())
def test_edited_lines_inside_the_bundle(originals, tmp_path, member, data):
    _, bundle, summary = originals
    with zipfile.ZipFile(bundle) as z:
        contents = {name: z.read(name) for name in z.namelist()}
    lines = contents[member].split(b"\n")
    action = data.draw(st.sampled_from(["drop", "swap", "garble", "cut", "duplicate"]))
    i = data.draw(st.integers(0, max(0, len(lines) - 2)))
    if action == "drop":
        del lines[i]
    elif action == "swap" and len(lines) > 2:
        j = data.draw(st.integers(0, len(lines) - 2))
        lines[i], lines[j] = lines[j], lines[i]
    elif action == "garble":
        lines[i] = data.draw(st.binary(max_size=80))
    elif action == "duplicate":
        lines.insert(i, lines[i])
    else:
        lines = [b"\n".join(lines)[: data.draw(st.integers(0, len(contents[member])))]]
    contents[member] = b"\n".join(lines)
    target = tmp_path / "edited.zip"
    with zipfile.ZipFile(target, "w") as z:
        for name, value in contents.items():
            z.writestr(name, value)
    assert_sane(target, summary)


@SETTINGS
@given(junk=st.binary(max_size=4096), prefix=st.sampled_from([b"", b"SQLite format 3\x00", b"PK\x03\x04"]))
def test_random_files_are_unreadable_not_crashes(tmp_path, junk, prefix):
    target = tmp_path / "junk"
    target.write_bytes(prefix + junk)
    code, text = run_verify(target)
    assert code == 2 and text.strip()


def test_the_real_command_prints_a_message_not_a_traceback(originals, tmp_path):
    state, _, _ = originals
    target = tmp_path / "broken"
    shutil.copytree(state, target)
    blob = bytearray((target / "ledger.db").read_bytes())
    blob[100:4000] = bytes(3900)
    (target / "ledger.db").write_bytes(bytes(blob))
    for path, expected in [(target, {1, 2}), (tmp_path / "missing", {2}), (state, {0})]:
        run = subprocess.run([sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True)
        assert run.returncode in expected, run.stdout + run.stderr
        assert "Traceback" not in run.stderr
        assert (run.stdout + run.stderr).strip()
