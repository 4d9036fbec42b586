"""The audit record: a finished audit re-checks from the file alone, and no edit of it goes unnoticed.

The committee's audit of two booths (one with two spoiled ballots and blank
votes) is run once for the module; each test edits a copy of its record.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit_days
from booth.audit import record as audit_record
from booth.ledger.canonical import canonical
from booth.ledger.keys import DeviceKey

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def finished():
    """(record path, key path, the boxes' paper) of an audit confirmed by its sample."""
    with audit_days.fast_dir() as tmp:
        b1 = audit_days.closed_day(tmp / "b1", {"1": 150, "2": 100, "3": 40, "blank": 5}, spoil=2)
        b2 = audit_days.closed_day(tmp / "b2", {"1": 120, "2": 100, "3": 30}, seed=2)
        record = audit_days.start(tmp, [tmp / "b1", tmp / "b2"])
        assert audit_days.audit(record, [b1, b2]) == "confirmed_by_sample"
        yield tmp / "audit.jsonl", tmp / "audit.key", (b1, b2), tmp


def lines(path: Path) -> list[tuple[bytes, dict]]:
    out = []
    for line in path.read_bytes().splitlines():
        sig, _, entry = line.partition(b" ")
        out.append((sig, json.loads(entry)))
    return out


def write(path: Path, entries: list[tuple[bytes, dict]], key: DeviceKey | None = None, *, rechain: bool = False):
    """Write entries back; with ``key``, re-sign every entry (and with ``rechain``, relink the chain)."""
    import hashlib

    prev = audit_record.GENESIS
    out = []
    for seq, (sig, obj) in enumerate(entries):
        if rechain:
            obj = {**obj, "seq": seq, "prev": prev}
        entry = canonical(obj)
        if key is not None:
            sig = base64.b64encode(key.sign(audit_record.CONTEXT + entry))
        out.append(sig + b" " + entry)
        prev = hashlib.sha256(entry).hexdigest()
    path.write_bytes(b"\n".join(out) + b"\n")


def booth(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "booth", *args], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False
    )


def test_a_finished_audit_reproduces_from_its_record_alone(finished, tmp_path):
    path, _, _, _ = finished
    copy = shutil.copy(path, tmp_path / "audit.jsonl")  # no bundles, no key beside it
    done = booth("audit", "check", str(copy))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SESUAI / REPRODUCES" in done.stdout
    state = audit_record.replay(Path(copy))
    assert state.finished["outcome"] == "confirmed_by_sample"
    assert booth("audit", "check", str(copy), "--head", state.head[:16]).returncode == 0


def test_the_status_shows_choices_only_as_counts_and_no_ballot_id(finished):
    path, _, (b1, b2), _ = finished
    done = booth("audit", "status", str(path))
    assert done.returncode == 0
    assert "OUTCOME CONFIRMED by the sample" in done.stdout
    ids = {ballot_id for box in (b1, b2) for _, ballot_id, _ in box}
    assert not any(i[:16] in done.stdout.lower() for i in ids)


def leaves(value, path=()):
    """Every leaf of a JSON value, as (path, value); long lists (the CVRs) give their first items only."""
    if isinstance(value, dict):
        for k in sorted(value):
            yield from leaves(value[k], (*path, k))
    elif isinstance(value, list):
        for i, item in enumerate(value[:2]):
            yield from leaves(item, (*path, i))
    else:
        yield path, value


def changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "1"
    if value.isdigit() and value:
        return value[:-1] + str((int(value[-1]) + 1) % 10)
    if value and value[-1] in "0123456789abcdef":
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    return value + "x"


def set_at(obj, path, value):
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def test_changing_any_recorded_value_makes_check_fail(finished, tmp_path):
    path, _, _, _ = finished
    entries = lines(path)
    copy = tmp_path / "audit.jsonl"
    tried = 0
    reads = 0
    for index, (sig, obj) in enumerate(entries):
        if obj["type"] == "slip.read":  # (every reading has the same shape: a few of them stand for all)
            reads += 1
            if reads > 3:
                continue
        for where, value in leaves(obj):
            edited = json.loads(json.dumps(obj))
            set_at(edited, where, changed(value))
            write(copy, [*entries[:index], (sig, edited), *entries[index + 1 :]])
            ok, words = audit_record.check(copy)
            assert not ok, (index, where)
            tried += 1
    assert tried > 100


# Inputs re-signed with the audit key (its holder editing the file): re-derivation still catches each one.
RESIGNED_EDITS = [
    ("audit.started", ("body", "risk_limit"), "0.5"),
    ("audit.started", ("body", "gamma"), "1.1"),
    ("audit.started", ("body", "boxes", 0, "cvrs", 0, 1), lambda old: "1" if old != "1" else "2"),  # a CVR
    ("audit.started", ("body", "boxes", 0, "checkpoint"), "booth/0000\n1\nAAAA\n"),
    ("audit.started", ("body", "boxes", 1, "candidates"), 4),
    ("audit.started", ("body", "boxes", 1, "allow_blank"), False),
    ("paper.counted", ("body", "counts", "1"), 400),
    ("round.seeded", ("body", "dice"), "99999999999999999999"),
    ("slip.read", ("body", "choice"), lambda old: "3" if old != "3" else "1"),
    ("slip.read", ("body", "kind"), "none"),
    ("slip.read", ("body", "ballot_id"), "0" * 32),
    ("slip.read", ("body", "position"), 100_000),
    ("round.measured", ("body", "round"), 2),
]


@pytest.mark.parametrize(("kind", "where", "value"), RESIGNED_EDITS, ids=lambda v: str(v)[:24])
def test_an_input_changed_and_re_signed_no_longer_reproduces_its_figures(finished, tmp_path, kind, where, value):
    path, key_path, _, _ = finished
    key = DeviceKey.load(key_path)
    entries = lines(path)
    index = next(i for i, (_, obj) in enumerate(entries) if obj["type"] == kind)
    edited = json.loads(json.dumps(entries[index][1]))
    old = edited
    for key_ in where:
        old = old[key_]
    set_at(edited, where, value(old) if callable(value) else value)
    assert edited != entries[index][1]
    copy = tmp_path / "audit.jsonl"
    write(copy, [*entries[:index], (b"", edited), *entries[index + 1 :]], key, rechain=True)
    ok, words = audit_record.check(copy)
    assert not ok
    assert f"({kind})" in words or "line" in words  # the first mismatch is named with its line


def test_a_line_removed_or_two_swapped_breaks_the_chain_and_a_cut_record_its_printed_head(finished, tmp_path):
    path, _, _, _ = finished
    entries = lines(path)
    copy = tmp_path / "audit.jsonl"
    write(copy, [entries[0], *entries[2:]])
    assert "chain breaks" in audit_record.check(copy)[1]
    write(copy, [entries[0], entries[2], entries[1], *entries[3:]])
    assert not audit_record.check(copy)[0]
    head = audit_record.replay(path).head
    write(copy, entries[:-3])
    assert audit_record.check(copy)[0]  # a clean prefix of a record is a record...
    ok, words = audit_record.check(copy, head[:16])
    assert not ok and "cut short" in words  # ...but not the one whose head is on the berita acara


def test_the_audit_key_of_another_record_cannot_append(finished, tmp_path):
    path, _, _, tmp = finished
    copy = Path(shutil.copy(path, tmp_path / "audit.jsonl"))
    stranger = DeviceKey.create(tmp_path / "other.key")
    with pytest.raises(audit_record.StepRefused, match="not this record's"):
        audit_record.AuditRecord(copy, stranger)


def test_the_berita_acara_shows_counts_figures_and_the_records_head_and_no_ballot(finished, tmp_path):
    path, _, (b1, b2), _ = finished
    png, pdf = tmp_path / "ba.png", tmp_path / "ba.pdf"
    done = booth("audit", "report", str(path), "--png", str(png), "--pdf", str(pdf))
    assert done.returncode == 0, done.stderr
    state = audit_record.replay(path)
    assert "HASIL DIKONFIRMASI oleh sampel" in done.stdout
    assert f"head {state.head[:8]} {state.head[8:16]}" in done.stdout
    assert "no. 1: 270, no. 2: 200, no. 3: 70" in done.stdout  # choices as counts
    ids = {ballot_id for box in (b1, b2) for _, ballot_id, _ in box}
    assert not any(i[:8] in done.stdout.lower() for i in ids)
    from PIL import Image

    assert Image.open(png).width == 384 and pdf.read_bytes().startswith(b"%PDF")
    # the head as printed, in its groups of eight, is what `check --head` takes
    printed = f"{state.head[:8]} {state.head[8:16]} {state.head[16:24]}"
    assert booth("audit", "check", str(path), "--head", printed).returncode == 0
    assert booth("audit", "check", str(path), "--head", "00000000 11111111").returncode == 1


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_record_is_reported_as_not_reproducing_never_a_crash(finished, tmp_path, data):
    path, _, _, _ = finished
    damaged = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        at = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1))
        damaged[at] = data.draw(st.integers(min_value=0, max_value=255).filter(lambda b, at=at: b != damaged[at]))
    copy = tmp_path / "damaged.jsonl"
    copy.write_bytes(bytes(damaged))
    ok, words = audit_record.check(copy)
    assert not ok and words
