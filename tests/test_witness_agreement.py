"""The saksi app's JavaScript and booth's Python give the same verdict on every statement.

Python makes a thousand statements with real Ed25519 keys: genuine ones, and ones changed the
ways a QR code, a forger or a careless printer could change them (a count, a line, a key, the
signature, the characters), some changed before signing (so the parsing is what decides) and
some after (so the signature is).  Node runs the app's verifier over the same cases; every
outcome must be identical: accepted or refused, the reason, every field read, and the
witness's SAH / TIDAK SAH verdict given what was pinned at opening.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booth.ledger import note
from booth.ledger.keys import origin_for
from booth.results import StatementError, open_opening, open_statement
from booth.witness.check import check_results, pin_from_opening
from test_witness_vectors import WITNESS, node_ready

DASH = "\u2014 "


class Device:
    def __init__(self, seed: int) -> None:
        self.private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"device %d" % seed).digest())
        self.name = origin_for(self.private.public_key())
        self.vkey = note.verifier_key(self.name, self.private.public_key())

    def sign(self, body: str, name: str | None = None) -> str:
        return note.sign_note(body, name or self.name, self.private)


DEVICES = [Device(i) for i in range(3)]
ELECTIONS = [hashlib.sha256(b"election %d" % i).hexdigest() for i in range(2)]
NAMES = ["SUPARNO", "SITI RAHMAWATI", "AHMAD FAUZI", "Hj. SRI WAHYUNINGSIH, S.Pd.", "KI AGENG"]
# Characters that Python's int(), str.split() and base64 treat in their own ways.
ODD = [
    "\u0661",
    "\u0967",
    "\uff11",
    "_",
    "+",
    "-",
    " ",
    "\t",
    "\xa0",
    "\x85",
    "\u2003",
    "\u3000",
    "0",
    "=",
    "\r",
    "\x1f",
    "\x7f",
    "é",
    "\U0001d7d9",
    "²",
]


def root(rng: random.Random) -> str:
    return base64.b64encode(rng.randbytes(32)).decode()


def results_lines(rng: random.Random, election: str, candidates: int) -> list[str]:
    tally = [rng.randrange(0, 400) for _ in range(candidates)]
    blank = rng.randrange(0, 20)
    lines = [
        "booth results v1",
        f"election {election}",
        f"tps {rng.randrange(1, 30)} Sukamaju",
        f"log {rng.randrange(20, 3000)} {root(rng)}",
    ]
    lines += [f"candidate {n} {v}" for n, v in enumerate(tally, start=1)]
    if rng.random() < 0.8:
        lines.append(f"blank {blank}")
    else:
        blank = 0
    total = sum(tally) + blank
    lines += [
        f"total {total}",
        f"voters {total} of {total + rng.randrange(0, 80)}",
        f"balanced {'yes' if rng.random() < 0.9 else 'no'}",
    ]
    return lines


def opening_lines(rng: random.Random, device: Device, election: str, candidates: int, log: int) -> list[str]:
    lines = [
        "booth opening v1",
        f"election {election}",
        "tps 1 Sukamaju",
        f"key {device.vkey}",
        f"log {log} {root(rng)}",
    ]
    return lines + [f"candidate {n} {NAMES[n - 1]}" for n in range(1, candidates + 1)]


def mutate_lines(rng: random.Random, lines: list[str]) -> list[str]:
    """One change to the text before it is signed (so only the parser can refuse it)."""
    lines = list(lines)
    i = rng.randrange(1, len(lines))
    choice = rng.randrange(13)
    if choice == 0:
        del lines[i]
    elif choice == 1:
        lines.insert(i, lines[i])
    elif choice == 2:
        lines.insert(i, rng.choice(["", "note hello", "candidate", "blank", "log", "total x", "key", "election"]))
    elif choice == 3:  # an odd character somewhere in a line
        line = lines[i]
        at = rng.randrange(len(line) + 1)
        lines[i] = line[:at] + rng.choice(ODD) + line[at:]
    elif choice == 4:  # a number written another way
        key, _, rest = lines[i].rpartition(" ")
        lines[i] = f"{key} {rng.choice(['+', '-', '', '0', ' ', '1_'])}{rest}{rng.choice(['', '_0', ' ', '.0', 'x'])}"
    elif choice == 5:
        lines[0] = rng.choice(["booth results v2", "booth opening v1", "booth results v1 ", "BOOTH RESULTS V1", ""])
    elif choice == 6:
        lines[i], lines[-1] = lines[-1], lines[i]
    elif choice == 7:  # the log root spelled oddly
        for j, line in enumerate(lines):
            if line.startswith("log "):
                size, r = line[4:].split(" ", 1)
                lines[j] = (
                    "log "
                    + size
                    + " "
                    + rng.choice(
                        [
                            r.rstrip("="),
                            r + "=",
                            r[:-2] + "Q=",
                            r.replace("A", "-", 1),
                            r[:10],
                            r + " extra",
                            "@@" + r,
                            r[:-1] + "\u00e9",
                        ]
                    )
                )
    elif choice == 8:
        lines[i] = lines[i].replace(" ", "  ", 1)
    elif choice == 9:
        lines[i] = lines[i].replace(" ", rng.choice(["\t", "\xa0", "\u3000"]), 1)
    elif choice == 10:  # the total or a count changed, still signed
        for j, line in enumerate(lines):
            if line.startswith(("total ", "candidate 2 ")):
                lines[j] = line.rsplit(" ", 1)[0] + f" {rng.randrange(0, 999)}"
                break
    elif choice == 11:
        lines[i] = lines[i] + rng.choice([" ", "\t", " 7"])
    else:
        lines[i] = lines[i].replace(
            "candidate ", rng.choice(["candidate \u0661", "candidate 0", "candidate blank "]), 1
        )
    return lines


def mutate_note(rng: random.Random, text: str, device: Device) -> str:
    """One change to the signed note (the signature, or what it covers)."""
    body, _, sig = text.rpartition("\n\n")
    choice = rng.randrange(10)
    if choice == 0:  # one character of the signed text
        at = rng.randrange(len(body))
        return body[:at] + chr((ord(body[at]) + 1) % 0x7F or 65) + body[at + 1 :] + "\n\n" + sig
    if choice == 1:  # one character of the signature
        name, _, encoded = sig.rstrip("\n").rpartition(" ")
        at = rng.randrange(8, len(encoded) - 2)
        flipped = encoded[:at] + ("A" if encoded[at] != "A" else "B") + encoded[at + 1 :]
        return f"{body}\n\n{name} {flipped}\n"
    if choice == 2:
        return body + "\n"
    if choice == 3:
        return text + DASH + "someone/else " + base64.b64encode(rng.randbytes(68)).decode() + "\n"
    if choice == 4:
        return text + sig
    if choice == 5:
        return text.replace("\n", "\r\n", 1)
    if choice == 6:
        return text.rstrip("\n")
    if choice == 7:
        return body + "\n\n" + sig.replace(DASH, "-- ", 1)
    if choice == 8:
        return text + (DASH + "x " + base64.b64encode(bytes(68)).decode() + "\n") * 100
    return body + "\n\n\n" + sig


def results_case(rng: random.Random, pins: list[dict]) -> dict:
    device = rng.choice(DEVICES)
    lines = results_lines(rng, rng.choice(ELECTIONS), rng.randrange(2, 6))
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        lines = mutate_lines(rng, lines)
    body = "\n".join(lines) + "\n"
    signer = device if rng.random() < 0.85 else rng.choice(DEVICES)
    try:
        text = signer.sign(body, device.name if rng.random() < 0.5 else None)
    except note.NoteError:  # a control character: the booth cannot even sign it; the QR can still carry it
        text = body + "\n" + DASH + device.name + " " + base64.b64encode(rng.randbytes(68)).decode() + "\n"
    if rng.random() < 0.2:
        text = mutate_note(rng, text, device)
    vkey = rng.choice(
        [device.vkey] * 6
        + [DEVICES[0].vkey, f"  {device.vkey}\n", device.vkey[:-2] + "AA", device.vkey.replace("+", "-", 1), ""]
    )
    pin = rng.choice(
        pins + [None, {"verifier_key": vkey}, {"verifier_key": vkey, "election_id": rng.choice(ELECTIONS)}]
    )
    return {"kind": "results", "text": text, "verifier_key": vkey, "pin": pin}


def opening_case(rng: random.Random) -> dict:
    device = rng.choice(DEVICES)
    lines = opening_lines(rng, device, rng.choice(ELECTIONS), rng.randrange(2, 6), rng.randrange(0, 30))
    for _ in range(rng.choice([0, 0, 1, 2])):
        lines = mutate_lines(rng, lines)
    if rng.random() < 0.1:  # another device's key under this device's name
        forged = note.verifier_key(device.name, DEVICES[(DEVICES.index(device) + 1) % 3].private.public_key())
        lines = [f"key {forged}" if line.startswith("key ") else line for line in lines]
    body = "\n".join(lines) + "\n"
    try:
        text = (device if rng.random() < 0.9 else rng.choice(DEVICES)).sign(body, device.name)
    except note.NoteError:
        text = body + "\n" + DASH + device.name + " " + base64.b64encode(rng.randbytes(68)).decode() + "\n"
    if rng.random() < 0.2:
        text = mutate_note(rng, text, device)
    return {"kind": "opening", "text": text}


def make_cases(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    pins = []
    for device in DEVICES:
        for election in ELECTIONS:
            pins.append(pin_from_opening(device.sign("\n".join(opening_lines(rng, device, election, 3, 10)) + "\n")))
    return [results_case(rng, pins) if rng.random() < 0.7 else opening_case(rng) for _ in range(n)]


def python_outcome(case: dict) -> dict:
    if case["kind"] == "opening":
        try:
            o = open_opening(case["text"])
        except StatementError as exc:
            return {"ok": False, "reason": exc.reason}
        pin = pin_from_opening(case["text"])
        return {
            "ok": True,
            "opening": {
                "election": o.election_id,
                "tps": o.tps,
                "verifier_key": o.verifier_key,
                "log_size": str(o.log_size),
                "log_root": base64.b64encode(o.log_root).decode(),
                "candidates": [[str(n), name] for n, name in o.candidates],
                "signer": o.signer,
            },
            "pin_candidates": [[str(n), name] for n, name in pin["candidates"]],
        }
    statement, reason = None, None
    try:
        s = open_statement(case["text"], case["verifier_key"])
        statement = {
            "election": s.election_id,
            "tps": s.tps,
            "log_size": str(s.log_size),
            "log_root": base64.b64encode(s.log_root).decode(),
            "tally": [[k, str(v)] for k, v in s.tally.items()],
            "total": str(s.total),
            "balanced": s.balanced,
            "signer": s.signer,
        }
    except StatementError as exc:
        reason = exc.reason
    verdict = check_results(case["text"], case["pin"])
    return {
        "ok": statement is not None,
        "reason": reason,
        "statement": statement,
        "verdict": [verdict.ok, verdict.reason],
    }


def javascript_outcomes(cases: list[dict], tmp_path, backend: str) -> list[dict]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases), "utf-8")
    run = subprocess.run(
        ["node", "test/verdicts.mjs", str(path)] + (["--noble"] if backend == "noble" else []),
        cwd=WITNESS,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("backend", ["webcrypto", "noble"])
def test_javascript_and_python_agree_on_a_thousand_statements(tmp_path, backend):
    node_ready()
    cases = make_cases(1000, seed=13 if backend == "webcrypto" else 14)
    expected = [python_outcome(c) for c in cases]
    got = javascript_outcomes(cases, tmp_path, backend)
    differ = [(i, cases[i]["text"], e, g) for i, (e, g) in enumerate(zip(expected, got, strict=False)) if e != g]
    assert not differ, "first differences:\n" + "\n".join(map(repr, differ[:3]))
    assert len(got) == 1000
    # The cases reach every outcome a witness can see, not only the easy ones.
    verdicts = {e["verdict"][1] for e in expected if "verdict" in e}
    assert {
        "ok",
        "not-pinned",
        "other-device",
        "other-election",
        "tampered",
        "malformed",
        "not-results",
        "total",
        "bad-key",
    } <= verdicts, verdicts
    assert sum(e["ok"] for e in expected if "verdict" in e) > 100
    opening = {e.get("reason") for e in expected if "opening" in e or "verdict" not in e}
    assert {None, "format", "signature", "origin"} <= opening, opening


def _python_rule(fn: str, s: str):
    try:
        if fn == "int":
            return str(int(s))
        if fn == "split":
            return s.split()
        if fn == "strip":
            return s.strip()
        return base64.b64decode(s, validate=fn == "b64strict").hex()
    except ValueError:
        return None


def test_the_apps_python_rules_read_texts_as_python_does(tmp_path):
    """int(), str.split()/strip() and base64 decide what a statement says: the ports must match."""
    node_ready()
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    cases: list[list[str]] = []
    alphabet = st.sampled_from(list("0123456789AQZaz+/=_-. ") + ODD + ["\u0660", "\u06f9", "\u1040", "\uff19"])

    @settings(max_examples=300, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["int", "split", "strip", "b64", "b64strict"]), st.text(alphabet, max_size=14))
    def collect(fn, s):
        cases.append([fn, s])

    collect()
    cases += [
        ["int", "1_000"],
        ["int", "_1"],
        ["int", "1__0"],
        ["int", " \u0661\u0662 "],
        ["int", "+-1"],
        ["int", "9" * 4301],
        ["b64", "AAAA=AAAA"],
        ["b64strict", "=AAAA"],
        ["split", "a\x85b\xa0c"],
        ["int", "\U0001d7d9"],
    ]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(cases), "utf-8")
    run = subprocess.run(
        ["node", "test/pyrules.mjs", str(path)], cwd=WITNESS, capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    differ = [(c, _python_rule(*c), g) for c, g in zip(cases, got, strict=False) if _python_rule(*c) != g]
    assert not differ, differ[:5]
    assert len(got) == len(cases) > 300
