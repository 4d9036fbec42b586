"""The desk's signed station results in the short text its printed QR carries.

The station results document (``BoothService.station_results``'s ``document``, the
``station-results.json`` of the station bundle) is canonical JSON of about 1.1 kB for three
booths: more than three QR codes hold on 58 mm paper at the measured module size
(``booth.paper.qr``).  Most of it is hex (fingerprints, digests).  This module writes the same
document as lines of words, the hex as base64url, and reads it back into exactly the same
document, so the phone (or ``booth``) checks the desk's signature over the very bytes the
bundle holds.  Nothing is left out and nothing is added; a document of another shape is
refused rather than printed wrong::

    booth station results v1
    e <election id, base64url of the 32 bytes>
    d <desk fingerprint, base64url>
    t <candidate>=<votes> ...          the station's total tally
    v <votes>
    m <booth> ...                      the merged booths (tallies only in the total)
    b <1 or 0>                         balanced
    <booth> <fingerprint> <statement digest> <issued> <cast> <cancelled> <out> <spoils> <after_cancel> <tally or ->
    r <fingerprint> <statement digest>  after its booth's line: a device replaced there, in pairing order
    s <the desk's Ed25519 signature, base64>

(one booth line per booth, in ascending order; a booth's tally is ``6,0,6`` when it has exactly
the choices of the station's total, in their order, else ``1=6,3=6`` (``=`` when empty), or ``-``
when it is merged into the total).

>>> row = {"fingerprint": "ab" * 32, "statement": "cd" * 32, "tally": None, "releases": {"after_cancel": 0,
...        "cancelled": 0, "cast": 3, "issued": 3, "out": 0, "spoils": 0}}
>>> body = {"balanced": True, "booths": {"1": row}, "desk": "ef" * 32, "election": "01" * 32, "merged": [1],
...         "tally": {"1": 3}, "votes": 3}
>>> doc = canonical({"body": body, "sig": "A" * 86 + "=="}).decode()
>>> text = qr_text(doc)
>>> print(text.splitlines()[6])
b 1
>>> read_qr_text(text) == doc
True
"""

from __future__ import annotations

import base64
import re
from typing import Any

from booth.ledger.canonical import canonical, parse_canonical

HEADER = "booth station results v1"
_RELEASES = ("issued", "cast", "cancelled", "out", "spoils", "after_cancel")
_BOOTH_KEYS = {"fingerprint", "releases", "statement", "tally"}
_REPLACED_KEYS = {"fingerprint", "statement"}
_BODY_KEYS = {"balanced", "booths", "desk", "election", "merged", "tally", "votes"}
_CHOICE = re.compile(r"[0-9a-z_]{1,16}\Z")
_NUMBER = re.compile(r"(0|[1-9][0-9]{0,8})\Z")
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


class StationQrError(ValueError):
    """A text that is not a station results QR (or a document that cannot be written as one)."""


def _b64u(hex_text: object) -> str:
    if not isinstance(hex_text, str) or not _HEX64.match(hex_text):
        raise StationQrError(f"not a 64-digit hex value: {hex_text!r}")
    return base64.urlsafe_b64encode(bytes.fromhex(hex_text)).decode().rstrip("=")


def _hex(word: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(word + "=")
    except ValueError:
        raise StationQrError(f"not base64url: {word!r}") from None
    if len(raw) != 32 or _b64u(raw.hex()) != word:
        raise StationQrError(f"not 32 bytes in base64url: {word!r}")
    return raw.hex()


def _count(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**9:
        raise StationQrError(f"not a count: {value!r}")
    return str(value)


def _number(word: str) -> int:
    if not _NUMBER.match(word):
        raise StationQrError(f"not a count: {word!r}")
    return int(word)


def _tally_words(tally: object) -> list[str]:
    if not isinstance(tally, dict):
        raise StationQrError("a tally is not a table of votes")
    words = []
    for choice, votes in sorted(tally.items()):
        if not isinstance(choice, str) or not _CHOICE.match(choice):
            raise StationQrError(f"not a choice: {choice!r}")
        words.append(f"{choice}={_count(votes)}")
    return words


def _read_tally(words: list[str]) -> dict[str, int]:
    tally: dict[str, int] = {}
    for word in words:
        choice, eq, votes = word.partition("=")
        if not eq or not _CHOICE.match(choice) or choice in tally:
            raise StationQrError(f"not a choice's votes: {word!r}")
        tally[choice] = _number(votes)
    return tally


def _booth_tally_words(tally: object, total: object) -> list[str]:
    """A booth's votes: bare, in the order of the total's choices, when it has exactly those."""
    words = _tally_words(tally)
    if isinstance(tally, dict) and isinstance(total, dict) and total and sorted(tally) == sorted(total):
        return [word.partition("=")[2] for word in words]
    return words


def _read_booth_tally(word: str, total_words: list[str]) -> dict[str, int]:
    if word == "=":
        return {}
    if "=" in word:
        return _read_tally(word.split(","))
    choices = sorted(w.partition("=")[0] for w in total_words)
    values = word.split(",")
    if len(values) != len(choices):
        raise StationQrError(f"a booth's votes do not match the station's choices: {word!r}")
    return {choice: _number(value) for choice, value in zip(choices, values, strict=True)}


def qr_text(document: str | bytes) -> str:
    """The station results document (canonical JSON) as the short text its QR prints."""
    try:
        obj = parse_canonical(document.encode() if isinstance(document, str) else document)
        body, sig = obj["body"], obj["sig"]
    except (ValueError, TypeError, KeyError):
        raise StationQrError("not a signed station results document") from None
    if set(obj) != {"body", "sig"} or not isinstance(body, dict) or set(body) != _BODY_KEYS:
        raise StationQrError("not a station results document of this version")
    if not isinstance(body["balanced"], bool) or not isinstance(body["merged"], list):
        raise StationQrError("not a station results document of this version")
    lines = [
        HEADER,
        f"e {_b64u(body['election'])}",
        f"d {_b64u(body['desk'])}",
        " ".join(["t", *_tally_words(body["tally"])]),
        f"v {_count(body['votes'])}",
        " ".join(["m", *(_count(n) for n in body["merged"])]),
        f"b {int(body['balanced'])}",
    ]
    booths = body["booths"]
    if not isinstance(booths, dict) or not booths:
        raise StationQrError("a station results document without booths")
    for key in sorted(booths, key=lambda k: _number(k) if isinstance(k, str) else -1):
        row = booths[key]
        if not isinstance(row, dict) or set(row) - {"replaced"} != _BOOTH_KEYS or not isinstance(row["releases"], dict):
            raise StationQrError(f"booth {key}: not a booth's row of this version")
        replaced = row.get("replaced", [])
        if "replaced" in row and (
            not isinstance(replaced, list)
            or not replaced
            or any(not isinstance(old, dict) or set(old) != _REPLACED_KEYS for old in replaced)
        ):
            raise StationQrError(f"booth {key}: not a replaced booth's devices of this version")
        if set(row["releases"]) != set(_RELEASES):
            raise StationQrError(f"booth {key}: not a booth's releases of this version")
        tally = "-" if row["tally"] is None else ",".join(_booth_tally_words(row["tally"], body["tally"]))
        words = [key, _b64u(row["fingerprint"]), _b64u(row["statement"])]
        words += [_count(row["releases"][k]) for k in _RELEASES]
        lines.append(" ".join([*words, tally or "="]))
        lines += [f"r {_b64u(old['fingerprint'])} {_b64u(old['statement'])}" for old in replaced]
    if not isinstance(sig, str) or not re.fullmatch(r"[A-Za-z0-9+/]{86}==", sig):
        raise StationQrError("not an Ed25519 signature in base64")
    lines.append(f"s {sig}")
    return "\n".join(lines) + "\n"


def read_qr_text(text: str) -> str:
    """The station results document (canonical JSON, as in the bundle) the QR text holds.

    Raises :class:`StationQrError` naming the first line that is not as :func:`qr_text` writes it.
    """
    if not isinstance(text, str) or not text.endswith("\n") or len(text) > 4096:
        raise StationQrError("not a station results QR")
    lines = text[:-1].split("\n")
    if len(lines) < 9 or lines[0] != HEADER:
        raise StationQrError("not a station results QR (its first line is not 'booth station results v1')")
    tags = ["e", "d", "t", "v", "m", "b"]
    fields: dict[str, list[str]] = {}
    for tag, line in zip(tags, lines[1:7], strict=True):
        words = line.split(" ")
        if words[0] != tag or "" in words:
            raise StationQrError(f"line {tag!r} expected, found {line[:40]!r}")
        fields[tag] = words[1:]
    if len(fields["e"]) != 1 or len(fields["d"]) != 1 or len(fields["v"]) != 1 or fields["b"] not in (["0"], ["1"]):
        raise StationQrError("the election, desk, votes or balanced line is not one word")
    sig_line = lines[-1]
    if not sig_line.startswith("s ") or not re.fullmatch(r"[A-Za-z0-9+/]{86}==", sig_line[2:]):
        raise StationQrError("the last line is not the desk's signature")
    booths: dict[str, Any] = {}
    for line in lines[7:-1]:
        words = line.split(" ")
        if words[0] == "r" and len(words) == 3 and booths:
            last = booths[next(reversed(booths))]
            last.setdefault("replaced", []).append({"fingerprint": _hex(words[1]), "statement": _hex(words[2])})
            continue
        if len(words) != 10 or words[0] in booths:
            raise StationQrError(f"not a booth's line: {line[:40]!r}")
        releases = dict(zip(_RELEASES, (_number(w) for w in words[3:9]), strict=True))
        tally = None if words[9] == "-" else _read_booth_tally(words[9], fields["t"])
        booths[str(_number(words[0]))] = {
            "fingerprint": _hex(words[1]),
            "releases": releases,
            "statement": _hex(words[2]),
            "tally": tally,
        }
    body = {
        "balanced": fields["b"] == ["1"],
        "booths": booths,
        "desk": _hex(fields["d"][0]),
        "election": _hex(fields["e"][0]),
        "merged": [_number(w) for w in fields["m"]],
        "tally": _read_tally(fields["t"]),
        "votes": _number(fields["v"][0]),
    }
    document = canonical({"body": body, "sig": sig_line[2:]}).decode()
    if qr_text(document) != text:  # one text per document: anything else was not written by qr_text
        raise StationQrError("not a station results QR as the desk prints it")
    return document


def open_qr_text(text: str, desk_verifier_key: str) -> dict[str, Any]:
    """The body of the station results the QR holds, once the desk's signature over it verifies.

    ``desk_verifier_key`` is the desk's key as a signed-note verifier key (``booth/…+…+…``).
    """
    from booth.ledger import note
    from booth.ledger.station_log import station_message

    document = read_qr_text(text)
    obj = parse_canonical(document.encode())
    try:
        _, key = note.parse_verifier_key(desk_verifier_key)
        key.verify(base64.b64decode(obj["sig"], validate=True), station_message("results", obj["body"]))
    except Exception:
        raise StationQrError("the station results are not signed by this desk's key") from None
    return obj["body"]
