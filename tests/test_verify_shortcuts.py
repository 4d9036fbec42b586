"""The verifier's short ways give the report its full checks give, whatever was done to the bundle.

``booth verify`` takes short ways through what booth itself writes: a bundle's checkpoint line
is compared as bytes with the line expected at its log size and recomputed root, and only its
signature is checked.  Anything else goes the full way (the line read as JSON, the note parsed
and opened), which names what is wrong.  A committee reading the report must not be able to
tell which way a line went: for checkpoint lines flipped, re-encoded, re-signed, cosigned or
moved, the report with the short ways equals the report of the full checks alone, problem for
problem, in the same order, with the same summary.
"""

from __future__ import annotations

import base64
import contextlib
import json
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.ledger import note
from booth.ledger import verify as verify_module
from booth.ledger.bundle import write_bundle
from booth.ledger.ledger import Ledger
from booth.ledger.verify import open_source, verify
from ledger_days import voting_day

ATTACKER = Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("shortcuts")
    voting_day(base / "state", voters=6)
    with Ledger.open(base / "state") as ledger:
        write_bundle(ledger, base / "bundle.zip")
    return base / "bundle.zip"


@contextmanager
def full_checks_only():
    """The verifier with its short ways turned off: every line read and judged the full way."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(verify_module._CheckpointWalk, "_expected_line", lambda self, line, size, root: None)
        yield


def both_ways(path: Path, workers: int = 1) -> tuple[dict, dict]:
    """The report with the short ways (and the signatures in batches or workers), and the report of
    the full checks alone with every signature checked as the walk meets it."""
    short = verify(open_source(path), workers=workers).to_json()
    with full_checks_only():
        full = verify_module._report(open_source(path), [], None, False, 1, frozenset(), in_order=True).to_json()
    return short, full


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def with_checkpoint_lines(bundle: Path, target: Path, lines: list[bytes]) -> Path:
    contents = members(bundle)
    contents["checkpoints.jsonl"] = b"".join(line + b"\n" for line in lines)
    with zipfile.ZipFile(target, "w") as z:
        for name, value in contents.items():
            z.writestr(name, value)
    return target


def checkpoint_lines(bundle: Path) -> list[bytes]:
    return members(bundle)["checkpoints.jsonl"].split(b"\n")[:-1]


# ----------------------------------------------------------------- what is done to a line
def _note_of(line: bytes) -> tuple[str, int]:
    obj = json.loads(line)
    return obj["note"], obj["size"]


def _line(text: str, size: int, **dumps) -> bytes:
    how = {"ensure_ascii": False, "separators": (",", ":")} | dumps
    return json.dumps({"note": text, "size": size}, **how).encode()


def _signature_part(text: str) -> tuple[str, str, str]:
    """(body, signer name, base64) of a note with one signature line."""
    body, _, sig_line = text.rpartition("\n\n")
    name, _, encoded = sig_line[len(note.SIGNATURE_PREFIX) :].rstrip("\n").partition(" ")
    return body + "\n", name, encoded


def ascii_escaped(line: bytes) -> bytes:
    """The same JSON, the em dash written as \\u2014: equivalent, not what booth writes."""
    return _line(*_note_of(line), ensure_ascii=True)


def spaced(line: bytes) -> bytes:
    return json.dumps(json.loads(line)).encode()


def keys_swapped(line: bytes) -> bytes:
    text, size = _note_of(line)
    return json.dumps({"size": size, "note": text}, ensure_ascii=False, separators=(",", ":")).encode()


def size_off(line: bytes) -> bytes:
    text, size = _note_of(line)
    return _line(text, size + 1)


def note_size_off(line: bytes) -> bytes:
    text, size = _note_of(line)
    origin, number, rest = text.split("\n", 2)
    return _line(f"{origin}\n{int(number) + 1}\n{rest}", size)


def cosigned(line: bytes) -> bytes:
    """A second signature line, by a witness key: still a valid checkpoint of the device."""
    text, size = _note_of(line)
    body, _, _ = _signature_part(text)
    other = note.sign_note(body, "saksi/1", ATTACKER)
    return _line(text + other.rpartition("\n\n")[2], size)


def resigned(line: bytes) -> bytes:
    """Signed again by another key under the device's name."""
    text, size = _note_of(line)
    body, name, _ = _signature_part(text)
    return _line(note.sign_note(body, name, ATTACKER), size)


def other_key_id(line: bytes) -> bytes:
    text, size = _note_of(line)
    body, name, encoded = _signature_part(text)
    raw = base64.b64decode(encoded)
    raw = bytes([raw[0] ^ 1]) + raw[1:]
    return _line(f"{body}\n{note.SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode()}\n", size)


def padding_bits(line: bytes) -> bytes:
    """The signature's base64 in another spelling of the same bytes (non-zero padding bits)."""
    text, size = _note_of(line)
    body, name, encoded = _signature_part(text)
    digits = encoded.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    spelled = digits[:-1] + alphabet[alphabet.index(digits[-1]) | 1] + encoded[len(digits) :]
    return _line(f"{body}\n{note.SIGNATURE_PREFIX}{name} {spelled}\n", size)


def signature_flipped(line: bytes) -> bytes:
    text, size = _note_of(line)
    body, name, encoded = _signature_part(text)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x40
    return _line(f"{body}\n{note.SIGNATURE_PREFIX}{name} {base64.b64encode(bytes(raw)).decode()}\n", size)


def extension_line(line: bytes) -> bytes:
    text, size = _note_of(line)
    body, name, encoded = _signature_part(text)
    return _line(f"{body}extra\n\n{note.SIGNATURE_PREFIX}{name} {encoded}\n", size)


def trailing_space(line: bytes) -> bytes:
    return line + b" "


def cut_short(line: bytes) -> bytes:
    return line[:-1]


EDITS = {
    f.__name__: f
    for f in (
        ascii_escaped,
        spaced,
        keys_swapped,
        size_off,
        note_size_off,
        cosigned,
        resigned,
        other_key_id,
        padding_bits,
        signature_flipped,
        extension_line,
        trailing_space,
        cut_short,
    )
}
#: the edits after which the bundle is still valid (equivalent JSON, a witness cosignature added)
EXPECTED_VALID = {"ascii_escaped": True, "spaced": True, "keys_swapped": True, "trailing_space": True, "cosigned": True}


def test_a_clean_bundle_takes_the_short_way_for_every_checkpoint(bundle, monkeypatch):
    taken = []
    real = verify_module._CheckpointWalk._expected_line

    def counting(self, line, size, root):
        signed = real(self, line, size, root)
        taken.append(signed is not None)
        return signed

    monkeypatch.setattr(verify_module._CheckpointWalk, "_expected_line", counting)
    report = verify(open_source(bundle), workers=1)
    assert report.ok
    assert taken and all(taken) and len(taken) == report.summary["events"]


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_each_edit_of_a_checkpoint_line_reads_the_same_both_ways(bundle, tmp_path, edit):
    lines = checkpoint_lines(bundle)
    middle = len(lines) // 2
    lines[middle] = EDITS[edit](lines[middle])
    target = with_checkpoint_lines(bundle, tmp_path / f"{edit}.zip", lines)
    short, full = both_ways(target)
    assert short == full
    assert short["valid"] == EXPECTED_VALID.get(edit, False), short["first_problem"]
    if not short["valid"]:
        # named at its line (an unreadable one is "checkpoint -1", out of order), or its event
        assert short["first_problem"].startswith((f"checkpoint {middle + 1}", f"event {middle}", "checkpoint -1"))


def test_moved_lines_read_the_same_both_ways(bundle, tmp_path):
    lines = checkpoint_lines(bundle)
    cases = {
        "swapped": [*lines[:3], lines[4], lines[3], *lines[5:]],
        "duplicated": [*lines[:3], lines[3], *lines[3:]],
        "dropped": [*lines[:3], *lines[4:]],
        "the last missing": lines[:-1],
        "one too many": [*lines, lines[-1]],
    }
    for name, edited in cases.items():
        short, full = both_ways(with_checkpoint_lines(bundle, tmp_path / "moved.zip", edited))
        assert short == full, name
        assert not short["valid"], name


def test_the_same_with_signature_workers(bundle, tmp_path):
    lines = checkpoint_lines(bundle)
    lines[2] = signature_flipped(lines[2])
    lines[5] = resigned(lines[5])
    short, full = both_ways(with_checkpoint_lines(bundle, tmp_path / "workers.zip", lines), workers=2)
    assert short == full
    assert [p["where"] for p in short["problems"]] == ["checkpoint 3", "checkpoint 6"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_checkpoint_lines_reads_the_same_both_ways(bundle, tmp_path, data):
    lines = checkpoint_lines(bundle)
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        how = data.draw(st.sampled_from(["flip", "edit", "swap"]), label="how")
        if how == "flip":
            at = data.draw(st.integers(0, len(lines[i]) - 1), label="byte")
            bit = data.draw(st.integers(1, 255), label="xor")
            lines[i] = lines[i][:at] + bytes([lines[i][at] ^ bit]) + lines[i][at + 1 :]
        elif how == "edit":
            edit = EDITS[data.draw(st.sampled_from(sorted(EDITS)), label="edit")]
            # (an edit of a line an earlier flip made unreadable leaves it as it is)
            with contextlib.suppress(ValueError, IndexError, UnicodeDecodeError):
                lines[i] = edit(lines[i])
        else:
            j = data.draw(st.integers(0, len(lines) - 1), label="other")
            lines[i], lines[j] = lines[j], lines[i]
    lines = [line.replace(b"\n", b"") for line in lines]  # a flip to a newline splits no line here
    short, full = both_ways(with_checkpoint_lines(bundle, tmp_path / "damaged.zip", lines))
    assert short == full
