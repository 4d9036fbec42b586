"""The station's network: a desk and its booths as real link processes on loopback (TLS 1.3, pinned keys).

Scenarios from the day: the desk releases voters to three booths and they answer; a booth's link
killed with SIGKILL in the middle and started again; the network cutting a link during a send;
a device nobody paired; a replayed and an oversized frame.  Each checks what a companion would:
every message arrived once, in order, and the desk shows who is free, busy or offline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from booth.ledger.canonical import canonical
from booth.station import transport
from booth.station.link import ControlError, LinkClient
from booth_sim.station_links import ROOT, CuttingProxy, StationLinks, link_command


@pytest.fixture
def station():
    links = StationLinks(booths=3)
    try:
        yield links.start()
    finally:
        links.close()


def take_all(client: LinkClient, count: int, *, timeout: float = 30.0) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        message = client.take(wait=2)
        if message is not None:
            got.append(message)
    return got


def token(booth: str, n: int) -> bytes:
    return f"release {n} for {booth}".encode()


# ------------------------------------------------------------------ a station day
def test_a_desk_and_three_booths_exchange_releases_and_answers_each_once_in_order(station):
    for booth in station.booths:
        station.wait_status(booth.label, "free")
    for n in range(1, 11):
        for booth in station.booths:
            assert station.desk.client.send(booth.label, "release", token(booth.label, n)) == n
    for booth in station.booths:
        got = take_all(booth.client, 10)
        assert [(m["from"], m["id"], m["kind"], m["payload"]) for m in got] == [
            ("meja", n, "release", token(booth.label, n)) for n in range(1, 11)
        ]
        assert booth.client.take(wait=1) is None  # nothing more, nothing twice
        for n in range(1, 11):
            booth.client.send("meja", "consumed", f"{booth.label} cast {n}".encode())
    answers = take_all(station.desk.client, 30)
    assert station.desk.client.take(wait=1) is None
    for booth in station.booths:
        mine = [m for m in answers if m["from"] == booth.label]
        assert [m["payload"] for m in mine] == [f"{booth.label} cast {n}".encode() for n in range(1, 11)]
    status = station.desk.status()["peers"]
    assert {label: s["queued"] for label, s in status.items()} == {"bilik-1": 0, "bilik-2": 0, "bilik-3": 0}


def test_the_desk_shows_which_booth_is_free_busy_or_offline_and_since_when(station):
    station.wait_status("bilik-2", "free")
    station.booth("bilik-2").client.set_state("busy")
    busy = station.wait_status("bilik-2", "busy")
    assert station.desk.status()["peers"]["bilik-1"]["status"] == "free"
    station.booth("bilik-2").kill()
    offline = station.wait_status("bilik-2", "offline", timeout=5)  # within three beats
    assert offline["since"] >= busy["since"]
    station.desk.client.send("bilik-2", "release", b"queued while off")
    assert station.desk.status()["peers"]["bilik-2"]["queued"] == 1
    station.booth("bilik-2").start()
    station.wait_status("bilik-2", "free")
    assert station.booth("bilik-2").client.take(wait=10)["payload"] == b"queued while off"
    station.booth("bilik-2").client.take(wait=0)  # confirms it
    deadline = time.monotonic() + 10
    while station.desk.status()["peers"]["bilik-2"]["queued"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert station.desk.status()["peers"]["bilik-2"]["queued"] == 0


def test_a_booth_killed_mid_exchange_and_restarted_loses_nothing_and_gets_nothing_twice(station):
    booth = station.booth("bilik-2")
    station.wait_status("bilik-2", "free")

    def desk_releases():  # the desk's application, releasing while the booth's link dies
        with contextlib.closing(LinkClient(station.desk.control)) as desk:
            for n in range(1, 221):
                desk.send("bilik-2", "release", token("bilik-2", n) * 100)

    sender = threading.Thread(target=desk_releases)
    sender.start()
    got = take_all(booth.client, 25)
    booth.kill()  # SIGKILL: messages in flight, one taken and not confirmed
    assert sender.is_alive(), "the desk had finished sending: the kill would not be mid-exchange"
    sender.join(timeout=60)
    assert station.desk.status()["peers"]["bilik-2"]["queued"] > 0  # waiting for the booth
    booth.start()
    got += take_all(booth.client, 220 - len(got), timeout=60)
    ids = [m["id"] for m in got]
    # The one message taken but not confirmed when the link died is handed out again: the
    # application sees it twice with the same ID (it never confirmed it), and never a confirmed one.
    unique = list(dict.fromkeys(ids))
    assert unique == list(range(1, 221)), ids
    assert len(ids) - len(unique) <= 1
    assert [m["payload"] for m in got if m["id"] == 137][0] == token("bilik-2", 137) * 100
    assert booth.client.take(wait=1) is None


def test_the_desk_killed_mid_exchange_resends_what_was_not_acked_and_keeps_the_booths_answers(station):
    booth = station.booth("bilik-1")
    station.wait_status("bilik-1", "free")
    for n in range(1, 101):
        station.desk.client.send("bilik-1", "release", token("bilik-1", n))
        booth.client.send("meja", "consumed", f"answer {n}".encode())
    station.desk.kill()
    port = station.desk.port  # back on its port: the booth reconnects with backoff and finds it
    station.desk.write_config(station.booths, listen=f"127.0.0.1:{port}", beat=station.beat)
    station.desk.start()
    got = take_all(booth.client, 100, timeout=60)
    assert list(dict.fromkeys(m["id"] for m in got)) == list(range(1, 101))
    answers = take_all(station.desk.client, 100, timeout=60)
    assert list(dict.fromkeys(m["payload"] for m in answers)) == [f"answer {n}".encode() for n in range(1, 101)]


def test_a_link_cut_during_sends_delivers_every_message_once_in_order():
    links = StationLinks(booths=1)
    links.desk.start()
    proxy = CuttingProxy(links.desk.port, cut_after=20000)  # every link dies after ~20 KB
    try:
        booth = links.booths[0]
        booth.write_config([links.desk], desk=f"127.0.0.1:{proxy.port}", beat=links.beat)
        booth.start()
        for n in range(1, 151):
            links.desk.client.send("bilik-1", "release", token("bilik-1", n) * 20)
            booth.client.send("meja", "consumed", f"answer {n}".encode() * 20)
        got = take_all(booth.client, 150, timeout=90)
        answers = take_all(links.desk.client, 150, timeout=90)
        assert proxy.cuts > 3, "the proxy never cut a link: the test would prove nothing"
        assert [m["id"] for m in got] == list(range(1, 151))
        assert [m["payload"] for m in got] == [token("bilik-1", n) * 20 for n in range(1, 151)]
        assert [m["payload"] for m in answers] == [f"answer {n}".encode() * 20 for n in range(1, 151)]
    finally:
        proxy.close()
        links.close()


# ------------------------------------------------------------------ refusals
def _raw_tls(credentials, pins, port) -> ssl.SSLSocket:
    ctx = transport.tls_context(credentials, pins, server=False)
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))


def _read_message(sock: ssl.SSLSocket) -> dict:
    prefix = _recv(sock, 4)
    return transport.parse(_recv(sock, transport.frame_length(prefix)))


def _recv(sock, n) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _closed(sock: ssl.SSLSocket, timeout: float = 5.0) -> bool:
    sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionError, ssl.SSLError, OSError):
        return True
    return False


def _wait_log(device, words: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = device.log_text()
        if words in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{words!r} never logged:\n{device.log_text()[-3000:]}")


def test_a_device_nobody_paired_is_refused_with_its_reason_and_the_station_goes_on(station):
    stranger = StationLinks(booths=1)  # another station's booth: a key the desk never pinned
    try:
        intruder = stranger.booths[0]
        intruder.write_config([station.desk], desk=f"127.0.0.1:{station.desk.port}", beat=station.beat)
        intruder.start()
        _wait_log(station.desk, "refused: not paired with this one / perangkat tidak dipasangkan")
        assert intruder.status()["peers"]["meja"]["status"] == "offline"
        assert set(station.desk.status()["peers"]) == {"bilik-1", "bilik-2", "bilik-3"}
        # The paired booths still get their messages.
        station.desk.client.send("bilik-3", "release", b"still here")
        assert station.booth("bilik-3").client.take(wait=10)["payload"] == b"still here"
    finally:
        stranger.close()


def test_a_booth_refuses_a_desk_it_was_not_paired_with(station):
    impostor = StationLinks(booths=1)  # a desk with its own key, listening where the booth will look
    try:
        impostor.desk.write_config([station.booths[0]], listen="127.0.0.1:0", beat=station.beat)
        impostor.desk.start()
        booth = station.booths[0]
        booth.stop()
        booth.write_config([station.desk], desk=f"127.0.0.1:{impostor.desk.port}", beat=station.beat)
        booth.start()
        _wait_log(booth, "refused: not paired with this one / perangkat tidak dipasangkan")
        assert booth.status()["peers"]["meja"]["status"] == "offline"
        assert impostor.desk.status()["peers"]["bilik-1"]["status"] == "offline"
    finally:
        impostor.close()


def test_a_replayed_message_is_refused_and_delivered_once(station):
    booth = station.booth("bilik-1")
    booth.stop()  # the test speaks for bilik-1 itself, with its own credentials
    station.wait_status("bilik-1", "offline")
    pins = [transport.load_pin("meja", station.desk.certificate)]
    sock = _raw_tls(booth.dir / "credentials", pins, station.desk.port)
    sock.sendall(transport.encode({"t": "hello", "v": 1, "label": "bilik-1", "role": "booth", "received": 0}))
    assert _read_message(sock)["t"] == "hello"
    message = {"t": "msg", "id": 1, "kind": "consumed", "payload": transport.encode_payload(b"cast once")}
    sock.sendall(transport.encode(message))
    while _read_message(sock)["t"] != "ack":
        pass
    sock.sendall(transport.encode(message))  # the same frame again
    assert _closed(sock)
    _wait_log(station.desk, "Message 1 from bilik-1 replayed: already received up to 1")
    assert station.desk.client.take(wait=2)["payload"] == b"cast once"
    assert station.desk.client.take(wait=1) is None


def test_an_oversized_frame_is_refused_before_it_is_read_and_the_desk_goes_on(station):
    booth = station.booth("bilik-1")
    booth.stop()
    pins = [transport.load_pin("meja", station.desk.certificate)]
    sock = _raw_tls(booth.dir / "credentials", pins, station.desk.port)
    sock.sendall(transport.encode({"t": "hello", "v": 1, "label": "bilik-1", "role": "booth", "received": 0}))
    assert _read_message(sock)["t"] == "hello"
    sock.sendall((50 * 1024 * 1024).to_bytes(4, "big") + b"x" * 1000)  # announces 50 MiB
    assert _closed(sock)
    _wait_log(station.desk, f"Bad frame length: {50 * 1024 * 1024} bytes (limit {transport.MAX_FRAME})")
    assert station.desk.process.poll() is None
    station.desk.client.send("bilik-2", "release", b"after the bad frame")
    assert station.booth("bilik-2").client.take(wait=10)["payload"] == b"after the bad frame"


def test_a_booth_claiming_another_booths_name_is_refused(station):
    booth = station.booth("bilik-1")
    booth.stop()
    pins = [transport.load_pin("meja", station.desk.certificate)]
    sock = _raw_tls(booth.dir / "credentials", pins, station.desk.port)
    sock.sendall(transport.encode({"t": "hello", "v": 1, "label": "bilik-2", "role": "booth", "received": 0}))
    assert _closed(sock)
    _wait_log(station.desk, "The device calls itself bilik-2 (booth), paired as bilik-1 (booth)")


HELLO_1 = {"t": "hello", "v": 1, "label": "bilik-1", "role": "booth", "received": 0}


def _framed(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


@pytest.mark.parametrize(
    "frame, reason",
    [
        (b"\0\0\0\x05hello", "The frame is not canonical JSON"),
        (transport.encode({"t": "shell", "cmd": "rm"}), "Unknown kind of message: 'shell'"),
        (
            transport.encode({"t": "hello", "v": 1, "label": "bilik-1", "role": "booth", "received": 0}),
            "A second hello",
        ),
        (transport.encode({"t": "ack", "id": 99}), "bilik-1 acks message 99, never sent"),
        (_framed(b'{"id":1,"kind":"release","payload":"%%%%","t":"msg"}'), "The payload is not base64"),
    ],
    ids=["not-json", "unknown-kind", "second-hello", "ack-never-sent", "bad-base64"],
)
def test_a_bad_frame_from_a_paired_booth_closes_its_link_with_the_reason_and_nothing_else(station, frame, reason):
    booth = station.booth("bilik-1")
    booth.stop()
    pins = [transport.load_pin("meja", station.desk.certificate)]
    sock = _raw_tls(booth.dir / "credentials", pins, station.desk.port)
    sock.sendall(transport.encode({"t": "hello", "v": 1, "label": "bilik-1", "role": "booth", "received": 0}))
    assert _read_message(sock)["t"] == "hello"
    sock.sendall(frame)
    assert _closed(sock)
    _wait_log(station.desk, reason)
    assert station.desk.process.poll() is None
    assert station.desk.client.take(wait=0) is None  # nothing reached the desk's application
    station.desk.client.send("bilik-3", "release", b"the others go on")
    assert station.booth("bilik-3").client.take(wait=10)["payload"] == b"the others go on"


def test_a_booth_that_hangs_is_shown_offline_within_three_beats(station):
    booth = station.booth("bilik-1")
    station.wait_status("bilik-1", "free")
    booth.process.send_signal(signal.SIGSTOP)  # the TCP link stays up; the beats stop
    try:
        started = time.monotonic()
        station.wait_status("bilik-1", "offline", timeout=10)
        assert time.monotonic() - started < 3 * station.beat + 2
    finally:
        booth.process.send_signal(signal.SIGCONT)
    station.wait_status("bilik-1", "free", timeout=20)


def test_only_the_allowed_user_may_use_the_control_socket():
    links = StationLinks(booths=1)
    try:
        links.desk.start("--allow-uid", str(os.getuid() + 4242))
        with pytest.raises(ControlError) as refused:
            links.desk.client.status()
        assert refused.value.code == "peer_refused"
    finally:
        links.close()


def _run_link(device, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "hw-sim")]))
    argv = [*link_command(), "--state", str(device.state), "--config", str(device.config)]
    argv += ["--control", str(device.control), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def test_a_bad_configuration_is_refused_with_what_is_wrong_before_anything_starts():
    links = StationLinks(booths=1)
    try:
        desk, booth = links.desk, links.booths[0]
        desk.write_config([booth], listen="0.0.0.0:7443")
        result = _run_link(desk, "--role", "desk")
        assert result.returncode == 2 and "not to every interface" in result.stderr
        desk.write_config([booth], listen="127.0.0.1:0")
        result = _run_link(desk, "--role", "booth")
        assert result.returncode == 2 and "role is 'desk' but the link was started as 'booth'" in result.stderr
        desk.config.write_text(desk.config.read_text().replace(booth.fingerprint, "00" * 32))
        result = _run_link(desk, "--role", "desk")
        assert result.returncode == 2 and "The fingerprint of bilik-1 does not match" in result.stderr
        booth.write_config([desk, desk], desk="127.0.0.1:9")
        result = _run_link(booth, "--role", "booth")
        assert result.returncode == 2
        assert not desk.control.exists() and not booth.control.exists()  # nothing started
    finally:
        links.close()


def test_link_credentials_are_made_from_the_device_key_and_the_link_stops_cleanly(tmp_path, station):
    from booth.ledger.keys import DeviceKey

    key = DeviceKey.create(tmp_path / "device.key")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "hw-sim")]))
    argv = [sys.executable, "-m", "booth", "station", "link-credentials", "--device-key", str(tmp_path / "device.key")]
    result = subprocess.run(
        [*argv, "--out", str(tmp_path / "cred"), "--label", "bilik-4"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == key.fingerprint  # what the companion compares at pairing
    assert (tmp_path / "cred" / "link.key").stat().st_mode & 0o777 == 0o600
    pin = transport.load_pin("bilik-4", tmp_path / "cred" / "device.pem", key.fingerprint)
    link_cert = x509.load_pem_x509_certificates((tmp_path / "cred" / "link.pem").read_bytes())[0]
    assert transport.identify_peer(link_cert.public_bytes(serialization.Encoding.DER), [pin]) == pin
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    # the link's own key, not the device key
    assert link_cert.public_key().public_bytes(*raw) != key.public_key.public_bytes(*raw)
    assert b"PRIVATE" not in (tmp_path / "cred" / "link.pem").read_bytes()
    # SIGTERM, as systemd stops it: a clean exit.
    assert station.booth("bilik-3").stop() == 0


def test_the_application_socket_refuses_bad_requests_in_words(station):
    client = station.desk.client
    with pytest.raises(ControlError) as refused:
        client.send("bilik-9", "release", b"x")
    assert refused.value.code == "unknown_peer" and "tidak dipasangkan" in refused.value.id
    with pytest.raises(transport.FrameError, match="Muatan terlalu besar"):
        client.send("bilik-1", "release", b"x" * (transport.MAX_PAYLOAD + 1))
    with pytest.raises(ControlError) as refused:
        client._call({"op": "send", "to": "bilik-1", "kind": "release", "payload": "not base64!"})
    assert refused.value.code == "bad_params" and refused.value.en == "The payload is not base64"
    with pytest.raises(ControlError) as refused:
        client._call({"op": "format", "disk": "/"})
    assert refused.value.code == "bad_request"
    assert station.desk.status()["peers"]["bilik-1"]["queued"] == 0  # nothing was queued


def test_the_desk_listens_on_the_given_interface_only(station):
    table = Path("/proc/net/tcp").read_text().splitlines()[1:]
    listening = [
        line.split()
        for line in table
        if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == station.desk.port
    ]
    assert [entry[1].split(":")[0] for entry in listening] == ["0100007F"]  # 127.0.0.1, not 0.0.0.0


# ------------------------------------------------------------------ the frame parser
messages = st.one_of(
    st.builds(
        lambda label, role, received: {"t": "hello", "v": 1, "label": label, "role": role, "received": received},
        st.from_regex(transport.LABEL, fullmatch=True),
        st.sampled_from(transport.ROLES),
        st.integers(0, transport.MAX_ID),
    ),
    st.builds(
        lambda i, kind, payload: {"t": "msg", "id": i, "kind": kind, "payload": transport.encode_payload(payload)},
        st.integers(1, transport.MAX_ID),
        st.from_regex(transport.KIND, fullmatch=True),
        st.binary(max_size=2000),
    ),
    st.builds(lambda i: {"t": "ack", "id": i}, st.integers(1, transport.MAX_ID)),
    st.builds(lambda s: {"t": "beat", "state": s}, st.sampled_from(transport.BEAT_STATES)),
)


@given(st.lists(messages, max_size=8), st.lists(st.integers(1, 200), max_size=20))
@settings(max_examples=150, deadline=None)
def test_frames_read_back_whatever_way_the_stream_is_cut(sent, cuts):
    stream = b"".join(transport.encode(m) for m in sent)
    got, rest, position = [], b"", 0
    for size in [*cuts, len(stream)]:
        chunk, position = stream[position : position + size], position + size
        parsed, rest = transport.split_frames(rest + chunk)
        got += parsed
    assert got == sent and rest == b""


@given(st.binary(max_size=300))
@settings(max_examples=400, deadline=None)
def test_any_bytes_are_parsed_or_refused_with_a_reason_never_a_crash(data):
    try:
        transport.split_frames(data)
    except transport.FrameError as exc:
        assert exc.id and exc.en


@given(messages, st.data())
@settings(max_examples=200, deadline=None)
def test_a_message_changed_in_one_field_is_refused_or_still_well_formed(message, data):
    field = data.draw(st.sampled_from(sorted(message)))
    changed = dict(message)
    changed[field] = data.draw(
        st.one_of(st.none(), st.booleans(), st.integers(-(2**53 - 1), 2**53 - 1), st.text(max_size=20))
    )
    body = canonical(changed)
    try:
        parsed = transport.parse(body)
    except transport.FrameError:
        return
    assert transport.parse(canonical(parsed)) == parsed  # accepted only if it checks out


def test_frame_refusals_say_why():
    with pytest.raises(transport.FrameError, match="Bad frame length: 0"):
        transport.split_frames(b"\0\0\0\0")
    with pytest.raises(transport.FrameError, match="not canonical JSON"):
        transport.parse(b'{"t": "ack", "id": 1}')
    with pytest.raises(transport.FrameError, match="Unknown kind of message"):
        transport.parse(b'{"t":"shell"}')
    with pytest.raises(transport.FrameError, match="not canonical base64"):
        transport.parse(b'{"id":1,"kind":"release","payload":"AAF=","t":"msg"}')
    with pytest.raises(transport.FrameError, match="Bad message number"):
        transport.parse(b'{"id":0,"t":"ack"}')
