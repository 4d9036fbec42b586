"""The ledger service's socket API: ``BoothService`` served to the kiosk over a Unix socket.

On the appliance the ``booth-ledger`` service owns the state directory (the
database, the device key, the photo vault) and the kiosk reaches it only
through this socket.  Everything a client may send is written down here, once:

**Frame.**  Each message is a 4-byte big-endian length followed by that many
bytes of UTF-8 JSON.  A request frame longer than the limit of its method is
refused (:data:`SMALL_FRAME` for most methods; photos and election packages
have their own, see :data:`METHODS`); a length above every limit is refused
without reading the body, and the connection is closed.  A frame must arrive
whole within ``frame_timeout`` seconds once its first byte has come.

**Request / response.**  One request ``{"id": n, "method": name, "params":
{...}}`` gets one response ``{"id": n, "result": ...}`` or ``{"id": n,
"error": {"code": ..., "message_id": ..., "message_en": ..., "details":
{...}}}`` (``booth.errors.BoothError.to_json``).  ``id`` is an integer the
client chooses (0 to 2**53); it is ``null`` in the answer to a frame whose id
could not be read.  Bytes travel as base64 strings (standard alphabet,
padded): the ``jpeg`` of ``store_photo``, the result of ``view_photo``.

**Schema.**  :data:`METHODS` is the table of every method served: parameter
names, types and sizes.  A method not in the table, a missing or unexpected
parameter, a wrong type, a string too long or not in its pattern, bad base64:
each is refused with :class:`UnknownMethod` or :class:`BadParams` naming the
parameter and the problem, before the booth is touched, so nothing changes.
``booth.api_client.BoothClient`` is generated from the same table.

**Who.**  Only processes running as an allowed UID (the kiosk's user) are
served; the UID is the kernel's (``SO_PEERCRED``), not something the client
says.  Anyone else gets one :class:`PeerRefused` error frame and is hung up on.

**One at a time.**  Several clients may be connected; their requests enter the
booth one at a time, all on one thread (a queue), so the rules in
``BoothService`` see a single sequence of events, as in-process, and its
SQLite connections stay in the thread that opened them.

**systemd.**  ``READY=1`` once the ledger is open and the socket listens;
``STATUS=`` says the polls state and the ballot count (never which ballot);
``WATCHDOG=1`` at half of ``WATCHDOG_USEC`` from the thread that runs the
booth, between requests, so a request stuck in the booth starves the watchdog;
``STOPPING=1`` on SIGTERM.  With socket activation (``booth-ledger.socket``)
the listening socket is fd 3; without it the server binds ``--socket`` itself.

An unexpected exception inside the booth is answered with ``internal_error``
and then the service exits (status 70): systemd restarts it and the booth is
rebuilt from the ledger, never left half-changed in memory.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import errno
import json
import logging
import os
import pwd
import queue
import re
import signal
import socket
import stat
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from booth.errors import BoothError
from booth.systemd_notify import Notifier, listen_fds, watchdog_interval

log = logging.getLogger("booth.api")

# ------------------------------------------------------------------ the frame
HEADER = struct.Struct(">I")
KiB, MiB = 1024, 1024 * 1024
#: Frame limit of every method without bytes parameters.
SMALL_FRAME = 64 * KiB
#: Largest voter photo ``store_photo`` accepts (decoded bytes): the photo vault's own limit
#: (``booth.ledger.vault.MAX_PHOTO_BYTES``, checked by the tests; not imported, so that the
#: kiosk's client never loads the ledger's code).
PHOTO_BYTES = 2 * MiB
#: Largest election package ``load_election`` accepts (the zip, decoded bytes).
PACKAGE_BYTES = 16 * MiB
#: Largest response a client reads (an export bundle travels in one).
RESPONSE_LIMIT = 128 * MiB
#: ``id`` values a request may carry: integers a JSON double holds exactly.
MAX_ID = 2**53

EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: systemd's Restart=on-failure brings the service back


def base64_size(n: int) -> int:
    """Length of the base64 text of ``n`` bytes.

    >>> base64_size(3), base64_size(4)
    (4, 8)
    """
    return 4 * ((n + 2) // 3)


def encode_frame(message: Any) -> bytes:
    """One frame: length prefix + UTF-8 JSON.

    >>> encode_frame({"id": 1})
    b'\\x00\\x00\\x00\\t{"id": 1}'
    """
    body = json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return HEADER.pack(len(body)) + body


class ConnectionClosed(Exception):
    """The other side hung up (cleanly between frames, or in the middle of one)."""

    def __init__(self, mid_frame: bool) -> None:
        super().__init__("connection closed in the middle of a frame" if mid_frame else "connection closed")
        self.mid_frame = mid_frame


def recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    """Exactly ``n`` bytes, or ConnectionClosed / socket.timeout (``deadline`` is monotonic)."""
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("frame not complete in time")
            sock.settimeout(left)
        chunk = sock.recv(min(n - got, 1 * MiB))
        if not chunk:
            raise ConnectionClosed(mid_frame=True)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(sock: socket.socket, limit: int, *, timeout: float | None,
               before_body: Callable[[int], None] | None = None) -> bytes:
    """Read one frame body.  Waits for the first byte as long as it takes, then ``timeout`` for the rest.

    Raises ConnectionClosed, socket.timeout, or FrameTooLarge (the body is
    then unread and the connection cannot be used further).
    """
    sock.settimeout(None)
    first = sock.recv(1)
    if not first:
        raise ConnectionClosed(mid_frame=False)
    deadline = None if timeout is None else time.monotonic() + timeout
    (length,) = HEADER.unpack(first + recv_exact(sock, HEADER.size - 1, deadline))
    if length > limit:
        raise FrameTooLarge("Permintaan terlalu besar", f"Frame of {length} bytes is over the limit of {limit}",
                            length=length, limit=limit)
    if before_body is not None:
        before_body(length)
    return recv_exact(sock, length, deadline)


def send_frame(sock: socket.socket, message: Any, timeout: float | None = None) -> None:
    sock.settimeout(timeout)
    sock.sendall(encode_frame(message))


# ----------------------------------------------------- errors of the protocol
class ProtocolError(BoothError):
    """A request refused by the socket layer before the booth saw it: nothing changed."""

    code = "protocol_error"


class BadFrame(ProtocolError):
    """The frame is not a JSON request object (bad UTF-8, bad JSON, missing id or method)."""

    code = "bad_frame"


class FrameTooLarge(ProtocolError):
    code = "frame_too_large"


class UnknownMethod(ProtocolError):
    code = "unknown_method"


class BadParams(ProtocolError):
    """A parameter is missing, unexpected, of the wrong type or size; ``details`` name it."""

    code = "bad_params"


class PeerRefused(ProtocolError):
    """The connecting process does not run as the kiosk's user."""

    code = "peer_refused"


class ServerBusy(ProtocolError):
    code = "server_busy"


class InternalError(BoothError):
    """The booth failed unexpectedly; the ledger service restarts from its log."""

    code = "internal_error"


class LedgerUnavailable(BoothError):
    """(Client side) the ledger service cannot be reached, or hung up before answering."""

    code = "ledger_unavailable"


PROTOCOL_ERRORS = (ProtocolError, BadFrame, FrameTooLarge, UnknownMethod, BadParams, PeerRefused,
                   ServerBusy, InternalError, LedgerUnavailable)

_PROBLEM_WORDS = {
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
}


def _bad_param(method: str, param: str, problem: str, **extra) -> BadParams:
    words_id, words_en = _PROBLEM_WORDS[problem]
    return BadParams(f"Permintaan ditolak: {method}.{param} {words_id}",
                     f"Request refused: {method}.{param} {words_en}",
                     method=method, param=param, problem=problem, **extra)


# ------------------------------------------------------------------ the schema
@dataclass(frozen=True)
class Param:
    """One parameter: its JSON type and size.

    kinds: ``text`` (a string of at most ``max`` characters, optionally
    matching ``pattern``), ``int`` (``min``..``max``), ``bytes`` (base64 of at
    most ``max`` bytes), ``labels`` (an object of at most ``max`` text -> text
    items, e.g. self-test results).
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
    special: bool = False  # client and server adapt the arguments: see _SPECIAL in both modules
    doc: str = ""

    @property
    def frame_limit(self) -> int:
        return SMALL_FRAME + sum(base64_size(p.max) for p in self.params if p.kind == "bytes")

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)


def text(name: str, max: int, *, optional: bool = False, nullable: bool = False, kw: bool = False,
         pattern: str | None = None) -> Param:
    return Param(name, "text", max, required=not optional, nullable=nullable, keyword_only=kw, pattern=pattern)


def integer(name: str, low: int, high: int, *, optional: bool = False) -> Param:
    return Param(name, "int", high, min=low, required=not optional)


def blob(name: str, max: int) -> Param:
    return Param(name, "bytes", max)


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
    Method("load_election", (blob("package_zip", PACKAGE_BYTES),), special=True,
           doc="the client sends the package folder or .zip as zip bytes; the ledger never opens a "
               "path the UI names"),
    Method("committee_reset", (text("reset_file_text", 16 * KiB),)),
    # --- companions
    Method("set_first_pin", (COMPANION, PIN, MAYBE_TOKEN), result="none"),
    Method("sign_in", (COMPANION, PIN)),
    Method("sign_out", (TOKEN,), result="none"),
    Method("whoami", (TOKEN,)),
    # --- custody
    Method("record_custody", (
        text("stage", 32),
        text("token", 64, optional=True, nullable=True, kw=True, pattern=_TOKEN),
        text("companion_id", 32, optional=True, nullable=True, kw=True, pattern=_ID),
        text("place", 120, optional=True, kw=True),
        text("note", 500, optional=True, kw=True),
        labels("self_test", optional=True, nullable=True, kw=True),
    ), result="none"),
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
    Method("export", (TOKEN, text("file_name", 68, pattern=EXPORT_NAME)), special=True,
           doc="the bundle is written under STATE/exports/ and its bytes returned; the client "
               "writes them where it was asked to"),
    Method("pack", (TOKEN,), result="none"),
    # --- voters
    Method("search_voters", (TOKEN, text("query", 100), integer("limit", 1, 50, optional=True))),
    Method("check_in", (TOKEN, VOTER)),
    Method("add_dptb", (
        TOKEN,
        text("nik", 32, kw=True), text("name", 100, kw=True), text("sex", 2, kw=True),
        text("birth_date", 32, kw=True), text("address", 200, optional=True, kw=True),
        text("rt", 200, optional=True, kw=True), text("rw", 200, optional=True, kw=True),
        text("reason", 200, kw=True),
    )),
    Method("view_photo", (TOKEN, VOTER), result="bytes"),
    # --- the voter in the booth
    Method("release_ballot", (TOKEN, VOTER)),
    Method("cast", (RELEASE, text("selection", 16))),
    Method("slip_printed", (RELEASE,), result="none"),
    Method("slip_failed", (RELEASE, ERROR), result="none"),
    Method("reprint_slip", (TOKEN,)),
    Method("store_photo", (RELEASE, blob("jpeg", PHOTO_BYTES)), result="none"),
    Method("photo_failed", (RELEASE, ERROR), result="none"),
    Method("skip_photo", (TOKEN, RELEASE, text("reason", 200)), result="none"),
    Method("cancel_release", (TOKEN, RELEASE, text("reason", 200)), result="none"),
    Method("expire_release", (RELEASE,), result="none"),
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
    return max(m.frame_limit for m in methods.values())


# ----------------------------------------------------------- checking a request
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Request:
    id: int
    method: str
    params: dict


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def decode_request(body: bytes) -> Request:
    """Parse one frame body into a Request, or raise BadFrame (with ``details['id']`` if it was read)."""
    try:
        obj = json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BadFrame("Permintaan rusak (bukan JSON)", f"Malformed request: {type(exc).__name__}") from None
    if not isinstance(obj, dict):
        raise BadFrame("Permintaan rusak", "A request must be a JSON object")
    request_id = obj.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int) or not 0 <= request_id <= MAX_ID:
        raise BadFrame("Permintaan tanpa nomor", "A request needs an integer id (0 to 2**53)")
    extra = set(obj) - {"id", "method", "params"}
    if extra:
        raise BadFrame("Permintaan rusak", "Unknown request fields: " + ", ".join(sorted(extra)[:5])[:200],
                       id=request_id)
    method = obj.get("method")
    if not isinstance(method, str) or not method or len(method) > 64:
        raise BadFrame("Permintaan tanpa nama perintah", "A request needs a method name", id=request_id)
    params = obj.get("params", {})
    if not isinstance(params, dict):
        raise BadFrame("Parameter harus berupa objek", "params must be an object", id=request_id)
    return Request(request_id, method, params)


def _check_text(method: str, p: Param, value, max_len: int) -> str:
    if not isinstance(value, str):
        raise _bad_param(method, p.name, "wrong_type", expected="string")
    if len(value) > max_len:
        raise _bad_param(method, p.name, "too_long", limit=max_len)
    try:
        value.encode("utf-8")  # a lone surrogate (JSON "\ud800") is not text
    except UnicodeEncodeError:
        raise _bad_param(method, p.name, "bad_text") from None
    if _BAD_CHAR.search(value):
        raise _bad_param(method, p.name, "bad_text")
    return value


def check_value(method: str, p: Param, value):
    """One parameter's value, decoded (bytes from base64), or BadParams."""
    if value is None:
        if p.nullable:
            return None
        raise _bad_param(method, p.name, "wrong_type", expected=p.kind)
    if p.kind == "text":
        value = _check_text(method, p, value, p.max)
        if p.pattern is not None and not re.fullmatch(p.pattern, value):
            raise _bad_param(method, p.name, "bad_format")
        return value
    if p.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad_param(method, p.name, "wrong_type", expected="integer")
        if not p.min <= value <= p.max:
            raise _bad_param(method, p.name, "out_of_range", min=p.min, max=p.max)
        return value
    if p.kind == "bytes":
        if not isinstance(value, str):
            raise _bad_param(method, p.name, "wrong_type", expected="base64 string")
        if len(value) > base64_size(p.max):
            raise _bad_param(method, p.name, "too_long", limit=p.max)
        try:
            data = base64.b64decode(value.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error, ValueError):
            raise _bad_param(method, p.name, "bad_base64") from None
        if len(data) > p.max:
            raise _bad_param(method, p.name, "too_long", limit=p.max)
        return data
    if p.kind == "labels":
        if not isinstance(value, dict):
            raise _bad_param(method, p.name, "wrong_type", expected="object")
        if len(value) > p.max:
            raise _bad_param(method, p.name, "too_many_items", limit=p.max)
        for key, item in value.items():
            _check_text(method, p, key, LABEL_KEY_MAX)
            _check_text(method, p, item, LABEL_VALUE_MAX)
        return dict(value)
    raise AssertionError(f"unknown parameter kind {p.kind}")


def check_params(method: Method, params: dict) -> dict:
    """The keyword arguments for the booth, checked against the table, or BadParams.

    >>> check_params(METHODS["cast"], {"release_id": "R0001", "selection": "2"})
    {'release_id': 'R0001', 'selection': '2'}
    >>> check_params(METHODS["cast"], {"release_id": "R0001"})  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    booth.api_server.BadParams: Request refused: cast.selection is missing
    """
    if not isinstance(params, dict):
        raise _bad_param(method.name, "params", "not_an_object")
    known = {p.name for p in method.params}
    for name in params:
        if name not in known:
            raise _bad_param(method.name, str(name)[:64], "unexpected")
    kwargs = {}
    for p in method.params:
        if p.name not in params:
            if p.required:
                raise _bad_param(method.name, p.name, "missing")
            continue
        kwargs[p.name] = check_value(method.name, p, params[p.name])
    return kwargs


def encode_result(method: Method, value):
    if method.result == "bytes":
        return base64.b64encode(value).decode("ascii")
    if method.result == "none":
        return None
    return value


# ------------------------------------------------------------------ the server
def peer_uid(conn: socket.socket) -> int:
    """The UID of the process at the other end, from the kernel (``SO_PEERCRED``)."""
    ucred = struct.Struct("iII")  # pid_t pid; uid_t uid; gid_t gid
    _pid, uid, _gid = ucred.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, ucred.size))
    return uid


class _Job:
    """One request waiting for the booth thread."""

    __slots__ = ("method", "kwargs", "done", "result", "error")

    def __init__(self, method: Method, kwargs: dict) -> None:
        self.method = method
        self.kwargs = kwargs
        self.done = threading.Event()
        self.result = None
        self.error: BoothError | None = None


class LedgerServer:
    """Serves one ``BoothService`` on a listening Unix socket.

    Threads: one accepts connections, one per client reads and checks its
    frames, and the thread that calls :meth:`serve_forever` (the one that
    opened the booth: SQLite connections stay in their thread) runs every
    request, one at a time, and feeds the watchdog between them, so a request
    stuck in the booth starves the watchdog and systemd restarts the service.

    >>> server = LedgerServer(service, listener, allowed_uids={os.getuid()})   # doctest: +SKIP
    >>> server.serve_forever()                                                  # doctest: +SKIP
    """

    def __init__(self, service, listener: socket.socket, *, allowed_uids: set[int],
                 notifier: Notifier | None = None, watchdog: float | None = None,
                 methods: dict[str, Method] = METHODS, clock=None,
                 frame_timeout: float = 10.0, max_clients: int = 8) -> None:
        self.service = service
        self.listener = listener
        self.allowed_uids = set(allowed_uids)
        self.notifier = notifier or Notifier(None)
        self.watchdog = watchdog
        self.methods = methods
        self.clock = clock
        self.frame_timeout = frame_timeout
        self.max_clients = max_clients
        self.max_frame = largest_frame(methods)
        self.fatal: BaseException | None = None
        self._jobs: queue.Queue[_Job] = queue.Queue()  # requests for the booth, one at a time
        self._large_frame = threading.Lock()  # one big frame (photo, package) in memory at a time
        self._clients_lock = threading.Lock()
        self._clients: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._stop = threading.Event()
        self._last_status: str | None = None

    # --- one request (client thread)
    def handle_frame(self, body: bytes) -> dict:
        """One frame in, one response out.  Raises nothing a client can provoke."""
        request_id = None
        try:
            try:
                request = decode_request(body)
            except BadFrame as exc:
                request_id = exc.details.pop("id", None)
                raise
            request_id = request.id
            method = self.methods.get(request.method)
            if method is None:
                raise UnknownMethod("Perintah tidak dikenal", "Unknown method: " + request.method[:64],
                                    method=request.method[:64])
            if len(body) > method.frame_limit:
                raise FrameTooLarge("Permintaan terlalu besar", f"Request of {len(body)} bytes is over "
                                    f"the limit of {method.frame_limit} for {method.name}",
                                    length=len(body), limit=method.frame_limit)
            kwargs = check_params(method, request.params)
            result = self._in_booth(method, kwargs)
            return {"id": request_id, "result": encode_result(method, result)}
        except BoothError as exc:
            return {"id": request_id, "error": exc.to_json()}

    def _in_booth(self, method: Method, kwargs: dict):
        """Hand the request to the booth thread and wait for its outcome."""
        job = _Job(method, kwargs)
        self._jobs.put(job)
        while not job.done.wait(timeout=1.0):
            if self._stop.is_set() and not self._running:
                raise _restarting()
        if job.error is not None:
            raise job.error
        return job.result

    # --- one request (booth thread)
    def _execute(self, job: _Job) -> None:
        method = job.method
        try:
            if self.fatal is not None or self._stop.is_set():
                raise _restarting()
            if method.special:
                result = _SPECIAL[method.name](self, **job.kwargs)
            else:
                result = getattr(self.service, method.name)(**job.kwargs)
            if method.result == "json":
                json.dumps(result, allow_nan=False)  # fail here, inside the guard, not mid-send
            job.result = result
        except BoothError as exc:
            job.error = exc
        except Exception as exc:
            log.exception("booth failed unexpectedly in %s; the service will restart", method.name)
            self.fatal = exc
            self._stop.set()
            job.error = InternalError("Terjadi kesalahan. Layanan dimulai ulang; mohon tunggu",
                                      "Unexpected failure; the ledger service restarts", method=method.name)
        finally:
            job.done.set()
        self._update_status()

    # --- one client
    def _serve_client(self, conn: socket.socket) -> None:
        try:
            try:
                uid = peer_uid(conn)
            except OSError:
                return
            if uid not in self.allowed_uids:
                log.warning("refused a connection from uid %d (allowed: %s)", uid,
                            ",".join(map(str, sorted(self.allowed_uids))))
                err = PeerRefused("Akses ditolak", f"Access refused: uid {uid} may not use the booth", uid=uid)
                self._send_quietly(conn, {"id": None, "error": err.to_json()})
                return
            while not self._stop.is_set():
                holding_large = False

                def before_body(length: int) -> None:
                    nonlocal holding_large
                    if length > SMALL_FRAME:
                        if not self._large_frame.acquire(timeout=self.frame_timeout):
                            raise ServerBusy("Layanan sibuk", "Another large request is being received")
                        holding_large = True

                try:
                    try:
                        body = read_frame(conn, self.max_frame, timeout=self.frame_timeout,
                                          before_body=before_body)
                    except (FrameTooLarge, ServerBusy) as exc:
                        # the body is unread: answer and hang up, the stream cannot be resynchronised
                        self._send_quietly(conn, {"id": None, "error": exc.to_json()})
                        return
                    except ConnectionClosed as exc:
                        if exc.mid_frame:
                            log.info("a client hung up in the middle of a frame")
                        return
                    except (socket.timeout, OSError):
                        log.info("a client connection failed or a frame did not arrive in time; hung up")
                        return
                    response = self.handle_frame(body)
                    del body
                finally:
                    if holding_large:
                        self._large_frame.release()
                if not self._send_quietly(conn, response):
                    return
        finally:
            with self._clients_lock:
                self._clients.discard(conn)
                self._threads.discard(threading.current_thread())
            conn.close()

    def _send_quietly(self, conn: socket.socket, message: dict) -> bool:
        try:
            send_frame(conn, message, timeout=self.frame_timeout)
            return True
        except (OSError, socket.timeout):
            return False

    def _accept_loop(self, tick: float) -> None:
        self.listener.settimeout(tick)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError as exc:
                if self._stop.is_set():
                    return
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    time.sleep(tick)  # out of descriptors: let clients finish, keep serving
                    continue
                if exc.errno in (errno.EINTR, errno.ECONNABORTED, errno.EAGAIN):
                    continue
                log.exception("the listening socket failed; the service will restart")
                self.fatal = exc
                self._stop.set()
                return
            conn.setblocking(True)
            with self._clients_lock:
                if len(self._clients) >= self.max_clients:
                    busy = ServerBusy("Terlalu banyak sambungan", "Too many connections")
                    self._send_quietly(conn, {"id": None, "error": busy.to_json()})
                    conn.close()
                    continue
                self._clients.add(conn)
                thread = threading.Thread(target=self._serve_client, args=(conn,), daemon=True,
                                          name="booth-api-client")
                self._threads.add(thread)
            thread.start()

    # --- the booth thread's loop
    _running = False

    def serve_forever(self) -> None:
        """Run requests until :meth:`stop`; feed the watchdog between them.  Call it in the
        thread that opened the booth."""
        tick = 0.5 if self.watchdog is None else max(0.05, min(0.5, self.watchdog / 4))
        self._running = True
        acceptor = threading.Thread(target=self._accept_loop, args=(tick,), daemon=True, name="booth-api-accept")
        acceptor.start()
        self._update_status(ready=True)
        last_ping = 0.0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if self.watchdog is not None and now - last_ping >= self.watchdog:
                    self.notifier.watchdog()
                    last_ping = now
                try:
                    job = self._jobs.get(timeout=tick)
                except queue.Empty:
                    continue
                self._execute(job)
        finally:
            self._running = False
            self._shutdown(acceptor)

    def stop(self) -> None:
        self._stop.set()

    def _shutdown(self, acceptor: threading.Thread) -> None:
        self._stop.set()
        self.notifier.stopping("Berhenti / stopping")
        acceptor.join(timeout=5)
        with self._clients_lock:
            clients, threads = list(self._clients), list(self._threads)
        for conn in clients:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        while True:  # requests that arrived too late are told to come back
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            job.error = _restarting()
            job.done.set()
        for thread in threads:
            thread.join(timeout=self.frame_timeout)
        self.service.close()
        self.listener.close()

    def _update_status(self, ready: bool = False) -> None:
        try:
            st = self.service.status()
            cast = st["counts"]["ballots_cast"]
            words_id, words_en = st["polls_words"]
            text = (f"{words_id}; {cast} suara tercatat / {words_en}; {cast} ballots recorded"
                    + ("; DISEGEL / packed" if st["sealed"] else ""))
        except Exception:  # status must never take the service down
            text = "Siap / Ready"
        if ready:
            self.notifier.ready(text)
        elif text != self._last_status:
            self.notifier.status(text)
        self._last_status = text


def _restarting() -> InternalError:
    return InternalError("Layanan sedang dimulai ulang. Mohon tunggu", "The ledger service is restarting")


# --- methods the server adapts (the client has the other half in booth.api_client)
def _serve_load_election(server: LedgerServer, package_zip: bytes):
    # The UI reads the USB stick; the ledger only ever opens this private copy.
    with tempfile.TemporaryDirectory(prefix="booth-package-") as tmp:
        path = Path(tmp) / "package.zip"
        path.write_bytes(package_zip)
        return server.service.load_election(str(path))


def _serve_export(server: LedgerServer, token: str, file_name: str) -> dict:
    exports = Path(server.service.state_dir) / "exports"
    exports.mkdir(mode=0o700, exist_ok=True)
    path = Path(server.service.export(token, str(exports / file_name)))
    return {"file": file_name, "bundle": base64.b64encode(path.read_bytes()).decode("ascii")}


def _serve_fake_clock_advance(server: LedgerServer, seconds: int) -> str:
    server.clock.advance(seconds)
    return server.clock.now().isoformat()


def _serve_fake_clock_set(server: LedgerServer, utc: str) -> str:
    try:
        when = dt.datetime.fromisoformat(utc.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_param("fake_clock_set", "utc", "bad_format") from None
    if when.tzinfo is None:
        raise _bad_param("fake_clock_set", "utc", "bad_format")
    server.clock.set(when.astimezone(dt.timezone.utc))
    return server.clock.now().isoformat()


_SPECIAL: dict[str, Callable] = {
    "load_election": _serve_load_election,
    "export": _serve_export,
    "fake_clock_advance": _serve_fake_clock_advance,
    "fake_clock_set": _serve_fake_clock_set,
}


# ------------------------------------------------------------ starting it all
class StartError(Exception):
    """The service cannot start (message for the journal)."""


def open_listener(socket_path: str | None, *, backlog: int = 64) -> tuple[socket.socket, Path | None]:
    """The listening socket: systemd's (socket activation, fd 3) or one bound at ``socket_path``.

    Returns the socket and the path to remove at exit (None when systemd owns it).
    """
    fds = listen_fds()
    if fds:
        if len(fds) != 1:
            raise StartError(f"expected one socket from systemd, got {len(fds)}")
        sock = socket.socket(fileno=fds[0])
        os.set_inheritable(sock.fileno(), False)
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            raise StartError("the socket systemd passed is not a Unix stream socket")
        return sock, None
    if not socket_path:
        raise StartError("no --socket given and not socket-activated")
    path = Path(socket_path)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise StartError(f"{path} exists and is not a socket; refusing to replace it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # stale: left by a server that was killed
        else:
            raise StartError(f"another ledger service is listening on {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    old = os.umask(0o117)  # socket file 0660: the owner and the group (the kiosk's) may connect
    try:
        sock.bind(str(path))
    finally:
        os.umask(old)
    sock.listen(backlog)
    return sock, path


def resolve_uids(uids: list[int] | None, users: list[str] | None) -> set[int]:
    allowed = set(uids or [])
    for name in users or []:
        try:
            allowed.add(pwd.getpwnam(name).pw_uid)
        except KeyError:
            raise StartError(f"user {name!r} does not exist (install systemd/booth.conf with systemd-sysusers)") from None
    if not allowed:
        raise StartError("no client is allowed: give --allow-user or --allow-uid")
    return allowed


def open_service(state_dir: Path, *, init: bool, clock):
    """Open the booth on ``state_dir``; with ``init``, provision a new device if the directory is empty."""
    from booth.ledger.ledger import LedgerMissing
    from booth.service import BoothService

    state_dir = Path(state_dir)
    try:
        return BoothService.open(state_dir, clock=clock)
    except LedgerMissing:
        if not init:
            raise StartError(f"no ledger in {state_dir}: run `booth device init {state_dir}` "
                             f"or start with --init") from None
    if state_dir.exists() and any(state_dir.iterdir()):
        # Never create a new device key beside the remains of an old ledger.
        raise StartError(f"{state_dir} is not empty but holds no ledger; refusing to provision over it")
    log.warning("provisioning a new device in %s (first start)", state_dir)
    return BoothService.provision(state_dir, clock=clock)


def parse_fake_clock(text: str):
    from booth.ledger.clock import FakeClock

    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise StartError("--fake-clock needs a time with a UTC offset, e.g. 2025-11-16T00:00:00+00:00")
    # Each start is its own "boot": the fake monotonic clock starts afresh, so waits
    # measured across a restart must use wall time, as after a real reboot.
    return FakeClock(when.astimezone(dt.timezone.utc), boot=f"fake-{os.getpid()}-{time.monotonic_ns()}")


def run_ledger(state_dir: str, socket_path: str | None, *, allow_uids: list[int] | None = None,
               allow_users: list[str] | None = None, init: bool = False, fake_clock: str | None = None,
               frame_timeout: float = 10.0, max_clients: int = 8) -> int:
    """``booth service ledger``: serve the booth until SIGTERM; the exit code for systemd."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    notifier = Notifier.from_environment()
    bound: Path | None = None
    try:
        allowed = resolve_uids(allow_uids, allow_users)
        clock = parse_fake_clock(fake_clock) if fake_clock else None
        notifier.status("Membuka buku besar / opening the ledger")
        listener, bound = open_listener(socket_path)
        service = open_service(Path(state_dir), init=init, clock=clock)
    except (StartError, OSError, ValueError) as exc:
        print(f"booth service ledger: {exc}", file=sys.stderr)
        notifier.status(f"Gagal mulai / failed to start: {exc}")
        if bound is not None:
            bound.unlink(missing_ok=True)
        return 1
    methods = {**METHODS, **FAKE_CLOCK_METHODS} if clock is not None else METHODS
    if clock is not None:
        log.warning("FAKE CLOCK at %s: for tests and the simulator only", clock.now().isoformat())
    server = LedgerServer(service, listener, allowed_uids=allowed, notifier=notifier,
                          watchdog=watchdog_interval(), methods=methods, clock=clock or service.clock,
                          frame_timeout=frame_timeout, max_clients=max_clients)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: server.stop())
    log.info("serving %s to uid %s", socket_path if bound else "the socket from systemd",
             ",".join(map(str, sorted(allowed))))
    try:
        server.serve_forever()
    finally:
        if bound is not None:
            bound.unlink(missing_ok=True)
        notifier.close()
    return EXIT_INTERNAL_ERROR if server.fatal is not None else 0
