"""The ledger socket's schema: every method served, its parameters, and the checks a request passes.

:data:`METHODS` is the table of every method served: parameter names, types
and sizes.  A method not in the table, a missing or unexpected parameter, a
wrong type, a string too long or not in its pattern, bad base64: each is
refused with ``UnknownMethod`` or :class:`~booth.api.wire.BadParams` naming
the parameter and the problem, before the booth is touched, so nothing
changes.  ``booth.api.client.BoothClient`` is generated from the same table,
and ``booth.api.protocol.BoothAPI`` spells it out as a typed interface.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from booth.api.wire import SMALL_FRAME, BadParams, KiB, MiB, base64_size, shown_name
from booth.station.roles import BOOTH_ACTS, DESK_ACTS, STATION_ACTS

#: Largest voter photo ``store_photo`` accepts (decoded bytes): the photo vault's own limit
#: (``booth.ledger.vault.MAX_PHOTO_BYTES``, checked by the tests; not imported, so that the
#: kiosk's client never loads the ledger's code).
PHOTO_BYTES = 2 * MiB
#: Largest election package ``load_election`` accepts (the zip, decoded bytes).
PACKAGE_BYTES = 16 * MiB
#: the booths' bundles from the desk's USB stick, in one request (booth.station.stick.STICK_BYTES)
STICK_BYTES = 24 * MiB

PROBLEM_WORDS = {
    # problem: (Indonesian, English)
    "not_an_object": ("harus berupa objek", "must be an object"),
    "missing": ("tidak ada", "is missing"),
    "unexpected": ("tidak dikenal", "is not a parameter of this method"),
    "wrong_type": ("jenisnya salah", "has the wrong type"),
    "too_long": ("terlalu panjang", "is too long"),
    "out_of_range": ("di luar batas", "is out of range"),
    "bad_format": ("bentuknya salah", "does not have the expected form"),
    "bad_text": ("berisi huruf yang tidak boleh", "contains characters that are not allowed"),
    "bad_base64": ("bukan base64 yang sah", "is not valid base64"),
    "too_many_items": ("terlalu banyak isian", "has too many items"),
    "bad_booth_number": ("bukan nomor bilik 1-6", "is not a booth number 1-6"),
}


def bad_param(method: str, param: str, problem: str, **extra) -> BadParams:
    """The refusal of one parameter, in the words of :data:`PROBLEM_WORDS`."""
    words_id, words_en = PROBLEM_WORDS[problem]
    return BadParams(
        f"Permintaan ditolak: {method}.{param} {words_id}",
        f"Request refused: {method}.{param} {words_en}",
        method=method,
        param=param,
        problem=problem,
        **extra,
    )


# ------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Param:
    """One parameter: its JSON type and size.

    kinds: ``text`` (a string of at most ``max`` characters, optionally
    matching ``pattern``), ``int`` (``min``..``max``), ``bytes`` (base64 of at
    most ``max`` bytes), ``labels`` (an object of at most ``max`` text -> text
    items, e.g. self-test results), ``statements`` (an object of booth number
    "1".."6" -> a booth's signed results statement of at most ``max``
    characters; the booth gets the numbers as ints).
    """

    name: str
    kind: str
    max: int
    min: int = 0
    required: bool = True
    nullable: bool = False
    keyword_only: bool = False
    pattern: str | None = None


@dataclass(frozen=True)
class Method:
    """One method served: its parameters, what it returns, and how big its request may be."""

    name: str
    params: tuple[Param, ...] = ()
    result: str = "json"  # "json", "bytes" (base64 on the wire) or "none"
    #: Fields of a JSON result that are bytes in Python and base64 on the wire (a signed token).
    bytes_fields: tuple[str, ...] = ()
    special: bool = False  # client and server adapt the arguments: see _SPECIAL in both modules
    doc: str = ""

    @property
    def frame_limit(self) -> int:
        extra = sum(base64_size(p.max) for p in self.params if p.kind == "bytes")
        # a statement's newlines and quotes are escaped in JSON: at most twice its length
        extra += sum(2 * p.max * MAX_BOOTHS * DEVICES_PER_BOOTH for p in self.params if p.kind == "statements")
        return SMALL_FRAME + extra

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def text(
    name: str, max: int, *, optional: bool = False, nullable: bool = False, kw: bool = False, pattern: str | None = None
) -> Param:
    return Param(name, "text", max, required=not optional, nullable=nullable, keyword_only=kw, pattern=pattern)


def integer(name: str, low: int, high: int, *, optional: bool = False) -> Param:
    return Param(name, "int", high, min=low, required=not optional)


def blob(name: str, max: int) -> Param:
    return Param(name, "bytes", max)


def statements(name: str) -> Param:
    return Param(name, "statements", STATEMENT_CHARS)


def labels(name: str, *, optional: bool = False, nullable: bool = False, kw: bool = False) -> Param:
    return Param(name, "labels", 32, required=not optional, nullable=nullable, keyword_only=kw)


_ID = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_TOKEN = r"[A-Za-z0-9_-]{1,64}"
TOKEN = text("token", 64, pattern=_TOKEN)
MAYBE_TOKEN = text("token", 64, optional=True, nullable=True, pattern=_TOKEN)
COMPANION = text("companion_id", 32, pattern=_ID)
PIN = text("pin", 32)
VOTER = text("voter_ref", 64, pattern=_ID)
RELEASE = text("release_id", 32, pattern=_ID)
ERROR = text("error", 200)
LABEL_KEY_MAX, LABEL_VALUE_MAX = 64, 200
EXPORT_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.zip"
#: The station's limits (booth.service.station.MAX_BOOTHS, booth.station.release.MAX_MESSAGE_BYTES,
#: the statement size station_results reads; the tests hold them equal, without importing the core).
MAX_BOOTHS = 6
STATION_MESSAGE_BYTES = 2048
STATEMENT_CHARS = 8192
#: a booth number's closings: the devices replaced under it (oldest first), then the current one
DEVICES_PER_BOOTH = 3
VERIFIER_KEY = text("peer_verifier_key", 200)
PAIRING_CODE = text("code", 20)


def _table(*methods: Method) -> dict[str, Method]:
    table = {}
    for m in methods:
        assert m.name not in table, m.name
        table[m.name] = m
    return table


#: Every method the ledger service serves, in the order of the day.
METHODS: dict[str, Method] = _table(
    # --- what the screens show (no PIN)
    Method("status"),
    Method("counts"),
    Method("device_fingerprint"),
    Method("latest_checkpoint"),
    Method("election_info"),
    Method("candidate_photo", (integer("number", 0, 999),), result="bytes"),
    Method("voter_screen"),
    Method("custody_trail"),
    Method("results"),
    # --- the committee's acts (signed files)
    Method(
        "load_election",
        (blob("package_zip", PACKAGE_BYTES),),
        special=True,
        doc="the client sends the package folder or .zip as zip bytes; the ledger never opens a path the UI names",
    ),
    Method("committee_reset", (text("reset_file_text", 16 * KiB),)),
    # --- companions
    Method("set_first_pin", (COMPANION, PIN, MAYBE_TOKEN), result="none"),
    Method("sign_in", (COMPANION, PIN)),
    Method("sign_out", (TOKEN,), result="none"),
    Method("whoami", (TOKEN,)),
    # --- custody
    Method(
        "record_custody",
        (
            text("stage", 32),
            text("token", 64, optional=True, nullable=True, kw=True, pattern=_TOKEN),
            text("companion_id", 32, optional=True, nullable=True, kw=True, pattern=_ID),
            text("place", 120, optional=True, kw=True),
            text("note", 500, optional=True, kw=True),
            labels("self_test", optional=True, nullable=True, kw=True),
            labels("clock", optional=True, nullable=True, kw=True),
        ),
        result="none",
    ),
    Method("record_self_test", (TOKEN, labels("results")), result="none"),
    # --- polls
    Method("zero_report", (TOKEN,)),
    Method("zero_report_printed", (TOKEN,), result="none"),
    Method("open_polls", (TOKEN,), result="none"),
    Method("pause", (TOKEN, text("reason", 200, optional=True)), result="none"),
    Method("resume", (TOKEN,), result="none"),
    Method("close_polls", (TOKEN, text("reason", 300, optional=True, nullable=True)), result="none"),
    Method("count", (TOKEN,)),
    Method("results_printed", (TOKEN,), result="none"),
    Method(
        "export",
        (TOKEN, text("file_name", 68, pattern=EXPORT_NAME)),
        special=True,
        doc="the bundle is written under STATE/exports/ and its bytes returned; the client "
        "writes them where it was asked to",
    ),
    Method("pack", (TOKEN,), result="none"),
    # --- voters
    Method("search_voters", (TOKEN, text("query", 100), integer("limit", 1, 50, optional=True))),
    Method("check_in", (TOKEN, VOTER)),
    Method(
        "add_dptb",
        (
            TOKEN,
            text("nik", 32, kw=True),
            text("name", 100, kw=True),
            text("sex", 2, kw=True),
            text("birth_date", 32, kw=True),
            text("address", 200, optional=True, kw=True),
            text("rt", 200, optional=True, kw=True),
            text("rw", 200, optional=True, kw=True),
            text("reason", 200, kw=True),
        ),
    ),
    Method("view_photo", (TOKEN, VOTER), result="bytes"),
    # --- the voter in the booth
    Method("release_ballot", (TOKEN, VOTER)),
    Method("cast", (RELEASE, text("selection", 16))),
    Method("slip_printed", (RELEASE,), result="none"),
    Method("slip_failed", (RELEASE, ERROR), result="none"),
    Method("reprint_slip", (TOKEN,)),
    Method("slip_confirmed", (RELEASE,), result="none"),
    Method("slip_disputed", (RELEASE,), result="none"),
    Method("spoil_ballot", (TOKEN, RELEASE)),
    Method("escalate_dispute", (TOKEN, RELEASE, text("note", 200)), result="none"),
    Method("store_photo", (RELEASE, blob("jpeg", PHOTO_BYTES)), result="none"),
    Method("photo_failed", (RELEASE, ERROR), result="none"),
    Method("skip_photo", (TOKEN, RELEASE, text("reason", 200)), result="none"),
    Method("cancel_release", (TOKEN, RELEASE, text("reason", 200)), result="none"),
    Method("expire_release", (RELEASE,), result="none"),
    # --- the polling station (booth.service.station; each act for one role, the others refused)
    Method("pairing_code", (VERIFIER_KEY,)),
    Method("pair_booth", (TOKEN, integer("number", 1, MAX_BOOTHS), text("booth_verifier_key", 200), PAIRING_CODE)),
    Method("pair_desk", (TOKEN, text("desk_verifier_key", 200), integer("number", 1, MAX_BOOTHS), PAIRING_CODE)),
    Method("issue_release", (TOKEN, VOTER, integer("booth", 1, MAX_BOOTHS)), bytes_fields=("token",)),
    Method("release_returned", (blob("outcome", STATION_MESSAGE_BYTES),)),
    Method("cancel_station_release", (TOKEN, RELEASE, text("reason", 200)), bytes_fields=("notice",)),
    Method("station_photo", (RELEASE, blob("jpeg", PHOTO_BYTES)), result="none"),
    Method("station_skip_photo", (TOKEN, RELEASE, text("reason", 200)), result="none"),
    Method("station_results", (TOKEN, statements("closings"))),
    Method("closing_received", (blob("statement", STATEMENT_CHARS),)),
    Method(
        "export_station",
        (TOKEN, blob("stick_zip", STICK_BYTES)),
        special=True,
        doc="the kiosk sends the stick's bundles (booth.station.stick.pack_stick); the station bundle "
        "is returned and the client writes it on the stick",
    ),
    Method("accept_release", (blob("token", STATION_MESSAGE_BYTES),)),
    Method("release_outcome", (RELEASE,), result="bytes"),
    Method("release_revoked", (blob("notice", STATION_MESSAGE_BYTES),)),
    Method("checkpoint_offer", (integer("since", 0, 10**9),), result="bytes"),
    Method("watch_peer", (text("label", 8, pattern=r"meja|bilik-[1-6]"), blob("offer", 16 * KiB))),
    Method("peers_seen"),
    Method("station_peers"),
    Method("roster_accept", (blob("roster", 4 * KiB),)),
    Method("station_outbox", (integer("after", 0, 10**9),), bytes_fields=("payload",)),
    # --- checking
    Method("verify_ledger", (MAYBE_TOKEN,)),
    # --- the device
    Method("power_changed", (text("state", 16),)),
)

#: Public ``BoothService`` methods deliberately not served, and why.
NOT_SERVED = {
    "pin_committee_key": "provisioning act on the device itself; a UI must not choose which committee it trusts",
    "close": "the service's own lifecycle",
    "open": "the service's own lifecycle",
    "provision": "the service's own lifecycle",
}
assert set(STATION_ACTS + DESK_ACTS + BOOTH_ACTS) <= set(METHODS), "every station act is served"
#: Parameters of served methods that a client may not pass.
NOT_SERVED_PARAMS = {
    ("load_election", "trusted_committee_key"): "a UI must not choose which committee it trusts",
}

#: Served only by a server started with ``--fake-clock`` (tests and the simulator).
FAKE_CLOCK_METHODS: dict[str, Method] = _table(
    Method("fake_clock_advance", (integer("seconds", 0, 10**8),), special=True),
    Method("fake_clock_set", (text("utc", 40),), special=True),
)

ALL_METHODS: dict[str, Method] = {**METHODS, **FAKE_CLOCK_METHODS}


def largest_frame(methods: dict[str, Method]) -> int:
    """The longest request frame any of ``methods`` accepts."""
    return max(m.frame_limit for m in methods.values())


# ----------------------------------------------------------- checking a request
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_text(method: str, p: Param, value, max_len: int) -> str:
    if not isinstance(value, str):
        raise bad_param(method, p.name, "wrong_type", expected="string")
    if len(value) > max_len:
        raise bad_param(method, p.name, "too_long", limit=max_len)
    try:
        value.encode("utf-8")  # a lone surrogate (JSON "\ud800") is not text
    except UnicodeEncodeError:
        raise bad_param(method, p.name, "bad_text") from None
    if _BAD_CHAR.search(value):
        raise bad_param(method, p.name, "bad_text")
    return value


def _check_int(method: str, p: Param, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_param(method, p.name, "wrong_type", expected="integer")
    if not p.min <= value <= p.max:
        raise bad_param(method, p.name, "out_of_range", min=p.min, max=p.max)
    return value


def _check_pattern(method: str, p: Param, value) -> str:
    value = _check_text(method, p, value, p.max)
    if p.pattern is not None and not re.fullmatch(p.pattern, value):
        raise bad_param(method, p.name, "bad_format")
    return value


def _check_bytes(method: str, p: Param, value) -> bytes:
    if not isinstance(value, str):
        raise bad_param(method, p.name, "wrong_type", expected="base64 string")
    if len(value) > base64_size(p.max):
        raise bad_param(method, p.name, "too_long", limit=p.max)
    try:
        data = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise bad_param(method, p.name, "bad_base64") from None
    if len(data) > p.max:
        raise bad_param(method, p.name, "too_long", limit=p.max)
    return data


def _check_labels(method: str, p: Param, value) -> dict:
    if not isinstance(value, dict):
        raise bad_param(method, p.name, "wrong_type", expected="object")
    if len(value) > p.max:
        raise bad_param(method, p.name, "too_many_items", limit=p.max)
    for key, item in value.items():
        _check_text(method, p, key, LABEL_KEY_MAX)
        _check_text(method, p, item, LABEL_VALUE_MAX)
    return dict(value)


def _check_statements(method: str, p: Param, value) -> dict:
    if not isinstance(value, dict):
        raise bad_param(method, p.name, "wrong_type", expected="object")
    if len(value) > MAX_BOOTHS:
        raise bad_param(method, p.name, "too_many_items", limit=MAX_BOOTHS)
    out: dict[int, str | list[str]] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[1-9]", key) or int(key) > MAX_BOOTHS:
            raise bad_param(method, p.name, "bad_booth_number")
        if isinstance(item, list):  # a booth replaced mid-day: every device's closing, oldest first
            if not item:
                raise bad_param(method, p.name, "wrong_type", expected="text")
            if len(item) > DEVICES_PER_BOOTH:
                raise bad_param(method, p.name, "too_many_items", limit=DEVICES_PER_BOOTH)
            out[int(key)] = [_check_text(method, p, one, p.max) for one in item]
        else:
            out[int(key)] = _check_text(method, p, item, p.max)
    return out


#: One checker per parameter kind (see :class:`Param`).
_CHECKS = {
    "text": _check_pattern,
    "int": _check_int,
    "bytes": _check_bytes,
    "labels": _check_labels,
    "statements": _check_statements,
}


def check_value(method: str, p: Param, value):
    """One parameter's value, decoded (bytes from base64), or BadParams."""
    if value is None:
        if p.nullable:
            return None
        raise bad_param(method, p.name, "wrong_type", expected=p.kind)
    return _CHECKS[p.kind](method, p, value)


def check_params(method: Method, params: dict) -> dict:
    """The keyword arguments for the booth, checked against the table, or BadParams.

    >>> check_params(METHODS["cast"], {"release_id": "R0001", "selection": "2"})
    {'release_id': 'R0001', 'selection': '2'}
    >>> check_params(METHODS["cast"], {"release_id": "R0001"})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    booth.api.wire.BadParams: Request refused: cast.selection is missing
    """
    if not isinstance(params, dict):
        raise bad_param(method.name, "params", "not_an_object")
    known = {p.name for p in method.params}
    for name in params:
        if name not in known:
            raise bad_param(method.name, shown_name(name), "unexpected")
    kwargs = {}
    for p in method.params:
        if p.name not in params:
            if p.required:
                raise bad_param(method.name, p.name, "missing")
            continue
        kwargs[p.name] = check_value(method.name, p, params[p.name])
    return kwargs


def encode_result(method: Method, value):
    """A booth result as it travels: bytes as base64, nothing as null."""
    if method.result == "bytes":
        return base64.b64encode(value).decode("ascii")
    if method.result == "none":
        return None
    if method.bytes_fields and isinstance(value, list):  # a list of items (station_outbox)
        return [encode_result(method, item) for item in value]
    if method.bytes_fields and isinstance(value, dict):
        return {
            k: base64.b64encode(v).decode("ascii") if k in method.bytes_fields and isinstance(v, bytes) else v
            for k, v in value.items()
        }
    return value


def decode_result(method: Method, value):
    """A result as the caller gets it: bytes from base64 (the client's half of :func:`encode_result`)."""
    if method.result == "bytes" and isinstance(value, str):
        return base64.b64decode(value)
    if method.bytes_fields and isinstance(value, list):
        return [decode_result(method, item) for item in value]
    if method.bytes_fields and isinstance(value, dict):
        return {
            k: base64.b64decode(v) if k in method.bytes_fields and isinstance(v, str) else v for k, v in value.items()
        }
    return value
