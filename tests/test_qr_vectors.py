"""The results and opening statements and the QR parts against the vectors in docs/results-statement.md.

The witness app's JavaScript verifier reads the same ```vector blocks, so
the two implementations are held to one document.  Each block is lines of
``name: <JSON value>``.  The vectors are made from fixed keys (RFC 8032
§7.1 TEST 1 and TEST 2 seeds) by :func:`make_vectors`; Ed25519 signatures
are deterministic, so the document must hold exactly what it makes
(``python tests/test_qr_vectors.py`` prints the blocks).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth import qr_parts
from booth.ledger import note
from booth.ledger.keys import origin_for
from booth.results import StatementError, open_opening, open_statement

DOC = Path(__file__).resolve().parent.parent / "docs" / "results-statement.md"

DEVICE_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"  # RFC 8032 TEST 1
OTHER_SEED = "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"  # RFC 8032 TEST 2
ELECTION = hashlib.sha256(b"booth vector election").hexdigest()
CANDIDATES = ((1, "SUPARNO"), (2, "SITI RAHMAWATI"), (3, "AHMAD FAUZI"))


def _key(seed: str) -> tuple[Ed25519PrivateKey, str, str]:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
    name = origin_for(private.public_key())
    return private, name, note.verifier_key(name, private.public_key())


def _root(label: str) -> str:
    return base64.b64encode(hashlib.sha256(label.encode()).digest()).decode()


def _results_text(tally: dict[str, int]) -> str:
    lines = ["booth results v1", f"election {ELECTION}", "tps 1 Sukamaju", f"log 57 {_root('log 57')}"]
    lines += [f"blank {v}" if k == "blank" else f"candidate {k} {v}" for k, v in tally.items()]
    lines += [f"total {sum(tally.values())}", "voters 253 of 300", "balanced yes"]
    return "\n".join(lines) + "\n"


def _opening_text(verifier_key: str, candidates=CANDIDATES) -> str:
    lines = [
        "booth opening v1",
        f"election {ELECTION}",
        "tps 1 Sukamaju",
        f"key {verifier_key}",
        f"log 12 {_root('log 12')}",
    ]
    lines += [f"candidate {n} {name}" for n, name in candidates]
    return "\n".join(lines) + "\n"


def make_vectors() -> dict[str, dict]:
    """Every vector of the document, by name (values as the JSON they are written in)."""
    device, device_name, device_vkey = _key(DEVICE_SEED)
    other, other_name, other_vkey = _key(OTHER_SEED)
    tally = {"1": 120, "2": 98, "3": 31, "blank": 4}
    results = note.sign_note(_results_text(tally), device_name, device)
    tampered = results.replace("candidate 2 98\n", "candidate 2 89\n")
    opening = note.sign_note(_opening_text(device_vkey), device_name, device)
    swapped = opening.replace(
        "candidate 1 SUPARNO\ncandidate 2 SITI RAHMAWATI\n", "candidate 1 SITI RAHMAWATI\ncandidate 2 SUPARNO\n"
    )
    # Another device's key under this device's name: a self-consistent verifier key
    # (its key ID is computed from the false name), refused because the name is not its origin.
    forged_vkey = note.verifier_key(device_name, other.public_key())
    forged = note.sign_note(_opening_text(forged_vkey), device_name, other)
    two = qr_parts.split(results, 200)
    other_opening = qr_parts.split(note.sign_note(_opening_text(other_vkey), other_name, other), 200)
    return {
        "results-valid": {
            "verifier-key": device_vkey,
            "text": results,
            "expect": "ok",
            "election": ELECTION,
            "tps": "1 Sukamaju",
            "log-size": 57,
            "log-root": _root("log 57"),
            "tally": tally,
            "total": 253,
            "balanced": True,
            "signer": device_name,
        },
        "results-tampered": {"verifier-key": device_vkey, "text": tampered, "expect": "fail", "reason": "signature"},
        "results-other-device": {"verifier-key": other_vkey, "text": results, "expect": "fail", "reason": "signature"},
        "opening-valid": {
            "text": opening,
            "expect": "ok",
            "election": ELECTION,
            "tps": "1 Sukamaju",
            "verifier-key": device_vkey,
            "log-size": 12,
            "log-root": _root("log 12"),
            "candidates": [list(c) for c in CANDIDATES],
            "signer": device_name,
        },
        "opening-tampered": {"text": swapped, "expect": "fail", "reason": "signature"},
        "opening-forged-name": {"text": forged, "expect": "fail", "reason": "origin"},
        "opening-is-a-results-statement": {"text": results, "expect": "fail", "reason": "format"},
        "parts-two": {"text": results, "max-bytes": 200, "parts": two, "expect": "ok"},
        "parts-missing": {"parts": two[1:], "expect": "fail", "reason": "missing"},
        "parts-mixed": {"parts": [two[0], other_opening[1]], "expect": "fail", "reason": "mixed"},
        "parts-bad-header": {"parts": ["B1 3/2 " + two[0][7:]], "expect": "fail", "reason": "bad-header"},
    }


def format_vector(name: str, fields: dict) -> str:
    body = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in fields.items())
    return f"```vector {name}\n{body}```\n"


def doc_vectors() -> dict[str, dict]:
    """The ```vector blocks of docs/results-statement.md, each line ``name: <JSON>``, by name."""
    blocks = {}
    for name, body in re.findall(r"^```vector ([\w.-]+)\n(.*?)^```$", DOC.read_text("utf-8"), re.M | re.S):
        fields = {}
        for line in body.splitlines():
            key, sep, value = line.partition(": ")
            assert sep, f"vector {name}: line without 'name: value': {line!r}"
            fields[key] = json.loads(value)
        blocks[name] = fields
    return blocks


VECTORS = doc_vectors() if DOC.exists() else {}


def test_the_document_holds_exactly_the_vectors_the_fixed_keys_make():
    assert make_vectors() == VECTORS


@pytest.mark.parametrize("name", sorted(n for n in VECTORS if n.startswith("results-")))
def test_a_results_statement_vector_checks_as_the_document_says(name):
    v = VECTORS[name]
    if v["expect"] == "fail":
        with pytest.raises(StatementError) as caught:
            open_statement(v["text"], v["verifier-key"])
        assert caught.value.reason == v["reason"]
        return
    s = open_statement(v["text"], v["verifier-key"])
    assert (
        s.election_id,
        s.tps,
        s.log_size,
        base64.b64encode(s.log_root).decode(),
        s.tally,
        s.total,
        s.balanced,
        s.signer,
    ) == (v["election"], v["tps"], v["log-size"], v["log-root"], v["tally"], v["total"], v["balanced"], v["signer"])


@pytest.mark.parametrize("name", sorted(n for n in VECTORS if n.startswith("opening-")))
def test_an_opening_statement_vector_checks_as_the_document_says(name):
    v = VECTORS[name]
    if v["expect"] == "fail":
        with pytest.raises(StatementError) as caught:
            open_opening(v["text"])
        assert caught.value.reason == v["reason"]
        return
    o = open_opening(v["text"])
    assert (
        o.election_id,
        o.tps,
        o.verifier_key,
        o.log_size,
        base64.b64encode(o.log_root).decode(),
        [list(c) for c in o.candidates],
        o.signer,
    ) == (v["election"], v["tps"], v["verifier-key"], v["log-size"], v["log-root"], v["candidates"], v["signer"])


@pytest.mark.parametrize("name", sorted(n for n in VECTORS if n.startswith("parts-")))
def test_a_parts_vector_joins_as_the_document_says(name):
    v = VECTORS[name]
    if v["expect"] == "fail":
        with pytest.raises(qr_parts.QRPartsError) as caught:
            qr_parts.join(v["parts"])
        assert caught.value.reason == v["reason"]
        return
    assert qr_parts.split(v["text"], v["max-bytes"]) == v["parts"]
    assert qr_parts.join(reversed(v["parts"])) == v["text"]
    assert all(len(p.encode("utf-8")) <= v["max-bytes"] for p in v["parts"])


def test_the_opening_vector_pins_the_key_that_checks_the_results_vector():
    opening = open_opening(VECTORS["opening-valid"]["text"])
    assert open_statement(VECTORS["results-valid"]["text"], opening.verifier_key).election_id == opening.election_id


if __name__ == "__main__":
    for vector_name, vector_fields in make_vectors().items():
        print(format_vector(vector_name, vector_fields))
