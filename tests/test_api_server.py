"""The ledger service's socket API, as the kiosk and an attacker on the device would meet it.

Each test starts a real ``booth service ledger`` process in a temporary
directory (with ``--fake-clock`` where the day needs time to pass) and talks to
it through ``booth.api_client.BoothClient`` or raw frames.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booth import api_server
from booth.api_client import BoothClient, RemoteError, error_from_json
from booth.api_server import (
    FAKE_CLOCK_METHODS,
    HEADER,
    METHODS,
    NOT_SERVED,
    NOT_SERVED_PARAMS,
    LedgerServer,
    LedgerUnavailable,
    PeerRefused,
)
from booth.demo_election import make_demo_package
from booth.election_package import load_package
from booth.errors import AlreadyVoted, BadInput, NotAllowed, TooSoon
from booth.service import BoothService
from booth.systemd_notify import Notifier, listen_fds, watchdog_interval

# The booth's clock in these tests starts two days before the demo election.
DEMO_START = "2025-11-14T00:00:00+00:00"

# Until booth/cli.py registers booth.service_cli, run its handler directly.
_RUNNER = """
import argparse, sys
from booth import service_cli
parser = argparse.ArgumentParser(prog="booth")
service_cli.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


def booth_command() -> list[str]:
    """How to run ``booth service ...`` with this interpreter."""
    import argparse

    from booth.cli import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    if "service" in commands.choices:
        return [sys.executable, "-m", "booth"]
    return [sys.executable, "-c", _RUNNER]


class Ledger:
    """One ``booth service ledger`` process on a state directory."""

    def __init__(
        self,
        workdir: Path,
        *,
        allow_uid: int | None = None,
        fake_clock: str | None = DEMO_START,
        extra: tuple[str, ...] = (),
        env: dict | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.state = self.workdir / "state"
        self.socket = self.workdir / "api.sock"
        self.allow_uid = os.getuid() if allow_uid is None else allow_uid
        self.fake_clock = fake_clock
        self.extra = extra
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = self.workdir / "ledger.log"

    def argv(self) -> list[str]:
        argv = booth_command() + [
            "service",
            "ledger",
            "--state",
            str(self.state),
            "--socket",
            str(self.socket),
            "--allow-uid",
            str(self.allow_uid),
            "--init",
            *self.extra,
        ]
        if self.fake_clock:
            argv += ["--fake-clock", self.fake_clock]
        return argv

    def start(self, *, wait: bool = True, prefix: list[str] | None = None) -> Ledger:
        env = dict(os.environ)
        env.pop("NOTIFY_SOCKET", None)
        env.update(self.env or {})
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen((prefix or []) + self.argv(), stdout=log, stderr=log, env=env)
        if wait:
            self.wait_listening()
        return self

    def wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ledger exited with {self.process.returncode}:\n{self.log.read_text()}")
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(str(self.socket))
                return
            except OSError:
                time.sleep(0.05)
            finally:
                probe.close()
        raise AssertionError("ledger did not listen in time:\n" + self.log.read_text())

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=20)
        assert code == 0 or not self.log.exists(), self.log.read_text()[-3000:]
        return code

    def kill(self) -> None:
        """SIGKILL: a crash or power cut as the ledger sees it."""
        self.process.kill()
        self.process.wait(timeout=10)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self) -> BoothClient:
        return BoothClient(self.socket, timeout=30)


@pytest.fixture
def workdir():
    # Not pytest's tmp_path: its parents are 0700, and one test connects as another user.
    path = Path(tempfile.mkdtemp(prefix="booth-api-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def ledger(workdir):
    server = Ledger(workdir).start()
    yield server
    if server.alive():
        server.kill()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    pkg_dir, keys = make_demo_package(tmp_path_factory.mktemp("pkg"), voters=40)
    return pkg_dir, load_package(pkg_dir)


def utc(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat()


class Day:
    """The companions' steps of the day, through the socket (cf. the in-process day in tests)."""

    def __init__(self, client: BoothClient, pkg_dir: Path, pkg) -> None:
        self.c = client
        self.pkg_dir = pkg_dir
        self.pkg = pkg
        self.ketua = next(x for x in pkg.companions if x.role == "ketua").id
        self.teknisi = next(x for x in pkg.companions if x.role == "teknisi").id
        self.pins = {x.id: "2580" + x.id[-2:] for x in pkg.companions}

    def token(self) -> str:
        return self.c.sign_in(self.ketua, self.pins[self.ketua])

    def set_up_and_open(self) -> None:
        c, e = self.c, self.pkg.election
        c.load_election(str(self.pkg_dir))
        c.record_custody("received", companion_id=self.teknisi, place="Kantor Kecamatan Pagelaran")
        c.record_custody("distributed", companion_id=self.teknisi, place="Jalan ke pekon")
        for companion in self.pkg.companions:
            c.set_first_pin(companion.id, self.pins[companion.id])
        tok = self.token()
        c.record_custody("handed_over", token=tok, place="Balai Pekon")
        c.record_custody("installed", token=tok, place="Balai Pekon", self_test={"printer": "ok", "camera": "ok"})
        c.fake_clock_set(utc(e.opens_at - dt.timedelta(minutes=30)))
        tok = self.token()
        c.zero_report(tok)
        c.zero_report_printed(tok)
        c.fake_clock_set(utc(e.opens_at))
        c.open_polls(self.token())

    def release(self, voter) -> str:
        self.c.fake_clock_advance(60)
        tok = self.token()
        self.c.check_in(tok, voter.ref)
        return self.c.release_ballot(tok, voter.ref)["release"]

    def vote(self, voter, choice: str) -> dict:
        release = self.release(voter)
        slip = self.c.cast(release, choice)
        self.c.slip_printed(release)
        self.c.slip_confirmed(release)  # "Struk sesuai"
        self.c.store_photo(release, b"\xff\xd8\xff" + voter.ref.encode() * 20)
        return slip

    def close_and_count(self) -> dict:
        self.c.fake_clock_set(utc(self.pkg.election.closes_at + dt.timedelta(minutes=1)))
        tok = self.token()
        self.c.close_polls(tok)
        return self.c.count(tok)


def booth_verify(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "booth", "verify", str(path)], capture_output=True, text=True, timeout=120
    )


def raw_connect(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))  # blocking: waits its turn in the listen queue
    s.settimeout(10)
    return s


def raw_call(sock: socket.socket, message) -> dict:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    sock.sendall(HEADER.pack(len(body)) + body)
    return read_response(sock)


def read_response(sock: socket.socket) -> dict:
    header = b""
    while len(header) < 4:
        chunk = sock.recv(4 - len(header))
        if not chunk:
            raise ConnectionError("closed")
        header += chunk
    (length,) = HEADER.unpack(header)
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise ConnectionError("closed")
        body += chunk
    return json.loads(body)


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


# ------------------------------------------------------------------- the day
def test_a_short_election_day_runs_through_the_socket(ledger, demo, workdir):
    pkg_dir, pkg = demo
    client = ledger.client()
    day = Day(client, pkg_dir, pkg)
    assert client.status()["polls"] == "unconfigured"

    day.set_up_and_open()
    assert client.status()["polls"] == "open"
    assert client.voter_screen() == {"screen": "waiting"}

    choices = ["1", "2", "2", "3", "2"]
    for voter, choice in zip(pkg.voters, choices, strict=False):
        slip = day.vote(voter, choice)
        assert slip["selection"] == choice and len(slip["ballot_id"]) == 32

    # the double-vote check: refused, and the companion sees the earlier photo
    tok = day.token()
    with pytest.raises(AlreadyVoted) as refused:
        client.check_in(tok, pkg.voters[0].ref)
    assert refused.value.message_id == "Pemilih ini sudah memilih" and refused.value.details["has_photo"]
    assert client.view_photo(tok, pkg.voters[0].ref).startswith(b"\xff\xd8\xff")
    first = next(c for c in pkg.candidates if c.number == 1)
    assert client.candidate_photo(1) == pkg.photo_of(first)  # bytes travel as base64 and arrive whole

    result = day.close_and_count()
    assert result["tally"] == {"1": 1, "2": 3, "3": 1}
    assert result["reconciliation"]["balanced"]
    tok = day.token()
    client.results_printed(tok)
    bundle = workdir / "usb" / "hasil-tps1.zip"
    bundle.parent.mkdir()
    assert client.export(tok, str(bundle)) == str(bundle)
    client.pack(tok)
    assert client.status()["sealed"]
    client.close()

    assert booth_verify(bundle).returncode == 0
    assert ledger.stop() == 0
    checked = booth_verify(ledger.state)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_refusal_arrives_as_the_same_exception_with_the_same_words(ledger, demo):
    pkg_dir, pkg = demo
    client = ledger.client()
    Day(client, pkg_dir, pkg).set_up_and_open()
    with pytest.raises(NotAllowed) as no_release:
        client.cast("R0001", "1")
    assert no_release.value.message_id == "Tidak ada surat suara yang dibuka untuk ini"
    assert no_release.value.message_en == "No ballot is released for this"
    with pytest.raises(BadInput):
        client.search_voters(client.sign_in(pkg.companions[0].id, "2580" + pkg.companions[0].id[-2:]), "   ")
    unknown = error_from_json({"code": "from_the_future", "message_id": "x", "message_en": "y", "details": {}})
    assert isinstance(unknown, RemoteError) and unknown.code == "from_the_future"


def test_casts_closer_than_the_minimum_interval_wait(ledger, demo):
    pkg_dir, pkg = demo
    client = ledger.client()
    day = Day(client, pkg_dir, pkg)
    day.set_up_and_open()
    day.vote(pkg.voters[0], "1")
    # the next voter is released and casts without the (fake) clock moving at all
    tok = day.token()
    client.check_in(tok, pkg.voters[1].ref)
    release = client.release_ballot(tok, pkg.voters[1].ref)["release"]
    with pytest.raises(TooSoon) as wait:
        client.cast(release, "3")
    assert wait.value.message_id.startswith("Mohon tunggu") and wait.value.details["wait_seconds"] > 0
    client.fake_clock_advance(10)
    assert client.cast(release, "3")["selection"] == "3"


# ------------------------------------------------------------------ the schema
def test_the_table_serves_every_public_method_of_the_booth_with_its_parameters():
    public = {
        name for name, member in inspect.getmembers(BoothService) if not name.startswith("_") and callable(member)
    }
    assert public - set(METHODS) - set(NOT_SERVED) == set(), "a BoothService method is neither served nor excluded"
    assert set(METHODS) - public == set(), "the table serves a method BoothService does not have"
    assert not set(FAKE_CLOCK_METHODS) & public
    for method in METHODS.values():
        if method.special:
            continue
        signature = inspect.signature(getattr(BoothService, method.name))
        params = [
            p
            for p in signature.parameters.values()
            if p.name != "self" and (method.name, p.name) not in NOT_SERVED_PARAMS
        ]
        assert [p.name for p in params] == [p.name for p in method.params], method.name
        for theirs, ours in zip(params, method.params, strict=True):
            assert (theirs.kind == inspect.Parameter.KEYWORD_ONLY) == ours.keyword_only, (method.name, ours.name)
            assert (theirs.default is inspect.Parameter.empty) == ours.required, (method.name, ours.name)


def test_the_client_has_the_same_methods_as_the_booth():
    for name, method in METHODS.items():
        assert callable(getattr(BoothClient, name)), name
        if not method.special:
            client_params = list(inspect.signature(getattr(BoothClient, name)).parameters)[1:]
            assert client_params == [p.name for p in method.params]
    assert list(inspect.signature(BoothClient.load_election).parameters) == ["self", "package_path"]
    assert list(inspect.signature(BoothClient.export).parameters) == ["self", "token", "out_path"]


def test_the_appliance_document_lists_every_method():
    doc = (Path(__file__).resolve().parent.parent / "docs" / "appliance.md").read_text()
    for name in METHODS:
        assert f"| `{name}` |" in doc, f"docs/appliance.md does not list {name}"
    for name in FAKE_CLOCK_METHODS:
        assert f"`{name}(" in doc


BIG = "x" * 70_000

# (request, expected code, expected details) — each refused before the booth sees it.
SCHEMA_VIOLATIONS = [
    ({"id": 1, "method": "open_the_ballot_box"}, "unknown_method", {}),
    ({"id": 3, "method": "pin_committee_key", "params": {}}, "unknown_method", {}),
    (
        {"id": 4, "method": "cast", "params": {"release_id": "R0001"}},
        "bad_params",
        {"param": "selection", "problem": "missing"},
    ),
    (
        {"id": 5, "method": "cast", "params": {"release_id": "R0001", "selection": "1", "again": True}},
        "bad_params",
        {"param": "again", "problem": "unexpected"},
    ),
    (
        {"id": 6, "method": "cast", "params": {"release_id": "R0001", "selection": 1}},
        "bad_params",
        {"param": "selection", "problem": "wrong_type"},
    ),
    (
        {"id": 7, "method": "cast", "params": {"release_id": "R0001", "selection": None}},
        "bad_params",
        {"param": "selection", "problem": "wrong_type"},
    ),
    (
        {"id": 8, "method": "cast", "params": {"release_id": "R0001", "selection": "1" * 17}},
        "bad_params",
        {"param": "selection", "problem": "too_long"},
    ),
    (
        {"id": 9, "method": "cast", "params": {"release_id": "../../etc", "selection": "1"}},
        "bad_params",
        {"param": "release_id", "problem": "bad_format"},
    ),
    (
        {"id": 10, "method": "check_in", "params": {"token": "t", "voter_ref": "DPT-0001\x00"}},
        "bad_params",
        {"param": "voter_ref", "problem": "bad_text"},
    ),
    (
        {"id": 33, "method": "check_in", "params": {"token": "t", "voter_ref": "DPT 0001; DROP"}},
        "bad_params",
        {"param": "voter_ref", "problem": "bad_format"},
    ),
    (
        {"id": 11, "method": "record_custody", "params": {"stage": "received", "note": "a\x1b[2Jb"}},
        "bad_params",
        {"param": "note", "problem": "bad_text"},
    ),
    (
        {"id": 12, "method": "record_custody", "params": {"stage": "received", "note": "\ud800"}},
        "bad_params",
        {"param": "note", "problem": "bad_text"},
    ),
    (
        {"id": 13, "method": "record_custody", "params": {"stage": "installed", "self_test": {"printer": 1}}},
        "bad_params",
        {"param": "self_test", "problem": "wrong_type"},
    ),
    (
        {"id": 14, "method": "record_custody", "params": {"stage": "installed", "self_test": ["ok"]}},
        "bad_params",
        {"param": "self_test", "problem": "wrong_type"},
    ),
    (
        {"id": 15, "method": "search_voters", "params": {"token": "t", "query": "siti", "limit": True}},
        "bad_params",
        {"param": "limit", "problem": "wrong_type"},
    ),
    (
        {"id": 16, "method": "search_voters", "params": {"token": "t", "query": "siti", "limit": 10**6}},
        "bad_params",
        {"param": "limit", "problem": "out_of_range"},
    ),
    (
        {"id": 17, "method": "search_voters", "params": {"token": "t", "query": "siti", "limit": 2.5}},
        "bad_params",
        {"param": "limit", "problem": "wrong_type"},
    ),
    (
        {"id": 18, "method": "store_photo", "params": {"release_id": "R0001", "jpeg": "not base64!"}},
        "bad_params",
        {"param": "jpeg", "problem": "bad_base64"},
    ),
    (
        {"id": 19, "method": "store_photo", "params": {"release_id": "R0001", "jpeg": "/9j=AA"}},
        "bad_params",
        {"param": "jpeg", "problem": "bad_base64"},
    ),
    (
        {"id": 20, "method": "load_election", "params": {"package_path": "/etc/shadow"}},
        "bad_params",
        {"param": "package_path", "problem": "unexpected"},
    ),
    (
        {"id": 21, "method": "load_election", "params": {"package_zip": "", "trusted_committee_key": "AAAA"}},
        "bad_params",
        {"param": "trusted_committee_key", "problem": "unexpected"},
    ),
    (
        {"id": 22, "method": "export", "params": {"token": "t", "file_name": "../ledger.db"}},
        "bad_params",
        {"param": "file_name", "problem": "bad_format"},
    ),
    (
        {"id": 23, "method": "export", "params": {"token": "t", "file_name": "/var/lib/booth/ledger.db"}},
        "bad_params",
        {"param": "file_name", "problem": "bad_format"},
    ),
    ({"id": 24, "method": "status", "params": ["please"]}, "bad_frame", {}),
    ({"id": 25, "method": "status", "params": {}, "admin": True}, "bad_frame", {}),
    ({"id": 26, "method": 7}, "bad_frame", {}),
    ({"id": 27, "method": "committee_reset", "params": {"reset_file_text": BIG}}, "frame_too_large", {}),
    (
        {
            "id": 28,
            "method": "record_self_test",
            "params": {"token": "t", "results": {f"k{i}": "ok" for i in range(40)}},
        },
        "bad_params",
        {"param": "results", "problem": "too_many_items"},
    ),
    ({"method": "status"}, "bad_frame", {}),
    ({"id": -1, "method": "status"}, "bad_frame", {}),
    ({"id": True, "method": "status"}, "bad_frame", {}),
    ({"id": "1", "method": "status"}, "bad_frame", {}),
    (b'{"id": 29, "method": "status", "method": "pack"}', "bad_frame", {}),
    (b'{"id": 30, "method": "search_voters", "params": {"token": "t", "query": "a", "limit": NaN}}', "bad_frame", {}),
    (b'{"id": 31, "method": "status"', "bad_frame", {}),
    (b"\xff\xfe\x00{}", "bad_frame", {}),
    (b"[" * 30_000 + b"]" * 30_000, "bad_frame", {}),
    (b'{"id": 32, "method": "status", "params": {"x": ' + b"9" * 5000 + b"}}", "bad_frame", {}),
]


def test_every_schema_violation_is_refused_with_a_specific_error_and_changes_nothing(ledger, demo):
    pkg_dir, pkg = demo
    client = ledger.client()
    day = Day(client, pkg_dir, pkg)
    day.set_up_and_open()
    release = day.release(pkg.voters[0])  # a voter is in the booth: a cast would change something
    before = client.status()

    sock = raw_connect(ledger.socket)
    for request, code, details in SCHEMA_VIOLATIONS:
        response = raw_call(sock, request)
        assert "result" not in response, request
        assert response["error"]["code"] == code, (request, response)
        for key, value in details.items():
            assert response["error"]["details"][key] == value, (request, response)
        assert response["error"]["message_id"] and response["error"]["message_en"]
        if (
            isinstance(request, dict)
            and isinstance(request.get("id"), int)
            and request["id"] >= 0
            and not isinstance(request["id"], bool)
            and code != "bad_frame"
        ):
            assert response["id"] == request["id"]
    sock.close()

    after = client.status()
    assert after["log_size"] == before["log_size"]
    assert after["counts"] == before["counts"]
    assert client.voter_screen() == {"screen": "ballot", "release": release}
    # and the voter can still cast
    assert client.cast(release, "2")["selection"] == "2"


class _AnyBooth:
    """Accepts every call (what reaches it has passed the schema)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        return lambda **kwargs: self.calls.append((name, kwargs))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=300) | _json_values.map(lambda v: json.dumps(v).encode()),
    method=st.sampled_from(sorted(METHODS)),
    params=st.dictionaries(
        st.sampled_from(["token", "release_id", "selection", "jpeg", "limit", "query", "self_test", "stage", "x"]),
        _json_values,
        max_size=4,
    ),
)
def test_no_frame_makes_the_server_raise(body, method, params):
    server = LedgerServer(_AnyBooth(), socket.socket(socket.AF_UNIX), allowed_uids={0})
    server._in_booth = lambda m, kwargs: server.service.__getattr__(m.name)(**kwargs)
    try:
        for frame in (body, json.dumps({"id": 1, "method": method, "params": params}).encode()):
            response = server.handle_frame(frame)
            assert set(response) in ({"id", "result"}, {"id", "error"})
            json.dumps(response, allow_nan=False)
        for name, kwargs in server.service.calls:  # whatever got through matches the table
            assert (
                api_server.check_params(
                    METHODS[name],
                    {k: (base64.b64encode(v).decode() if isinstance(v, bytes) else v) for k, v in kwargs.items()},
                )
                == kwargs
            )
    finally:
        server.listener.close()


def test_a_photo_over_the_limit_is_refused_before_it_is_stored(ledger, demo):
    pkg_dir, pkg = demo
    client = ledger.client()
    day = Day(client, pkg_dir, pkg)
    day.set_up_and_open()
    release = day.release(pkg.voters[0])
    client.cast(release, "1")
    client.slip_printed(release)
    client.slip_confirmed(release)  # "Struk sesuai"
    with pytest.raises(api_server.BadParams) as too_big:
        client.store_photo(release, b"\xff\xd8\xff" + b"\0" * api_server.PHOTO_BYTES)
    assert too_big.value.details["problem"] == "too_long"
    assert client.voter_screen()["screen"] == "photo"
    client.store_photo(release, b"\xff\xd8\xff" + b"\0" * (api_server.PHOTO_BYTES - 3))  # the limit itself is fine
    assert client.voter_screen() == {"screen": "waiting"}
    assert client.counts()["photos"] == 1


def test_the_photo_limit_is_the_photo_vaults():
    from booth.ledger.vault import MAX_PHOTO_BYTES

    assert api_server.PHOTO_BYTES == MAX_PHOTO_BYTES


def test_the_fake_clock_exists_only_on_a_test_server(workdir):
    server = Ledger(workdir, fake_clock=None).start()
    try:
        with pytest.raises(api_server.UnknownMethod):
            server.client().fake_clock_advance(3600)
    finally:
        server.kill()


# ------------------------------------------------------------------- who may
def test_a_process_of_another_user_is_refused(workdir):
    # The service allows only uid 4242 (the kiosk's user on some device): this test process is refused.
    server = Ledger(workdir, allow_uid=4242).start()
    try:
        with pytest.raises(PeerRefused) as refused:
            server.client().status()
        assert refused.value.details["uid"] == os.getuid()
        assert "uid" in server.log.read_text()
    finally:
        server.kill()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a client as another user (setuid)")
def test_a_client_running_as_another_uid_is_refused_and_the_kiosk_is_served(ledger):
    ledger.socket.chmod(0o666)  # the file mode lets anyone connect: only the peer check stands in the way
    pid = os.fork()
    if pid == 0:  # the child: become "nobody" and try
        code = 1
        try:
            os.setgid(65534)
            os.setgroups([])
            os.setuid(65534)
            try:
                BoothClient(ledger.socket, timeout=10).status()
                code = 2  # served: wrong
            except PeerRefused as exc:
                code = 0 if exc.details.get("uid") == 65534 else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ledger.client().status()["polls"] == "unconfigured"


# --------------------------------------------------------- bad clients
def test_garbage_oversize_truncated_and_stalled_frames_do_not_kill_the_server(workdir):
    server = Ledger(workdir, extra=("--frame-timeout", "1", "--max-clients", "4")).start()
    try:
        client = server.client()
        before = client.status()

        # an HTTP request: its first four bytes read as a 1.2 GB length -> refused unread, hung up
        s = raw_connect(server.socket)
        s.sendall(b"GET / HTTP/1.1\r\nHost: booth\r\n\r\n")
        answer = read_response(s)
        assert answer["error"]["code"] == "frame_too_large" and answer["id"] is None
        assert closed_by_server(s)

        # random bytes that happen to form a small frame: bad_frame, and the connection stays usable
        s = raw_connect(server.socket)
        assert raw_call(s, os.urandom(200).replace(b"{", b"("))["error"]["code"] == "bad_frame"
        assert raw_call(s, {"id": 1, "method": "status"})["result"]["polls"] == "unconfigured"
        s.close()

        # a client that hangs up in the middle of a frame (header, then half the body)
        s = raw_connect(server.socket)
        s.sendall(HEADER.pack(1000) + b'{"id": 1, "method": "st')
        s.close()
        s = raw_connect(server.socket)
        s.sendall(b"\x00\x00")  # half a header
        s.close()

        # a client that stalls mid-frame is hung up on after --frame-timeout
        s = raw_connect(server.socket)
        s.sendall(HEADER.pack(100) + b"{")
        started = time.monotonic()
        assert closed_by_server(s)
        assert time.monotonic() - started < 5

        # more connections than --max-clients: the extra ones are told the server is busy
        held = [raw_connect(server.socket) for _ in range(4)]
        time.sleep(0.3)
        extra = raw_connect(server.socket)
        assert read_response(extra)["error"]["code"] == "server_busy"
        for s in held + [extra]:
            s.close()
        time.sleep(0.3)

        # an idle client that connects and leaves, a hundred times
        for _ in range(100):
            raw_connect(server.socket).close()

        assert server.alive()
        after = client.status()
        assert after["log_size"] == before["log_size"]
    finally:
        server.kill()


def test_several_clients_are_served_one_request_at_a_time():
    inside, most_inside, lock = 0, 0, threading.Lock()

    class SlowBooth:
        def status(self):
            nonlocal inside, most_inside
            with lock:
                inside += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1
            return {"polls": "open"}

        def close(self):
            pass

    directory = Path(tempfile.mkdtemp(prefix="booth-api-"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(directory / "api.sock"))
    listener.listen(8)
    server = LedgerServer(SlowBooth(), listener, allowed_uids={os.getuid()})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    errors = []

    def kiosk():
        try:
            with BoothClient(directory / "api.sock") as client:
                for _ in range(10):
                    assert client.status() == {"polls": "open"}
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    kiosks = [threading.Thread(target=kiosk) for _ in range(5)]
    for k in kiosks:
        k.start()
    for k in kiosks:
        k.join(timeout=30)
    server.stop()
    thread.join(timeout=10)
    shutil.rmtree(directory, ignore_errors=True)
    assert errors == []
    assert most_inside == 1


# --------------------------------------------------------------- systemd
class FakeSystemd:
    """A notify socket bound by the test, as systemd's /run/systemd/notify."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.messages: list[str] = []

    def receive_until(self, predicate, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except TimeoutError:
                break
            if predicate(self.messages):
                return self.messages
        raise AssertionError(f"systemd did not hear what it waits for; heard {self.messages}")


def test_systemd_hears_ready_status_watchdog_pings_and_stopping(workdir):
    systemd = FakeSystemd(workdir)
    server = Ledger(workdir, env={"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "400000"})
    server.start(wait=False)
    try:
        heard = systemd.receive_until(lambda m: any("READY=1" in x for x in m))
        ready = next(x for x in heard if "READY=1" in x)
        assert "STATUS=Belum ada paket pemilihan" in ready  # words a companion can read
        server.wait_listening()
        started = time.monotonic()
        systemd.receive_until(lambda m: sum(x == "WATCHDOG=1" for x in m) >= 5)
        # every 0.2 s (half of WATCHDOG_USEC): five pings well within 3 s
        assert time.monotonic() - started < 3
        assert server.stop() == 0
        heard = systemd.receive_until(lambda m: any("STOPPING=1" in x for x in m), timeout=5)
    finally:
        if server.alive():
            server.kill()


def test_a_stopped_server_stops_pinging_the_watchdog(workdir):
    systemd = FakeSystemd(workdir)
    server = Ledger(workdir, env={"NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "200000"}).start()
    try:
        systemd.receive_until(lambda m: sum(x == "WATCHDOG=1" for x in m) >= 2)
        server.process.send_signal(signal.SIGSTOP)  # hung: the watchdog must starve
        time.sleep(0.2)
        systemd.messages.clear()
        systemd.sock.settimeout(0.05)
        while True:  # drain what was sent before the stop
            try:
                systemd.sock.recv(4096)
            except TimeoutError:
                break
        systemd.sock.settimeout(1.0)
        with pytest.raises(socket.timeout):
            systemd.sock.recv(4096)
        server.process.send_signal(signal.SIGCONT)
        systemd.receive_until(lambda m: "WATCHDOG=1" in m)
    finally:
        server.kill()


def test_a_request_stuck_inside_the_booth_starves_the_watchdog(workdir):
    class StuckBooth:
        def status(self):
            time.sleep(1.5)
            return {}

        def close(self):
            pass

    systemd = FakeSystemd(workdir)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(workdir / "api.sock"))
    listener.listen(8)
    server = LedgerServer(
        StuckBooth(), listener, allowed_uids={os.getuid()}, notifier=Notifier(str(systemd.path)), watchdog=0.1
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        systemd.receive_until(lambda m: m.count("WATCHDOG=1") >= 3)
        caller = threading.Thread(target=lambda: BoothClient(workdir / "api.sock").status())
        caller.start()
        time.sleep(0.3)  # the request is inside the booth now
        systemd.messages.clear()
        systemd.sock.settimeout(0.05)
        while True:  # forget pings sent before it went in
            try:
                systemd.sock.recv(4096)
            except TimeoutError:
                break
        systemd.sock.settimeout(0.8)
        with pytest.raises(socket.timeout):
            systemd.sock.recv(4096)  # no ping while stuck: systemd would restart the service
        caller.join(timeout=5)
        systemd.receive_until(lambda m: "WATCHDOG=1" in m)  # and pings again once it is through
    finally:
        server.stop()
        thread.join(timeout=10)


def test_notify_speaks_the_sd_notify_protocol_on_path_and_abstract_sockets():
    name = f"booth-test-{os.getpid()}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    abstract.bind("\0" + name)
    abstract.settimeout(2)
    notifier = Notifier("@" + name)
    assert notifier.ready("Siap / Ready")
    assert abstract.recv(4096) == b"READY=1\nSTATUS=Siap / Ready"
    assert notifier.watchdog() and abstract.recv(4096) == b"WATCHDOG=1"
    assert notifier.stopping() and abstract.recv(4096) == b"STOPPING=1"
    abstract.close()
    assert not Notifier(None).ready()
    assert watchdog_interval({"WATCHDOG_USEC": "15000000"}) == 7.5
    assert watchdog_interval({}) is None
    assert listen_fds({"LISTEN_FDS": "1", "LISTEN_PID": str(os.getpid())}, unset=False) == [3]


@pytest.mark.skipif(
    shutil.which("systemd-socket-activate") is None,
    reason="systemd-socket-activate (Debian package systemd) is not installed",
)
def test_the_server_takes_its_socket_from_systemd(workdir):
    server = Ledger(workdir)
    server.start(wait=False, prefix=["systemd-socket-activate", "-l", str(workdir / "api.sock")])
    try:
        server.wait_listening()
        assert server.client().status()["polls"] == "unconfigured"
        assert "serving the socket from systemd" in server.log.read_text()
    finally:
        server.kill()


# ------------------------------------------------------------- crash, restart
def test_a_killed_server_restarts_with_the_day_intact_and_verify_passes(ledger, demo):
    pkg_dir, pkg = demo
    client = ledger.client()
    day = Day(client, pkg_dir, pkg)
    day.set_up_and_open()
    for voter, choice in zip(pkg.voters[:3], "123", strict=False):
        day.vote(voter, choice)
    in_booth = pkg.voters[3]
    day.release(in_booth)  # a voter in the booth when the power goes
    before = client.status()

    ledger.kill()
    with pytest.raises(LedgerUnavailable):
        client.status()  # the kiosk shows "Mohon tunggu"
    ledger.fake_clock = utc(dt.datetime.fromisoformat(before["time"].replace("Z", "+00:00")))
    ledger.start()

    after = client.status()  # the same client reconnects by itself
    assert after["polls"] == "open"
    assert after["counts"]["ballots_cast"] == 3 and after["counts"]["voted"] == 3
    assert after["counts"]["cancelled"] == 1  # the unused release was cancelled, never a lost ballot
    assert client.voter_screen() == {"screen": "waiting"}

    day.vote(in_booth, "2")  # the voter comes back and votes once
    with pytest.raises(AlreadyVoted):
        client.check_in(day.token(), in_booth.ref)
    assert client.verify_ledger(day.token())["valid"]
    assert ledger.stop() == 0
    checked = booth_verify(ledger.state)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_unexpected_failure_inside_the_booth_restarts_the_service(workdir, monkeypatch):
    class BrokenBooth:
        def status(self):
            raise ZeroDivisionError("bug")

        def close(self):
            pass

    directory = Path(tempfile.mkdtemp(prefix="booth-api-"))
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(directory / "api.sock"))
    listener.listen(8)
    server = LedgerServer(BrokenBooth(), listener, allowed_uids={os.getuid()})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(api_server.InternalError):
            BoothClient(directory / "api.sock").status()
        thread.join(timeout=10)
        assert not thread.is_alive() and server.fatal is not None  # run_ledger then exits 70
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def test_the_server_refuses_to_provision_over_the_remains_of_a_ledger(workdir):
    (workdir / "state").mkdir()
    (workdir / "state" / "device.key").write_text("left over\n")
    server = Ledger(workdir)
    server.start(wait=False)
    assert server.process.wait(timeout=20) == 1
    assert "refusing to provision" in server.log.read_text()
    assert not (workdir / "state" / "ledger.db").exists()


def test_a_second_server_on_the_same_socket_is_refused(ledger):
    second = Ledger(ledger.workdir)
    second.log = ledger.workdir / "second.log"
    second.start(wait=False)
    assert second.process.wait(timeout=20) == 1
    assert "another ledger service is listening" in second.log.read_text()
    assert ledger.client().status()["polls"] == "unconfigured"
