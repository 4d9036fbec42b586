"""The ledger service's socket API (moved): now the package :mod:`booth.api`.

The wire format is :mod:`booth.api.wire`, the method table and its checks
:mod:`booth.api.schema`, the server :mod:`booth.api.server`, starting it
:mod:`booth.api.start`.  Every public name stays importable from here.
"""

from __future__ import annotations

from booth.api.schema import (
    ALL_METHODS,
    COMPANION,
    ERROR,
    EXPORT_NAME,
    FAKE_CLOCK_METHODS,
    LABEL_KEY_MAX,
    LABEL_VALUE_MAX,
    MAYBE_TOKEN,
    METHODS,
    NOT_SERVED,
    NOT_SERVED_PARAMS,
    PACKAGE_BYTES,
    PHOTO_BYTES,
    PIN,
    PROBLEM_WORDS,
    RELEASE,
    TOKEN,
    VOTER,
    Method,
    Param,
    bad_param,
    blob,
    check_params,
    check_value,
    encode_result,
    integer,
    labels,
    largest_frame,
    text,
)
from booth.api.server import LedgerServer, peer_uid
from booth.api.start import (
    EXIT_INTERNAL_ERROR,
    StartError,
    open_listener,
    open_service,
    parse_fake_clock,
    resolve_uids,
    run_ledger,
)
from booth.api.wire import (
    HEADER,
    MAX_ID,
    PROTOCOL_ERRORS,
    RESPONSE_LIMIT,
    SMALL_FRAME,
    BadFrame,
    BadParams,
    ConnectionClosed,
    FrameTooLarge,
    InternalError,
    KiB,
    LedgerUnavailable,
    MiB,
    PeerRefused,
    ProtocolError,
    Request,
    ServerBusy,
    UnknownMethod,
    base64_size,
    decode_request,
    encode_frame,
    read_frame,
    recv_exact,
    send_frame,
    shown_name,
)

__all__ = [
    "ALL_METHODS", "COMPANION", "ERROR", "EXIT_INTERNAL_ERROR", "EXPORT_NAME", "FAKE_CLOCK_METHODS", "HEADER",
    "LABEL_KEY_MAX", "LABEL_VALUE_MAX", "MAX_ID", "MAYBE_TOKEN", "METHODS", "NOT_SERVED", "NOT_SERVED_PARAMS",
    "PACKAGE_BYTES", "PHOTO_BYTES", "PIN", "PROBLEM_WORDS", "PROTOCOL_ERRORS", "RELEASE", "RESPONSE_LIMIT",
    "SMALL_FRAME", "TOKEN", "VOTER", "BadFrame", "BadParams", "ConnectionClosed", "FrameTooLarge",
    "InternalError", "KiB", "LedgerServer", "LedgerUnavailable", "Method", "MiB", "Param", "PeerRefused",
    "ProtocolError", "Request", "ServerBusy", "StartError", "UnknownMethod", "bad_param", "base64_size", "blob",
    "check_params", "check_value", "decode_request", "encode_frame", "encode_result", "integer", "labels",
    "largest_frame", "open_listener", "open_service", "parse_fake_clock", "peer_uid", "read_frame",
    "recv_exact", "resolve_uids", "run_ledger", "send_frame", "shown_name", "text",
]
