"""The ledger service's socket server: ``BoothService`` served to the kiosk over a Unix socket.

On the appliance the ``booth-ledger`` service owns the state directory (the
database, the device key, the photo vault) and the kiosk reaches it only
through this socket.  Frames and errors are written down in
:mod:`booth.api.wire`, the methods and their checks in :mod:`booth.api.schema`;
this module reads frames, checks them and runs them in the booth.

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
``STOPPING=1`` on SIGTERM.  Starting it all (socket activation, the allowed
users, the fake clock) is :mod:`booth.api.start`.

**Failures.**  Whatever a client sends is answered with a documented error
(:mod:`booth.api.wire`) or its result, never a traceback, and changes nothing
when refused.  An unexpected exception inside the booth is answered with
``internal_error`` and then the service exits (status 70): systemd restarts it
and the booth is rebuilt from the ledger, never left half-changed in memory.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import json
import logging
import queue
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from booth.api.schema import METHODS, Method, bad_param, check_params, encode_result, largest_frame
from booth.api.wire import (
    SMALL_FRAME,
    BadFrame,
    ConnectionClosed,
    FrameTooLarge,
    InternalError,
    PeerRefused,
    ServerBusy,
    UnknownMethod,
    decode_request,
    read_frame,
    send_frame,
    shown_name,
)
from booth.errors import BoothError
from booth.systemd_notify import Notifier

log = logging.getLogger("booth.api")


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

    def __init__(
        self,
        service,
        listener: socket.socket,
        *,
        allowed_uids: set[int],
        notifier: Notifier | None = None,
        watchdog: float | None = None,
        methods: dict[str, Method] = METHODS,
        clock=None,
        frame_timeout: float = 10.0,
        max_clients: int = 8,
    ) -> None:
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
                name = shown_name(request.method)
                raise UnknownMethod("Perintah tidak dikenal", "Unknown method: " + name, method=name)
            if len(body) > method.frame_limit:
                raise FrameTooLarge(
                    "Permintaan terlalu besar",
                    f"Request of {len(body)} bytes is over the limit of {method.frame_limit} for {method.name}",
                    length=len(body),
                    limit=method.frame_limit,
                )
            kwargs = check_params(method, request.params)
            result = self._in_booth(method, kwargs)
            return {"id": request_id, "result": result}  # encoded in the booth thread
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
            result = encode_result(method, result)
            if method.result == "json":
                json.dumps(result, allow_nan=False)  # fail here, inside the guard, not mid-send
            job.result = result
        except BoothError as exc:
            job.error = exc
        except Exception as exc:
            log.exception("booth failed unexpectedly in %s; the service will restart", method.name)
            self.fatal = exc
            self._stop.set()
            job.error = InternalError(
                "Terjadi kesalahan. Layanan dimulai ulang; mohon tunggu",
                "Unexpected failure; the ledger service restarts",
                method=method.name,
            )
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
                log.warning(
                    "refused a connection from uid %d (allowed: %s)", uid, ",".join(map(str, sorted(self.allowed_uids)))
                )
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
                        body = read_frame(conn, self.max_frame, timeout=self.frame_timeout, before_body=before_body)
                    except (FrameTooLarge, ServerBusy) as exc:
                        # the body is unread: answer and hang up, the stream cannot be resynchronised
                        self._send_quietly(conn, {"id": None, "error": exc.to_json()})
                        return
                    except ConnectionClosed as exc:
                        if exc.mid_frame:
                            log.info("a client hung up in the middle of a frame")
                        return
                    except (TimeoutError, OSError):
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
        except (TimeoutError, OSError):
            return False

    def _accept_loop(self, tick: float) -> None:
        self.listener.settimeout(tick)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
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
                thread = threading.Thread(target=self._serve_client, args=(conn,), daemon=True, name="booth-api-client")
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
            # Only the reading side: a client waiting for a request wakes up (end of stream) and
            # hangs up, while one whose answer is ready (the InternalError of the failure that
            # stopped us) still sends it; closing both sides raced that answer under load.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RD)
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
            text = f"{words_id}; {cast} suara tercatat / {words_en}; {cast} ballots recorded" + (
                "; DISEGEL / packed" if st["sealed"] else ""
            )
        except Exception:  # status must never take the service down
            text = "Siap / Ready"
        if ready:
            self.notifier.ready(text)
        elif text != self._last_status:
            self.notifier.status(text)
        self._last_status = text


def _restarting() -> InternalError:
    return InternalError("Layanan sedang dimulai ulang. Mohon tunggu", "The ledger service is restarting")


# --- methods the server adapts (the client has the other half in booth.api.client)
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


def _serve_export_station(server: LedgerServer, token: str, stick_zip: bytes) -> dict:
    # The kiosk read the stick; the ledger service only ever opens this private copy.
    from booth.refusals import refuse
    from booth.station.stick import unpack_stick

    with tempfile.TemporaryDirectory(prefix="booth-stick-") as tmp:
        try:
            unpack_stick(stick_zip, Path(tmp))
        except ValueError:
            raise refuse("station_export_folder") from None
        path = Path(server.service.export_station(token, tmp))
        return {"file": path.name, "bundle": base64.b64encode(path.read_bytes()).decode("ascii")}


def _serve_fake_clock_advance(server: LedgerServer, seconds: int) -> str:
    server.clock.advance(seconds)
    return server.clock.now().isoformat()


def _serve_fake_clock_set(server: LedgerServer, utc: str) -> str:
    try:
        when = dt.datetime.fromisoformat(utc.replace("Z", "+00:00"))
    except ValueError:
        raise bad_param("fake_clock_set", "utc", "bad_format") from None
    if when.tzinfo is None:
        raise bad_param("fake_clock_set", "utc", "bad_format")
    server.clock.set(when.astimezone(dt.UTC))
    return server.clock.now().isoformat()


_SPECIAL: dict[str, Callable] = {
    "load_election": _serve_load_election,
    "export": _serve_export,
    "export_station": _serve_export_station,
    "fake_clock_advance": _serve_fake_clock_advance,
    "fake_clock_set": _serve_fake_clock_set,
}
