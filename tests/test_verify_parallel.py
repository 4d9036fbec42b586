"""The district verifies a day with every core: the same report as in one process, forgeries found.

``booth verify`` hands the signatures of a large ledger to worker processes
(``booth.ledger.sigworker``) while it walks the log itself.  A person reading
the report must not be able to tell how many processes made it: the same
verdict, the same problems in the same order, the same summary.  A forged
signature in the middle of the day (an event, a checkpoint, a ballot) is
found by the workers and named where the walk in one process names it; a
worker that dies loses nothing.
"""

from __future__ import annotations

import base64
import shutil
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.cli import main
from booth.ledger import formats, note, sigworker
from booth.ledger import verify as verify_module
from booth.ledger.bundle import write_bundle
from booth.ledger.ledger import Ledger
from booth.ledger.verify import Report, _SignatureWorkers, open_source, verify
from ledger_days import rows, tampered, voting_day

VOTERS = 120
ATTACKER = Ed25519PrivateKey.generate()
SIG_PROBLEM = "signature does not verify (changed, or signed by another key)"
BALLOT_PROBLEM = "ballot signature does not verify (changed, or signed by another key)"


@pytest.fixture(scope="module")
def day(tmp_path_factory) -> Path:
    state = tmp_path_factory.mktemp("parallel") / "state"
    voting_day(state, voters=VOTERS, slots=VOTERS + 8)
    return state


STARTED: list[int] = []


@pytest.fixture(autouse=True)
def count_workers(monkeypatch):
    """Every report below made with N > 1 must really have had N worker processes."""
    real = _SignatureWorkers.__init__

    def counting(self, report, public_key, count):
        real(self, report, public_key, count)
        STARTED.append(self.workers)

    monkeypatch.setattr(_SignatureWorkers, "__init__", counting)


def in_order(path: Path) -> dict:
    """The report of the walk in one process checking each signature as it meets it."""
    return verify_module._report(open_source(path), [], None, False, 1, frozenset(), in_order=True).to_json()


def reports(path: Path, workers=(1, 2, 3)) -> list[dict]:
    """The report made with each number of workers (1: in this process, a batch of signatures at a
    time), each the same as the walk's in order, one signature at a time."""
    made = []
    for n in workers:
        STARTED.clear()
        made.append(verify(open_source(path), workers=n).to_json())
        assert STARTED[:1] == ([n] if n > 1 else []), "the signatures were not checked by worker processes"
    STARTED.clear()
    assert all(report == in_order(path) for report in made), "checked in batches or by workers, the report differs"
    return made


def forged_event(state: Path, seq: int) -> tuple:
    (entry,) = rows(state, f"SELECT entry FROM events WHERE seq={seq}")[0]
    return ("UPDATE events SET sig=? WHERE seq=?", (ATTACKER.sign(formats.event_message(entry)), seq))


def forged_ballot(state: Path, index: int) -> tuple[tuple, bytes]:
    ballot_id, slot = rows(state, "SELECT id, slot FROM ballots WHERE filled=1 ORDER BY id")[index]
    sig = ATTACKER.sign(formats.ballot_message(formats.unpad_slot(slot)))
    return ("UPDATE ballots SET sig=? WHERE id=?", (sig, ballot_id)), ballot_id


def test_a_clean_day_reads_the_same_with_one_and_with_several_workers(day):
    one, two, three = reports(day)
    assert one["valid"] and one["summary"]["ballots_stored"] == VOTERS
    assert one == two == three


def test_a_forged_event_signature_in_the_middle_is_found_by_the_workers(day, tmp_path):
    path = tampered(day, tmp_path, forged_event(day, VOTERS // 2))
    one, two = reports(path, (1, 2))
    assert one == two
    assert [(p["where"], p["what"]) for p in two["problems"]] == [(f"event {VOTERS // 2}", SIG_PROBLEM)]


def test_a_forged_ballot_signature_in_the_middle_is_found_by_the_workers(day, tmp_path):
    forge, ballot_id = forged_ballot(day, VOTERS // 2)
    path = tampered(day, tmp_path, forge)
    one, two = reports(path, (1, 2))
    assert one == two
    assert [(p["where"], p["what"]) for p in two["problems"]] == [(f"ballot {ballot_id.hex()[:12]}", BALLOT_PROBLEM)]


def test_a_checkpoint_re_signed_by_another_key_is_named_as_the_full_parse_names_it(day, tmp_path):
    size, text = rows(day, "SELECT size, note FROM checkpoints ORDER BY size")[VOTERS // 2]
    head, _, line = text.rstrip("\n").rpartition("\n")
    raw = base64.b64decode(line.rsplit(" ", 1)[1])
    body = text.split("\n\n", 1)[0] + "\n"
    forged = raw[: note.KEY_ID_SIZE] + ATTACKER.sign(body.encode())
    new_text = f"{head}\n{line.rsplit(' ', 1)[0]} {base64.b64encode(forged).decode()}\n"
    path = tampered(day, tmp_path, ("UPDATE checkpoints SET note=? WHERE size=?", (new_text, size)))
    one, two = reports(path, (1, 2))
    assert one == two
    assert len(two["problems"]) == 1 and two["problems"][0]["where"] == f"checkpoint {size}"
    assert two["problems"][0]["what"].startswith("does not verify")


def test_problems_found_later_keep_the_order_of_the_walk(day, tmp_path):
    """A bad signature early, a broken field later: the signature is still listed first."""
    forge, ballot_id = forged_ballot(day, 3)
    path = tampered(
        day,
        tmp_path,
        forged_event(day, 10),
        ("UPDATE events SET type='ballot.kast' WHERE seq=40",),
        forge,
        forged_event(day, 90),
    )
    one, two = reports(path, (1, 2))
    assert one == two
    wheres = [p["where"] for p in two["problems"]]
    assert wheres == ["event 10", "event 40", "event 90", f"ballot {ballot_id.hex()[:12]}"]


def test_a_day_signed_by_another_key_throughout_gives_the_same_first_twenty_problems(day, tmp_path):
    """Past 20 problems the walk in one process stops early: the report must not differ."""
    forges = [forged_event(day, seq) for seq in range(5, VOTERS)]
    path = tampered(day, tmp_path, *forges)
    one, two = reports(path, (1, 2))
    assert one == two
    assert len(two["problems"]) == verify_module.MAX_PROBLEMS
    assert two["problems"][0]["where"] == "event 5"


def test_the_bundle_reads_the_same_and_its_forged_ballot_is_found(day, tmp_path):
    with Ledger.open(tampered(day, tmp_path)) as ledger:
        write_bundle(ledger, tmp_path / "hasil.zip")
    with zipfile.ZipFile(tmp_path / "hasil.zip") as z:
        members = {name: z.read(name) for name in z.namelist()}
    lines = members["ballots.jsonl"].split(b"\n")
    sig, _, record = lines[VOTERS // 3].partition(b" ")
    lines[VOTERS // 3] = base64.b64encode(ATTACKER.sign(formats.ballot_message(record))) + b" " + record
    members["ballots.jsonl"] = b"\n".join(lines)
    with zipfile.ZipFile(tmp_path / "forged.zip", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    clean = reports(tmp_path / "hasil.zip", (1, 2))
    assert clean[0] == clean[1] and clean[0]["valid"]
    one, two = reports(tmp_path / "forged.zip", (1, 2))
    assert one == two and not two["valid"]
    assert [p["what"] for p in two["problems"]] == [BALLOT_PROBLEM]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=st.sets(st.integers(min_value=1, max_value=VOTERS + 2), max_size=6),
    ballots=st.sets(st.integers(min_value=0, max_value=VOTERS - 1), max_size=6),
)
def test_any_forged_signatures_read_the_same_with_one_and_two_workers(day, tmp_path_factory, events, ballots):
    forges = [forged_event(day, seq) for seq in sorted(events)] + [forged_ballot(day, i)[0] for i in sorted(ballots)]
    path = tampered(day, tmp_path_factory.mktemp("forged"), *forges)
    one, two = reports(path, (1, 2))
    assert one == two
    assert len(one["problems"]) == min(len(events) + len(ballots), verify_module.MAX_PROBLEMS)
    shutil.rmtree(path)


def test_a_worker_that_dies_loses_no_signature():
    key = Ed25519PrivateKey.generate()
    report = Report(source="test")
    workers = _SignatureWorkers(report, key.public_key(), 2)
    forged = {7, 400, 1999}
    try:
        for i in range(2000):
            message = f"message {i}".encode() * 20
            sig = (ATTACKER if i in forged else key).sign(message)
            workers.check(sig, message, lambda add, where, what: add(where, what), f"item {i}", "forged")
            if i == 1000:
                workers._workers[0].proc.kill()  # in the middle of the work
        workers.finish()
    finally:
        workers.close()
    report.merge_late()
    assert [p.where for p in report.problems] == [f"item {i}" for i in sorted(forged)]


def test_the_worker_protocol_names_each_bad_item():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    good = [sigworker.item(key.sign(m), m) for m in (b"a", b"bb", b"")]
    batch = good[0] + sigworker.item(ATTACKER.sign(b"x"), b"x") + good[1] + sigworker.item(b"short", b"") + good[2]
    assert sigworker.failures(batch, public) == [1, 3]


def test_booth_verify_takes_a_number_of_workers(day, capsys):
    assert main(["verify", str(day), "--workers", "2"]) == 0
    assert "SAH / VALID" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["verify", str(day), "--workers", "0"])
    assert "must be a whole number of 1 or more" in capsys.readouterr().err


# ------------------------------------------------------------------------ the shortcuts
# The verifier skips the JSON parse for records and lines exactly as booth writes them; whatever
# the shortcut accepts must be what the full parse accepts, with the same values.
HEX = "0123456789abcdef"
texts = st.one_of(
    st.text(alphabet=HEX, min_size=30, max_size=66),
    st.sampled_from(["1", "2", "12", "99", "0", "01", "100", "blank", "spoiled", "Blank", "é", 'a"b', "a\\b", "\n"]),
    st.text(max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(election=texts, ballot_id=texts, selection=texts, layout=st.sampled_from(["canonical", "spaced", "unsorted"]))
def test_a_ballot_record_the_shortcut_accepts_is_one_the_full_parse_accepts(election, ballot_id, selection, layout):
    import json

    from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
    from booth.ledger.verify import PLAIN_BALLOT

    value = {"election": election, "id": ballot_id, "selection": selection}
    if layout == "canonical":
        record = canonical(value)
    elif layout == "spaced":
        record = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    else:
        record = json.dumps(dict(reversed(value.items())), ensure_ascii=False, separators=(",", ":")).encode()
    plain = PLAIN_BALLOT.fullmatch(record)
    try:
        parsed = parse_canonical(record)
        full_ok = formats.check_ballot_shape(parsed) is None
    except NotCanonical:
        full_ok = False
    if plain is not None:
        assert full_ok
        assert (plain[1].decode(), plain[2].decode(), plain[3].decode()) == (election, ballot_id, selection)
    elif layout == "canonical" and full_ok:
        # only a value ending in a newline, which the shape check's regex ($) lets through, takes the full parse
        assert any(v.endswith("\n") for v in (election, ballot_id, selection))


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list('ab+/=\n"\\\t\x00—é ')), max_size=40),
    size=st.one_of(st.integers(min_value=0, max_value=10**6), st.integers(min_value=-5, max_value=-1)),
    layout=st.sampled_from(["written", "unsorted", "ascii"]),
)
def test_a_checkpoint_line_the_shortcut_reads_reads_as_its_json(text, size, layout):
    import json

    from booth.ledger.verify import _PLAIN_CHECKPOINT_LINE

    value = {"note": text, "size": size}
    if layout == "written":
        line = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    elif layout == "unsorted":
        line = json.dumps({"size": size, "note": text}, ensure_ascii=False, separators=(",", ":")).encode()
    else:
        line = json.dumps(value, separators=(",", ":")).encode()
    plain = _PLAIN_CHECKPOINT_LINE.fullmatch(line)
    if plain is not None:
        assert (int(plain[2]), plain[1].replace(b"\\n", b"\n").decode()) == (size, text)
    if layout == "written" and size >= 0 and not set(text) & set('"\\\t\x00'):
        assert plain is not None  # the lines booth writes take the shortcut


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(alphabet='ab"é\n', max_size=2), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(
    value=json_values,
    sort_keys=st.booleans(),
    compact=st.booleans(),
    ascii_only=st.booleans(),
    cut=st.integers(min_value=0, max_value=3),
)
def test_the_quick_canonical_parse_decides_as_the_full_one(value, sort_keys, compact, ascii_only, cut):
    import json

    from booth.ledger import canonical as canonical_module

    text = json.dumps(
        value, sort_keys=sort_keys, ensure_ascii=ascii_only, separators=(",", ":") if compact else None
    ).encode()
    data = text[: len(text) - cut] if cut < 3 else text + b" "

    def outcome() -> tuple:
        try:
            return ("value", canonical_module.parse_canonical(data))
        except canonical_module.NotCanonical as exc:
            return ("refused", str(exc))

    quick = outcome()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(canonical_module, "_C_ENCODE", None)  # the full parse only
        full = outcome()
    assert repr(quick) == repr(full)


def test_the_recap_anchors_the_statement_in_the_root_the_verifier_hands_back(tmp_path):
    """The recap no longer reads the bundle's checkpoints twice: the verifier gives the root at the statement's size."""
    import dataclasses
    import json as json_module

    from booth.recap import intake, registry
    from recap_days import counted_day, tps_package

    pkg = tps_package(tmp_path, pekon="Sukamaju", tps=1, voters=12, seed=5, candidates=2)
    day = counted_day(tmp_path / "tps1", pkg, ["1", "2", "1"])
    regs = registry.read_registry(
        json_module.dumps({"format": "booth-recap-registry-v1", "devices": [day.registration]}).encode(),
        at="",
        by="test",
    )
    check = intake.check_bundle(day.bundle, regs)
    assert check.ok, check.words
    result, reg = check.result, regs[0]
    (tmp_path / "hasil.zip").write_bytes(day.bundle)
    summary = verify(open_source(tmp_path / "hasil.zip"), roots_at=[result.log_size, 10**6]).summary
    assert summary["roots_at"] == {result.log_size: result.log_root}  # a size the log never reaches is absent
    assert "roots_at" not in verify(open_source(tmp_path / "hasil.zip")).summary  # only when asked
    assert intake._statement_against_bundle(result, summary, reg) == ""
    other_root = dataclasses.replace(result, log_root=base64.b64encode(bytes(32)).decode())
    assert "root differs" in intake._statement_against_bundle(other_root, summary, reg)
    beyond = dataclasses.replace(result, log_size=10**6)
    assert intake._statement_against_bundle(beyond, summary, reg) == "no checkpoint of the log has size 1000000"
