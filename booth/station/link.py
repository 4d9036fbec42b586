"""The station link: outboxes that survive a dropped link, an inbox that never delivers twice, and
who is free, busy or offline.

One link process runs on every device of a station (``booth station link``).  The desk's listens
on the station interface; each booth's connects to it and, when the link drops, connects again
with a growing pause (0.5 s, 1 s, 2 s ... at most :data:`MAX_BACKOFF`, with jitter).  Over each
link (TLS 1.3 with pinned keys, frames of ``booth.station.transport``):

* **Outbox** — one per peer (on the desk: one per booth).  The application queues a message
  (``send``); it is written to ``link.db`` before ``send`` returns, gets the next message ID of
  that peer (1, 2, 3 ...), and is sent in order while the peer is connected.  It stays queued
  until the peer acks that ID; after a reconnect the peer's ``hello`` says the last ID it holds
  and sending goes on after it.  A booth that is off while the desk releases to it gets the
  messages, in order, when it is back.
* **Inbox** — a message is written to ``link.db`` (``synchronous=FULL``) *before* it is acked,
  once: an ID the inbox already holds is a replay and closes the link with the reason logged.
  The application takes messages one at a time, oldest first (``take``); each ``take`` confirms
  the message taken before it, in the same transaction.  A confirmed message is never handed out
  again, and none is lost: killed at any instant, a link resends (or is resent) what was not
  acked, and hands out again the one message the application had not confirmed.
* **Heartbeats** — every :data:`BEAT` seconds each side sends ``beat`` (a booth: ``free`` or
  ``busy``, as its application last said); a link silent for :data:`BEAT_TIMEOUT` seconds is
  closed.  The desk's :meth:`Link.status` is data its screen can show::

      {"bilik-1": {"status": "free", "since": "2026-12-07T08:01:12Z", "queued": 0}, ...}

  ``offline`` (since the link dropped, or since the desk's link started if the booth never came),
  ``free`` / ``busy`` (since the booth said so).

The application (the ledger service, or a test) talks to the link over a Unix socket
(:class:`LinkClient`): ``send``, ``take``, ``status``, ``state``; the same frames, canonical JSON.
Only the users allowed (``SO_PEERCRED``) may use it.  Nothing of the link listens anywhere else.

>>> from booth.station.link import LinkClient                       # doctest: +SKIP
>>> desk = LinkClient("/run/booth-link/control.sock")                # doctest: +SKIP
>>> desk.send("bilik-2", "release", token_bytes)                     # doctest: +SKIP
7
>>> booth2.take(wait=5)                                              # doctest: +SKIP
{'from': 'meja', 'id': 7, 'kind': 'release', 'payload': b'...'}
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import os
import random
import re
import socket
import sqlite3
import ssl
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.station import transport
from booth.station.transport import FrameError, PeerRefused, Pin

log = logging.getLogger(__name__)

BEAT = 2.0  # seconds between heartbeats
BEAT_TIMEOUT = 3 * BEAT  # a link silent this long is closed: the peer is offline
HELLO_TIMEOUT = 10.0  # the TLS handshake and the hello, together
MAX_BACKOFF = 10.0  # the longest pause between a booth's attempts to reach the desk
WINDOW = 8  # messages sent and not yet acked, at most: a cut link loses little in flight
MAX_LINKS = 16  # TCP connections at once (6 booths, and room for ones that are going away)
MAX_WAIT = 30  # the longest ``take(wait=...)``
#: What the desk shows of a booth; a booth shows its desk as "online" or "offline".
BOOTH_STATUS = ("offline", "free", "busy")


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ControlError(Exception):
    """A refused request of the application; ``code``, ``id``/``en`` say why."""

    def __init__(self, code: str, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.code = code
        self.id = message_id
        self.en = message_en


# ------------------------------------------------------------------ link.db
#: An idempotency reference of ``send`` (the relay's ``"<kind>:<log index>"``).
REF = re.compile(r"[a-z0-9:._-]{1,64}")
SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    peer TEXT NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL, payload BLOB NOT NULL,
    queued TEXT NOT NULL, acked TEXT, ref TEXT, PRIMARY KEY (peer, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
    peer TEXT NOT NULL, id INTEGER NOT NULL, kind TEXT NOT NULL, payload BLOB NOT NULL,
    received TEXT NOT NULL, done TEXT, PRIMARY KEY (peer, id)) WITHOUT ROWID;
"""


class LinkStore:
    """``link.db``: the outboxes and the inbox, one transaction per change, ``synchronous=FULL``."""

    def __init__(self, path: Path, *, now: Callable[[], str] = utc_now) -> None:
        self.now = now
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        assert self.db.execute("PRAGMA synchronous").fetchone()[0] == 2
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(outbox)")}
        if "ref" not in columns:  # a link.db from before idempotent sends
            self.db.execute("ALTER TABLE outbox ADD COLUMN ref TEXT")
        self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS outbox_ref ON outbox (peer, ref) WHERE ref IS NOT NULL")

    def queue(self, peer: str, kind: str, payload: bytes, ref: str | None = None) -> int:
        """Queue one message for ``peer``; a ``ref`` already queued for that peer: its ID, no second copy."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if ref is not None:
                row = self.db.execute("SELECT id FROM outbox WHERE peer = ? AND ref = ?", (peer, ref)).fetchone()
                if row is not None:
                    return int(row[0])
            (last,) = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox WHERE peer = ?", (peer,)).fetchone()
            self.db.execute(
                "INSERT INTO outbox (peer, id, kind, payload, queued, ref) VALUES (?, ?, ?, ?, ?, ?)",
                (peer, last + 1, kind, payload, self.now(), ref),
            )
        return int(last) + 1

    def unacked(self, peer: str, after: int = 0) -> list[tuple[int, str, bytes]]:
        return self.db.execute(
            "SELECT id, kind, payload FROM outbox WHERE peer = ? AND acked IS NULL AND id > ? ORDER BY id",
            (peer, after),
        ).fetchall()

    def last_queued(self, peer: str) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox WHERE peer = ?", (peer,)).fetchone()[0])

    def acked_through(self, peer: str, upto: int) -> None:
        """The peer holds every message up to ``upto`` (an ack, or the ``received`` of its hello)."""
        with self.db:
            self.db.execute(
                "UPDATE outbox SET acked = ? WHERE peer = ? AND id <= ? AND acked IS NULL", (self.now(), peer, upto)
            )

    def last_received(self, peer: str) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(id), 0) FROM inbox WHERE peer = ?", (peer,)).fetchone()[0])

    def receive(self, peer: str, msg_id: int, kind: str, payload: bytes) -> int:
        """Store a message for good (before it is acked); returns the last ID held before it.
        An ID not above that is a replay and raises :class:`FrameError`, changing nothing."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            (last,) = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM inbox WHERE peer = ?", (peer,)).fetchone()
            if msg_id <= last:
                raise FrameError(
                    f"Pesan {msg_id} dari {peer} diulang: sudah diterima sampai {last}",
                    f"Message {msg_id} from {peer} replayed: already received up to {last}",
                )
            self.db.execute(
                "INSERT INTO inbox (peer, id, kind, payload, received) VALUES (?, ?, ?, ?, ?)",
                (peer, msg_id, kind, payload, self.now()),
            )
        return int(last)

    def take(self, done: tuple[str, int] | None = None) -> dict[str, Any] | None:
        """Mark the message ``done`` (the application has it), then the oldest message not done yet.

        One transaction: a message the application confirmed is never handed out again; one it
        did not confirm (the link or the application died in between) is handed out again.
        """
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            if done is not None:
                self.db.execute(
                    "UPDATE inbox SET done = ? WHERE peer = ? AND id = ? AND done IS NULL", (self.now(), *done)
                )
            row = self.db.execute(
                "SELECT peer, id, kind, payload FROM inbox WHERE done IS NULL ORDER BY received, peer, id LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return {"from": row[0], "id": row[1], "kind": row[2], "payload": bytes(row[3])}

    def close(self) -> None:
        self.db.close()


# ------------------------------------------------------------------ the link process
@dataclass
class PeerState:
    status: str  # desk's view of a booth: offline/free/busy; a booth's view of the desk: offline/online
    since: str
    session: Session | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class LinkConfig:
    role: str  # "desk" or "booth"
    label: str  # this device in the station: "meja", "bilik-2"
    credentials: Path  # link.key, link.pem (transport.write_credentials)
    pins: list[Pin]  # the paired peers (a booth: the desk only)
    state: Path  # the link's own state directory (link.db)
    control: Path  # the application's Unix socket
    listen: tuple[str, int] | None = None  # the desk: the station interface and port
    desk: tuple[str, int] | None = None  # a booth: where the desk listens
    allow_uids: set[int] = field(default_factory=lambda: {os.getuid()})
    beat: float = BEAT


class Session:
    """One live TLS link with one peer: the hello, then a reader and a writer."""

    def __init__(self, link: Link, pin: Pin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.link = link
        self.pin = pin
        self.reader = reader
        self.writer = writer
        self.lock = asyncio.Lock()
        self.closed = False
        self.greeted = False
        self.acked = 0  # the highest ID the peer holds, as far as this link knows

    async def send(self, message: dict[str, Any]) -> None:
        async with self.lock:
            if self.writer.is_closing():
                raise ConnectionError("the link is closing")
            self.writer.write(transport.encode(message))
            await self.writer.drain()

    async def read(self, timeout: float) -> dict[str, Any]:
        prefix = await asyncio.wait_for(self.reader.readexactly(4), timeout)
        length = transport.frame_length(prefix)  # refused before the body is read
        body = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        return transport.parse(body)

    async def run(self) -> None:
        link, peer = self.link, self.pin.label
        store = link.store
        await self.send(
            {
                "t": "hello",
                "v": 1,
                "label": link.config.label,
                "role": link.config.role,
                "received": store.last_received(peer),
            }
        )
        hello = await self.read(HELLO_TIMEOUT)
        if hello["t"] != "hello":
            raise FrameError("Pesan pertama bukan salam", "The first message is not a hello")
        want_role = "booth" if link.config.role == "desk" else "desk"
        if hello["role"] != want_role or hello["label"] != peer:
            raise PeerRefused(
                f"Perangkat menyebut dirinya {hello['label']} ({hello['role']}), "
                f"dipasangkan sebagai {peer} ({want_role})",
                f"The device calls itself {hello['label']} ({hello['role']}), paired as {peer} ({want_role})",
            )
        if hello["received"] > store.last_queued(peer):
            raise FrameError(
                f"{peer} mengaku menerima pesan {hello['received']} yang tidak pernah dikirim",
                f"{peer} claims message {hello['received']}, never sent",
            )
        store.acked_through(peer, hello["received"])
        self.acked = hello["received"]
        self.greeted = True
        log.info(
            "link to %s up (it holds up to %d, we hold up to %d)", peer, hello["received"], store.last_received(peer)
        )
        link.connected(self)
        # Reading and writing go on side by side; whichever stops first (the link dropped, a bad
        # frame, a silent peer) ends the session with its reason.
        tasks = [asyncio.create_task(self.read_loop()), asyncio.create_task(self.write_loop())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises the reason
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def read_loop(self) -> None:
        while True:
            message = await self.read(self.link.config.beat * 3)  # three beats of silence: offline
            await self.handle(message)

    async def write_loop(self) -> None:
        link, peer = self.link, self.pin.label
        state = link.peers[peer]
        sent = self.acked
        loop = asyncio.get_running_loop()
        beaten, beaten_state = -1e9, ""  # when the last beat went, and what it said
        while True:
            state.wake.clear()
            room = WINDOW - (sent - self.acked)
            for msg_id, kind, payload in link.store.unacked(peer, after=sent)[: max(room, 0)]:
                await self.send({"t": "msg", "id": msg_id, "kind": kind, "payload": transport.encode_payload(payload)})
                sent = msg_id
            now = loop.time()
            if now - beaten >= link.config.beat or beaten_state != link.own_state():
                beaten, beaten_state = now, link.own_state()
                await self.send({"t": "beat", "state": beaten_state})
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(state.wake.wait(), max(0.0, beaten + link.config.beat - loop.time()))

    async def handle(self, message: dict[str, Any]) -> None:
        link, peer = self.link, self.pin.label
        t = message["t"]
        if t == "msg":
            payload = transport.decode_payload(message["payload"])
            before = link.store.receive(peer, message["id"], message["kind"], payload)
            if message["id"] != before + 1:
                log.warning("messages %d..%d from %s never arrived", before + 1, message["id"] - 1, peer)
            await self.send({"t": "ack", "id": message["id"]})
            link.inbox_changed()
        elif t == "ack":
            if message["id"] > link.store.last_queued(peer):
                raise FrameError(
                    f"{peer} mengakui pesan {message['id']} yang tidak pernah dikirim",
                    f"{peer} acks message {message['id']}, never sent",
                )
            link.store.acked_through(peer, message["id"])
            self.acked = max(self.acked, message["id"])
            link.peers[peer].wake.set()  # room in the window: send the next
        elif t == "beat":
            link.beat(peer, message["state"])
        else:
            raise FrameError("Salam kedua dalam satu sambungan", "A second hello on one link")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            with contextlib.suppress(Exception):
                self.writer.close()


class Link:
    """The link process of one device (:func:`run`): the TLS side, the control socket, the store."""

    def __init__(self, config: LinkConfig, *, now: Callable[[], str] = utc_now) -> None:
        if config.role not in transport.ROLES:
            raise ValueError(f"role must be desk or booth, not {config.role!r}")
        self.config = config
        self.now = now
        config.state.mkdir(parents=True, exist_ok=True)
        self.store = LinkStore(config.state / "link.db", now=now)
        self.server_ctx = transport.tls_context(config.credentials, config.pins, server=True)
        self.client_ctx = transport.tls_context(config.credentials, config.pins, server=False)
        started = now()
        self.peers = {pin.label: PeerState("offline", started) for pin in config.pins}
        self.my_state = "free" if config.role == "booth" else "desk"
        self.inbox_event = asyncio.Event()
        self.servers: list[asyncio.AbstractServer] = []
        self.listener: socket.socket | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self.open_links = 0

    # ---- what the desk's screen shows
    def status(self) -> dict[str, Any]:
        return {
            "role": self.config.role,
            "label": self.config.label,
            "state": self.my_state,
            "peers": {
                label: {
                    "status": p.status,
                    "since": p.since,
                    "queued": len(self.store.unacked(label)),
                }
                for label, p in sorted(self.peers.items())
            },
        }

    def own_state(self) -> str:
        return self.my_state

    def _set(self, peer: str, status: str) -> None:
        p = self.peers[peer]
        if p.status != status:
            p.status, p.since = status, self.now()
            log.info("%s is %s", peer, status)

    def connected(self, session: Session) -> None:
        p = self.peers[session.pin.label]
        if p.session is not None and p.session is not session:
            p.session.close()  # the peer came back (restarted); the old link is dead
        p.session = session
        self._set(session.pin.label, "online" if self.config.role == "booth" else "free")

    def disconnected(self, session: Session) -> None:
        p = self.peers[session.pin.label]
        if p.session is session:
            p.session = None
            self._set(session.pin.label, "offline")

    def beat(self, peer: str, state: str) -> None:
        if self.config.role == "desk" and state in ("free", "busy"):
            self._set(peer, state)

    def inbox_changed(self) -> None:
        self.inbox_event.set()

    # ---- the TLS side
    async def _tls_server_side(self, conn: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The desk's TLS handshake on an accepted connection; a refused peer raises here (with
        asyncio's own ``start_server(ssl=...)`` a failed handshake would vanish unlogged)."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2 * transport.MAX_FRAME)
        protocol = asyncio.StreamReaderProtocol(reader)
        tls, _ = await loop.connect_accepted_socket(
            lambda: protocol, conn, ssl=self.server_ctx, ssl_handshake_timeout=HELLO_TIMEOUT
        )
        return reader, asyncio.StreamWriter(tls, protocol, reader, loop)

    async def _link(
        self, address: object, handshake: Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    ) -> bool:
        """One connection: the TLS handshake, the peer named by its pinned key, then the session until
        the link drops.  Every way it ends is logged with its reason; True if the hello went through."""
        writer: asyncio.StreamWriter | None = None
        session: Session | None = None
        self.open_links += 1
        try:
            reader, tls = await asyncio.wait_for(handshake, HELLO_TIMEOUT)
            writer = tls
            ssl_object = tls.get_extra_info("ssl_object")
            pin = transport.identify_peer(ssl_object.getpeercert(binary_form=True), self.config.pins)
            session = Session(self, pin, reader, tls)
            await session.run()
        except ssl.SSLCertVerificationError as exc:
            log.warning(
                "device at %s refused: not paired with this one / perangkat tidak dipasangkan (%s)",
                address,
                exc.verify_message,
            )
        except FrameError as exc:
            log.warning("link to %s closed: %s", session.pin.label if session else address, exc)
        except PeerRefused as exc:
            log.warning("device at %s refused: %s", address, exc)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, OSError) as exc:
            where = session.pin.label if session else address
            log.info("link to %s dropped: %s %s", where, type(exc).__name__, exc)
        except TimeoutError:
            log.info("link to %s silent for too long: closed", session.pin.label if session else address)
        finally:
            self.open_links -= 1
            if session is not None:
                session.close()
                self.disconnected(session)
            elif writer is not None:
                with contextlib.suppress(Exception):
                    writer.close()
        return session is not None and session.greeted

    async def _desk_side(self) -> None:
        host, port = self.config.listen or ("127.0.0.1", 0)
        listener = socket.create_server((host, port))
        listener.setblocking(False)
        self.listener = listener
        self.tasks.add(asyncio.create_task(self._accept_loop(listener)))
        log.info("desk link listening on %s", listener.getsockname())

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            conn, address = await loop.sock_accept(listener)
            if self.open_links >= MAX_LINKS:
                conn.close()
                log.warning("too many connections at once: %s refused", address)
                continue
            task = asyncio.create_task(self._link(address, self._tls_server_side(conn)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def reach_desk(self) -> None:
        """A booth: connect to the desk, and again after every drop with a growing pause."""
        assert self.config.desk is not None
        host, port = self.config.desk
        pause = 0.5
        while True:
            handshake = asyncio.open_connection(host, port, ssl=self.client_ctx, ssl_handshake_timeout=HELLO_TIMEOUT)
            if await self._link(f"{host}:{port}", handshake):
                pause = 0.5  # it was up: start again from the shortest pause
            await asyncio.sleep(pause * random.uniform(0.8, 1.2))
            pause = min(pause * 2, MAX_BACKOFF)

    # ---- the application's socket
    async def _serve_control(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", creds)
        try:
            if uid not in self.config.allow_uids:
                # the refusal answers the first request: closing before it is read would let the
                # client's write fail (EPIPE) and lose the reason
                with contextlib.suppress(asyncio.IncompleteReadError, asyncio.TimeoutError, OSError):
                    prefix = await asyncio.wait_for(reader.readexactly(4), 5)
                    length = min(int.from_bytes(prefix, "big"), 2 * transport.MAX_FRAME)
                    await asyncio.wait_for(reader.readexactly(length), 5)
                writer.write(
                    _control_frame(_error("peer_refused", "Pengguna ini tidak diizinkan", "This user is not allowed"))
                )
                await writer.drain()
                return
            while True:
                try:
                    prefix = await reader.readexactly(4)
                except asyncio.IncompleteReadError:
                    return
                length = int.from_bytes(prefix, "big")
                if length == 0 or length > 2 * transport.MAX_FRAME:
                    writer.write(
                        _control_frame(_error("frame_too_large", "Permintaan terlalu besar", "Request too large"))
                    )
                    await writer.drain()
                    return
                body = await asyncio.wait_for(reader.readexactly(length), HELLO_TIMEOUT)
                try:
                    answer = await self.control(body)
                except ControlError as exc:
                    answer = _error(exc.code, exc.id, exc.en)
                writer.write(_control_frame(answer))
                await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def control(self, body: bytes) -> dict[str, Any]:
        """One request of the application (see :class:`LinkClient`)."""
        try:
            request = parse_canonical(body)
        except NotCanonical:
            raise ControlError(
                "bad_frame", "Permintaan bukan JSON kanonik", "The request is not canonical JSON"
            ) from None
        if not isinstance(request, dict) or not isinstance(request.get("op"), str):
            raise ControlError("bad_frame", "Permintaan tanpa op", "The request has no op")
        op = request["op"]
        if op == "send" and set(request) in ({"op", "to", "kind", "payload"}, {"op", "to", "kind", "payload", "ref"}):
            to = request["to"]
            if to not in self.peers:
                raise ControlError(
                    "unknown_peer", f"Perangkat {to!r} tidak dipasangkan", f"Device {to!r} is not paired"
                )
            if not (isinstance(request["kind"], str) and transport.KIND.fullmatch(request["kind"])):
                raise ControlError("bad_params", "Jenis muatan tidak sah", "Bad payload kind")
            try:
                payload = transport.decode_payload(request["payload"])
            except FrameError as exc:
                raise ControlError("bad_params", exc.id, exc.en) from None
            ref = request.get("ref")
            if ref is not None and not (isinstance(ref, str) and REF.fullmatch(ref)):
                raise ControlError("bad_params", "ref: 1-64 huruf a-z 0-9 : . _ -", "ref: 1-64 of a-z 0-9 : . _ -")
            msg_id = self.store.queue(to, request["kind"], payload, ref)
            self.peers[to].wake.set()
            return {"ok": True, "id": msg_id}
        if op == "take" and set(request) == {"op", "wait", "done"}:
            wait, done = request["wait"], request["done"]
            if not (isinstance(wait, int) and not isinstance(wait, bool) and 0 <= wait <= MAX_WAIT):
                raise ControlError("bad_params", f"wait 0..{MAX_WAIT} detik", f"wait 0..{MAX_WAIT} seconds")
            if done is not None:
                if not (
                    isinstance(done, dict)
                    and set(done) == {"from", "id"}
                    and isinstance(done["from"], str)
                    and isinstance(done["id"], int)
                ):
                    raise ControlError("bad_params", "done: {from, id}", "done: {from, id}")
                done = (done["from"], done["id"])
            loop = asyncio.get_running_loop()
            deadline = loop.time() + wait
            while True:
                self.inbox_event.clear()
                message = self.store.take(done)
                done = None
                if message is not None:
                    message["payload"] = transport.encode_payload(message["payload"])
                    return {"ok": True, "message": message}
                left = deadline - loop.time()
                if left <= 0:
                    return {"ok": True, "message": None}
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.inbox_event.wait(), left)
        if op == "status" and set(request) == {"op"}:
            return {"ok": True, "status": self.status()}
        if op == "state" and set(request) == {"op", "state"} and self.config.role == "booth":
            if request["state"] not in ("free", "busy"):
                raise ControlError("bad_params", "Keadaan harus free atau busy", "State must be free or busy")
            self.my_state = request["state"]
            for p in self.peers.values():
                p.wake.set()  # the desk hears it at once, not at the next beat
            return {"ok": True}
        raise ControlError("bad_request", f"Permintaan tidak dikenal: {op[:32]!r}", f"Unknown request: {op[:32]!r}")

    # ---- the whole process
    async def start(self) -> None:
        path = self.config.control
        path.unlink(missing_ok=True)
        old = os.umask(0o117)
        try:
            self.servers.append(await asyncio.start_unix_server(self._serve_control, path=str(path)))
        finally:
            os.umask(old)
        if self.config.role == "desk":
            await self._desk_side()

    async def run(self) -> None:
        await self.start()
        if self.config.role == "booth":
            await self.reach_desk()
        else:
            await asyncio.Event().wait()

    def listening_port(self) -> int:
        if self.listener is None:
            raise LookupError("not listening")
        return int(self.listener.getsockname()[1])


def _error(code: str, message_id: str, message_en: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "id": message_id, "en": message_en}}


def _control_frame(message: dict[str, Any]) -> bytes:
    body = canonical(message)
    return len(body).to_bytes(4, "big") + body


# ------------------------------------------------------------------ the application's side
class LinkClient:
    """The application's handle on its device's link process (blocking, one request at a time).

    >>> client = LinkClient("/run/booth-link/control.sock")   # doctest: +SKIP
    >>> client.status()["peers"]["bilik-1"]["status"]          # doctest: +SKIP
    'free'
    """

    def __init__(self, path: str | Path, *, timeout: float = MAX_WAIT + 10) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.unconfirmed: dict[str, Any] | None = None  # the last message taken, confirmed by the next take

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request; a link process that is gone raises ConnectionError (the next call reconnects)."""
        try:
            if self.sock is None:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.settimeout(self.timeout)
                self.sock.connect(self.path)
            self.sock.sendall(_control_frame(request))
            prefix = _recv_exactly(self.sock, 4)
            answer = parse_canonical(_recv_exactly(self.sock, int.from_bytes(prefix, "big")))
        except OSError as exc:
            self.close()
            raise ConnectionError(f"the link process does not answer: {exc}") from None
        if not answer.get("ok"):
            error = answer["error"]
            raise ControlError(error["code"], error["id"], error["en"])
        return answer

    def send(self, to: str, kind: str, payload: bytes, ref: str | None = None) -> int:
        """Queue ``payload`` for ``to``; returns its message ID (it is on disk when this returns).

        With ``ref`` (``"release:17"``), a second send of the same ref to the same peer queues
        nothing and returns the first one's ID: a sender that restarts may simply send again.
        """
        request = {"op": "send", "to": to, "kind": kind, "payload": transport.encode_payload(payload)}
        if ref is not None:
            request["ref"] = ref
        return int(self._call(request)["id"])

    def take(self, wait: int = 0) -> dict[str, Any] | None:
        """The next message for this device (``from``, ``id``, ``kind``, ``payload`` bytes), or None.

        Taking the next message confirms the one taken before (the application has dealt with it):
        a confirmed message never comes again; the last one comes again only if the link never
        heard the confirmation (then ``from`` and ``id`` are the same as before).
        """
        done = self.unconfirmed and {"from": self.unconfirmed["from"], "id": self.unconfirmed["id"]}
        message = self._call({"op": "take", "wait": wait, "done": done})["message"]
        self.unconfirmed = message
        if message is not None:
            message["payload"] = transport.decode_payload(message["payload"])
        return message

    def status(self) -> dict[str, Any]:
        return dict(self._call({"op": "status"})["status"])

    def set_state(self, state: str) -> None:
        """A booth: ``free`` (waiting for a voter) or ``busy`` (a voter is in it)."""
        self._call({"op": "state", "state": state})

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the link process hung up")
        data += chunk
    return data
