"""A saksi cosigns the booth's checkpoint on the phone; the committee's recap checks the line.

booth.witness.cosign checks C2SP tlog-cosignature/v1 lines (Ed25519, key type 0x04): the app
makes them (witness/src/format.js), Python makes them for tests and tools, and each checks the
other's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.ledger import note
from booth.witness.cosign import (
    CosignatureError,
    check_cosignature,
    cosign,
    cosigner_verifier_key,
    signed_message,
)
from test_witness_vectors import WITNESS, node_ready

DEVICE = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"device").digest())
ORIGIN = "booth/" + hashlib.sha256(DEVICE.public_key().public_bytes_raw()).hexdigest()[:16]
ROOT = hashlib.sha256(b"log 1461").digest()
CHECKPOINT = note.Checkpoint(ORIGIN, 1461, ROOT).to_text()
SAKSI = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"saksi 1").digest())
SAKSI_KEY = cosigner_verifier_key("saksi/paslon-2", SAKSI.public_key())
TIME = 1796961600  # 2026-12-12 evening


def test_a_cosignature_made_at_the_close_checks_with_the_saksis_key():
    line = cosign(CHECKPOINT, "saksi/paslon-2", SAKSI, TIME)
    assert line.startswith("\u2014 saksi/paslon-2 ")
    got = check_cosignature(CHECKPOINT, line + "\n", SAKSI_KEY)
    assert (got.name, got.timestamp, got.checkpoint.size, got.checkpoint.root_hash) == (
        "saksi/paslon-2",
        TIME,
        1461,
        ROOT,
    )
    # The device's signed checkpoint note (with its own signature line) is the same checkpoint.
    signed = note.sign_checkpoint(note.Checkpoint.parse(CHECKPOINT), ORIGIN, DEVICE)
    assert check_cosignature(signed, line, SAKSI_KEY).checkpoint.origin == ORIGIN


def test_the_signed_message_is_the_c2sp_one():
    assert signed_message(CHECKPOINT, TIME) == f"cosignature/v1\ntime {TIME}\n{CHECKPOINT}".encode()
    raw = base64.b64decode(cosign(CHECKPOINT, "saksi/paslon-2", SAKSI, TIME).split(" ")[2])
    assert len(raw) == 76 and int.from_bytes(raw[4:12], "big") == TIME
    SAKSI.public_key().verify(raw[12:], signed_message(CHECKPOINT, TIME))


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda cp, line: (cp.replace("1461", "1462"), line), "checkpoint atau waktunya diubah"),
        (
            lambda cp, line: (cp.replace(base64.b64encode(ROOT).decode(), base64.b64encode(bytes(32)).decode()), line),
            "checkpoint atau waktunya diubah",
        ),
        (lambda cp, line: (cp, _retime(line, TIME + 3600)), "checkpoint atau waktunya diubah"),
        (lambda cp, line: (cp, line.replace("saksi/paslon-2", "saksi/paslon-1")), "bukan dari kunci ini"),
        (lambda cp, line: (cp, line[2:]), "tanda pisah panjang"),
        (lambda cp, line: (cp, line[:-8]), "base64 76"),
        (lambda cp, line: ("booth/x\nnot a size\n", line), "Checkpoint rusak"),
    ],
)
def test_a_changed_checkpoint_time_or_line_is_refused_with_the_reason(change, words):
    checkpoint, line = change(CHECKPOINT, cosign(CHECKPOINT, "saksi/paslon-2", SAKSI, TIME))
    with pytest.raises(CosignatureError) as refused:
        check_cosignature(checkpoint, line, SAKSI_KEY)
    assert words in refused.value.id and refused.value.en


def _retime(line: str, time: int) -> str:
    head, encoded = line.rsplit(" ", 1)
    raw = base64.b64decode(encoded)
    return f"{head} {base64.b64encode(raw[:4] + time.to_bytes(8, 'big') + raw[12:]).decode()}"


def test_another_saksis_key_or_a_device_key_does_not_check_it():
    line = cosign(CHECKPOINT, "saksi/paslon-2", SAKSI, TIME)
    other = cosigner_verifier_key("saksi/paslon-2", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CosignatureError, match="bukan dari kunci ini"):
        check_cosignature(CHECKPOINT, line, other)
    # A signed-note (0x01) key is not a cosigner key: the two kinds of signature never mix.
    with pytest.raises(CosignatureError, match="jenis 0x04"):
        check_cosignature(CHECKPOINT, line, note.verifier_key("saksi/paslon-2", SAKSI.public_key()))


def test_a_cosignature_made_by_the_saksi_app_checks_in_python():
    node_ready()
    run = subprocess.run(
        ["node", "test/cosign.mjs", CHECKPOINT, str(TIME)],
        cwd=WITNESS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    made = json.loads(run.stdout)
    got = check_cosignature(CHECKPOINT, made["line"], made["verifier_key"])
    assert (got.name, got.timestamp, got.checkpoint.size) == ("saksi/uji", TIME, 1461)
    with pytest.raises(CosignatureError):
        check_cosignature(CHECKPOINT.replace("1461", "1460"), made["line"], made["verifier_key"])


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.binary(max_size=90))
def test_anything_pasted_as_a_cosignature_is_refused_with_words_never_a_crash(text, raw):
    for line in (text, "\u2014 saksi/paslon-2 " + base64.b64encode(raw).decode()):
        with pytest.raises(CosignatureError) as refused:
            check_cosignature(CHECKPOINT, line, SAKSI_KEY)
        assert refused.value.id and refused.value.en
