"""What the saksi app shows for a scanned results statement, given the pin taken at opening.

The app (witness/src/check.js) and this module apply the same rules in the same order, and
the tests hold them to identical verdicts over the format's vectors and a thousand generated
statements.  The statement itself is checked by :func:`booth.results.open_statement` (the one
verifier); this module only adds what a witness compares it with: the pinned election, polling
place, log size and candidates, and the statement's own sums.
"""

from __future__ import annotations

from dataclasses import dataclass

from booth.ledger import note
from booth.results import Statement, StatementError, open_opening, open_statement

#: Every reason, in the order checked; "ok" is SAH, every other one TIDAK SAH.
REASONS = (
    "not-pinned",
    "bad-key",
    "other-election",
    "other-device",
    "tampered",
    "not-results",
    "malformed",
    "other-tps",
    "log-older",
    "candidates",
    "total",
    "unbalanced",
    "ok",
)


@dataclass(frozen=True)
class Verdict:
    """SAH (``ok``) or the first reason the statement is not, with the statement when it verified."""

    ok: bool
    reason: str
    statement: Statement | None = None


def pin_from_opening(text: str) -> dict:
    """The pin a verified opening statement gives (raises StatementError like open_opening)."""
    o = open_opening(text)
    return {
        "verifier_key": o.verifier_key,
        "election_id": o.election_id,
        "tps": o.tps,
        "log_size": o.log_size,
        "candidates": [[n, name] for n, name in o.candidates],
        "signer": o.signer,
    }


def _untrusted_election(text: str) -> str | None:
    at = text.rfind("\n\n")
    for line in text[: at if at >= 0 else len(text)].split("\n"):
        if line.startswith("election "):
            return line[len("election ") :]
    return None


def _signature_reason(text: str, pin: dict) -> str:
    """Why open_statement refused the signature: another key signed it, or the text was changed."""
    name, public_key = note.parse_verifier_key(pin["verifier_key"].strip())
    try:
        note.open_note(text, {name: public_key})
    except note.UnverifiedNote:
        election = _untrusted_election(text)
        other = pin.get("election_id") and election is not None and election != pin["election_id"]
        return "other-election" if other else "other-device"
    except note.InvalidSignature:
        return "tampered"
    except note.NoteError:
        return "malformed"
    raise AssertionError("open_statement refused a signature that open_note accepts")


def check_results(text: str, pin: dict | None) -> Verdict:
    """The witness's verdict on a results statement given ``pin`` (from :func:`pin_from_opening`,
    or ``{"verifier_key": ...}`` typed from the committee's device list)."""
    if not pin or not pin.get("verifier_key"):
        return Verdict(False, "not-pinned")
    try:
        s = open_statement(text, pin["verifier_key"])
    except StatementError as exc:
        if str(exc).startswith("bad verifier key"):
            return Verdict(False, "bad-key")
        if exc.reason == "signature":
            return Verdict(False, _signature_reason(text, pin))
        return Verdict(False, "not-results" if str(exc) == "not a booth results statement" else "malformed")
    numbers = [k for k in s.tally if k != "blank"]
    checks = [
        ("other-election", bool(pin.get("election_id")) and s.election_id != pin["election_id"]),
        ("other-tps", bool(pin.get("tps")) and s.tps != pin["tps"]),
        ("log-older", pin.get("log_size") is not None and s.log_size < int(pin["log_size"])),
        ("candidates", pin.get("candidates") is not None and numbers != [str(n) for n, _ in pin["candidates"]]),
        ("total", s.total != sum(s.tally.values())),
        ("unbalanced", not s.balanced),
    ]
    for reason, failed in checks:
        if failed:
            return Verdict(False, reason, s)
    return Verdict(True, "ok", s)
