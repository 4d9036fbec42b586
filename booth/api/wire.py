"""The ledger socket's wire format: frames, requests, answers and the errors of the protocol.

**Frame.**  Each message is a 4-byte big-endian length followed by that many
bytes of UTF-8 JSON.  A request frame longer than the limit of its method is
refused (:data:`SMALL_FRAME` for most methods; photos and election packages
have their own, see ``booth.api.schema.METHODS``); a length above every limit
is refused without reading the body, and the connection is closed.  A frame
must arrive whole within ``frame_timeout`` seconds once its first byte has come.

**Request / response.**  One request ``{"id": n, "method": name, "params":
{...}}`` gets one response ``{"id": n, "result": ...}`` or ``{"id": n,
"error": {"code": ..., "message_id": ..., "message_en": ..., "details":
{...}}}`` (``booth.errors.BoothError.to_json``).  ``id`` is an integer the
client chooses (0 to 2**53); it is ``null`` in the answer to a frame whose id
could not be read.  Bytes travel as base64 strings (standard alphabet,
padded).

A name the server did not know (a method, a parameter, a top-level field) is
quoted back in its answer through :func:`shown_name`: at most 64 characters,
anything that is not text (a JSON-escaped lone surrogate such as ``"\\ud800"``)
written as its escape, so every answer is UTF-8 and reaches the client.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from booth import strict_json
from booth.errors import BoothError

HEADER = struct.Struct(">I")
KiB, MiB = 1024, 1024 * 1024
#: Frame limit of every method without bytes parameters.
SMALL_FRAME = 64 * KiB
#: Largest response a client reads (an export bundle travels in one).
RESPONSE_LIMIT = 128 * MiB
#: ``id`` values a request may carry: integers a JSON double holds exactly.
MAX_ID = 2**53
#: How much of a name the server quotes back.
NAME_SHOWN = 64


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

    Text that is not UTF-8 (a lone surrogate) travels as its JSON escape, so a
    frame can always be written; the other side's checks then refuse it.

    >>> encode_frame({"m": "\\ud800"})[HEADER.size:]
    b'{"m": "\\\\ud800"}'
    """
    body = json.dumps(message, ensure_ascii=False, allow_nan=False)
    try:
        data = body.encode("utf-8")
    except UnicodeEncodeError:
        data = json.dumps(message, ensure_ascii=True, allow_nan=False).encode("ascii")
    return HEADER.pack(len(data)) + data


def shown_name(name: object, limit: int = NAME_SHOWN) -> str:
    """A name from a request, fit to quote in an answer: ``limit`` characters, escapes for non-text.

    >>> shown_name("open_the_ballot_box"), shown_name("\\ud800x")
    ('open_the_ballot_box', '\\\\ud800x')
    """
    text = str(name)[:limit]
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
                raise TimeoutError("frame not complete in time")
            sock.settimeout(left)
        chunk = sock.recv(min(n - got, 1 * MiB))
        if not chunk:
            raise ConnectionClosed(mid_frame=True)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(
    sock: socket.socket, limit: int, *, timeout: float | None, before_body: Callable[[int], None] | None = None
) -> bytes:
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
        raise FrameTooLarge(
            "Permintaan terlalu besar",
            f"Frame of {length} bytes is over the limit of {limit}",
            length=length,
            limit=limit,
        )
    if before_body is not None:
        before_body(length)
    return recv_exact(sock, length, deadline)


def send_frame(sock: socket.socket, message: Any, timeout: float | None = None) -> None:
    """Write one frame (see :func:`encode_frame`) within ``timeout`` seconds."""
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


PROTOCOL_ERRORS = (
    ProtocolError,
    BadFrame,
    FrameTooLarge,
    UnknownMethod,
    BadParams,
    PeerRefused,
    ServerBusy,
    InternalError,
    LedgerUnavailable,
)


# --------------------------------------------------------------- the request
@dataclass(frozen=True)
class Request:
    """One request as read from a frame (its parameters not yet checked against the schema)."""

    id: int
    method: str
    params: dict


#: How each kind of ``strict_json.JsonProblem`` is named in the answer (the decoder's own words).
_MALFORMED = {
    "not_utf8": "UnicodeDecodeError",
    "syntax": "JSONDecodeError",
    "duplicate_key": "ValueError",
    "constant": "ValueError",
    "too_deep": "RecursionError",
    "value": "ValueError",
}


def decode_request(body: bytes) -> Request:
    """Parse one frame body into a Request, or raise BadFrame (with ``details['id']`` if it was read)."""
    try:
        obj = strict_json.loads(body)
    except strict_json.JsonProblem as exc:
        raise BadFrame("Permintaan rusak (bukan JSON)", f"Malformed request: {_MALFORMED[exc.kind]}") from None
    if not isinstance(obj, dict):
        raise BadFrame("Permintaan rusak", "A request must be a JSON object")
    request_id = obj.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int) or not 0 <= request_id <= MAX_ID:
        raise BadFrame("Permintaan tanpa nomor", "A request needs an integer id (0 to 2**53)")
    extra = set(obj) - {"id", "method", "params"}
    if extra:
        shown = ", ".join(shown_name(name, 200) for name in sorted(extra)[:5])
        raise BadFrame("Permintaan rusak", "Unknown request fields: " + shown[:200], id=request_id)
    method = obj.get("method")
    if not isinstance(method, str) or not method or len(method) > 64:
        raise BadFrame("Permintaan tanpa nama perintah", "A request needs a method name", id=request_id)
    params = obj.get("params", {})
    if not isinstance(params, dict):
        raise BadFrame("Parameter harus berupa objek", "params must be an object", id=request_id)
    return Request(request_id, method, params)
