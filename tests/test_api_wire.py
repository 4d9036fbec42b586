"""The ledger socket as an attacker on the device meets it: every frame gets its documented answer.

A fuzzer that sent the ledger service 30,000 malformed frames found that about
1% of them — a method or parameter name holding a JSON-escaped lone surrogate
(``{"method": "\\ud800"}``) — killed the thread serving that client with a
``UnicodeEncodeError`` instead of the documented error answer.  These tests
talk to a real ``LedgerServer`` on a Unix socket in a temporary directory,
with a stand-in booth that answers every call the schema lets through, and
check that every frame, whatever its names and values, is answered on the
same connection with a result or one of the documented errors.
(``tests/test_api_protocol.py`` holds the kiosk's typed view of the booth to
the socket's method table.)
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth.api.client import BoothClient
from booth.api.schema import METHODS
from booth.api.server import LedgerServer
from booth.api.wire import HEADER, BadParams, UnknownMethod, encode_frame, shown_name

# The codes of docs/appliance.md's "Errors of the socket layer" a request can earn before the booth sees it.
SOCKET_ERRORS = {"bad_frame", "frame_too_large", "unknown_method", "bad_params"}


class StandInBooth:
    """Answers every call the schema lets through with a result of the table's kind."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.calls: list[str] = []

    def status(self) -> dict:
        return {"counts": {"ballots_cast": 0}, "polls_words": ["Siap", "Ready"], "sealed": False}

    def export(self, token: str, out_path: str) -> str:
        Path(out_path).write_bytes(b"PK\x05\x06" + bytes(18))
        return out_path

    def close(self) -> None:
        pass

    def __getattr__(self, name: str):
        method = METHODS[name]
        answer = {"bytes": b"", "none": None, "json": {}}[method.result]

        def call(*args, **kwargs):
            self.calls.append(name)
            return answer

        return call


@pytest.fixture(scope="module")
def served():
    """A LedgerServer on a real socket, serving the stand-in booth; the thread failures it caused."""
    directory = Path(tempfile.mkdtemp(prefix="booth-wire-"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(directory / "api.sock"))
    listener.listen(8)
    server = LedgerServer(StandInBooth(directory), listener, allowed_uids={os.getuid()}, frame_timeout=5.0)
    failures: list[threading.ExceptHookArgs] = []
    previous_hook = threading.excepthook
    threading.excepthook = failures.append  # a client thread that dies lands here, not silently in a log
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield directory / "api.sock", server, failures
    finally:
        server.stop()
        thread.join(timeout=10)
        threading.excepthook = previous_hook
        for leftover in directory.iterdir():
            if leftover.is_dir():
                for f in leftover.iterdir():
                    f.unlink()
                leftover.rmdir()
            else:
                leftover.unlink()
        directory.rmdir()


def connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(path))
    sock.settimeout(10)
    return sock


def exchange(sock: socket.socket, body: bytes) -> dict:
    """Send one frame body, read the answer; ConnectionError if the server hung up instead."""
    sock.sendall(HEADER.pack(len(body)) + body)
    data = b""
    while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack(data[: HEADER.size])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server hung up instead of answering")
        data += chunk
    return json.loads(data[HEADER.size :].decode("utf-8"))


def as_sent(request: dict) -> bytes:
    # ensure_ascii: a lone surrogate travels as its JSON escape, as a hostile client would write it
    return json.dumps(request, ensure_ascii=True).encode("ascii")


def still_served(sock: socket.socket) -> None:
    answer = exchange(sock, as_sent({"id": 99, "method": "status"}))
    assert answer["id"] == 99 and "result" in answer


# -------------------------------------------------- the frames the fuzzer found
SURROGATE_FRAMES = [
    # (request, code, details the answer names)
    ({"id": 1, "method": "\ud800"}, "unknown_method", {"method": "\\ud800"}),
    ({"id": 2, "method": "open\udfff_polls", "params": {}}, "unknown_method", {"method": "open\\udfff_polls"}),
    (
        {"id": 3, "method": "cast", "params": {"release_id": "R0001", "selection": "1", "\ud800": 1}},
        "bad_params",
        {"param": "\\ud800", "problem": "unexpected"},
    ),
    (
        {"id": 4, "method": "status", "params": {"\udbff\udbff": "x"}},
        "bad_params",
        {"param": "\\udbff\\udbff", "problem": "unexpected"},
    ),
    ({"id": 5, "method": "status", "\ud800": True}, "bad_frame", {}),
    (
        {"id": 6, "method": "record_custody", "params": {"stage": "\ud800"}},
        "bad_params",
        {"param": "stage", "problem": "bad_text"},
    ),
    (
        {"id": 7, "method": "record_self_test", "params": {"token": "t", "results": {"\ud800": "ok"}}},
        "bad_params",
        {"param": "results", "problem": "bad_text"},
    ),
]


@pytest.mark.parametrize(
    "request_, code, details", SURROGATE_FRAMES, ids=[f"{r['id']}-{c}" for r, c, _ in SURROGATE_FRAMES]
)
def test_a_name_holding_a_lone_surrogate_gets_the_documented_error_and_the_connection_stays(
    served, request_, code, details
):
    path, _, failures = served
    failures.clear()
    sock = connect(path)
    try:
        answer = exchange(sock, as_sent(request_))
        assert answer["error"]["code"] == code, answer
        assert answer["id"] == request_["id"]
        for key, value in details.items():
            assert answer["error"]["details"][key] == value
        assert answer["error"]["message_id"] and answer["error"]["message_en"]
        still_served(sock)  # the same connection answers the next request
    finally:
        sock.close()
    assert failures == []


def test_the_client_gets_the_refusal_for_a_surrogate_it_sent(served):
    path, _, failures = served
    failures.clear()
    client = BoothClient(path)
    try:
        with pytest.raises(UnknownMethod) as refused:
            client.call("\ud800")
        assert refused.value.details["method"] == "\\ud800"
        with pytest.raises(BadParams) as refused:
            client.record_custody("\udfff")
        assert (refused.value.details["param"], refused.value.details["problem"]) == ("stage", "bad_text")
        assert client.status()["sealed"] is False
    finally:
        client.close()
    assert failures == []


# ------------------------------------------------------ every frame, fuzzed
def _with_surrogates(alphabet: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.text(st.one_of(alphabet, st.integers(0xD800, 0xDFFF).map(chr)), max_size=12)


NAMES = _with_surrogates(st.characters())
ALL_PARAM_NAMES = sorted({p.name for m in METHODS.values() for p in m.params})
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-2, 2**54)
    | st.floats(allow_nan=False, allow_infinity=False)
    | NAMES
    | st.sampled_from(["R0001", "DPT-0001", "t", "", "AAAA", "received"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def requests(draw) -> tuple[dict, bool]:
    """A request, and whether a top-level field was added to (or written over) it."""
    method = draw(st.sampled_from(sorted(METHODS)) | NAMES)
    known = [p.name for p in METHODS[method].params] if method in METHODS else []
    names = draw(st.lists(st.sampled_from(known + ALL_PARAM_NAMES) | NAMES, max_size=4, unique=True))
    request: dict = {
        "id": draw(st.integers(0, 2**53)),
        "method": method,
        "params": {name: draw(VALUES) for name in names},
    }
    tampered = draw(st.booleans())
    if tampered:
        request[draw(st.sampled_from(["id", "method", "params"]) | NAMES)] = draw(VALUES)
    return request, tampered


def expected_refusal(request: dict) -> tuple[str, dict] | None:
    """What the table says of an unknown name (as the server decoded it): code and details."""
    method, params = request["method"], request["params"]
    if not 0 < len(method) <= 64:
        return None
    if method not in METHODS:
        return "unknown_method", {"method": shown_name(method)}
    known = {p.name for p in METHODS[method].params}
    unknown = next((name for name in params if name not in known), None)
    if unknown is None:
        return None
    return "bad_params", {"param": shown_name(unknown), "problem": "unexpected"}


@settings(
    max_examples=int(os.environ.get("BOOTH_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(drawn=requests(), garbage=st.binary(max_size=64), raw=st.booleans())
def test_every_frame_is_answered_with_a_result_or_a_documented_error(served, drawn, garbage, raw):
    path, _, failures = served
    failures.clear()
    request, tampered = drawn
    body = garbage if raw else as_sent(request)
    sock = connect(path)
    try:
        answer = exchange(sock, body)
        assert set(answer) in ({"id", "result"}, {"id", "error"}), answer
        encode_frame(answer)  # what came back can be sent on again: it is text
        if "error" in answer:
            assert answer["error"]["code"] in SOCKET_ERRORS, answer
            assert answer["error"]["message_id"] and answer["error"]["message_en"]
        expected = None if raw or tampered else expected_refusal(json.loads(body))
        if expected is not None:
            code, details = expected
            assert answer["error"]["code"] == code, answer
            assert {k: answer["error"]["details"][k] for k in details} == details
        if "error" not in answer or answer["error"]["code"] != "frame_too_large":
            still_served(sock)
    finally:
        sock.close()
    assert failures == []


def test_the_examples_in_the_wire_format_and_the_schema_hold():
    import doctest

    from booth.api import schema, wire

    for module in (wire, schema):
        assert doctest.testmod(module).failed == 0, module.__name__
