"""Starting the ledger service: its socket, who may use it, its booth and clock (``booth service ledger``)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import pwd
import signal
import socket
import stat
import sys
import time
from pathlib import Path

from booth.api.schema import FAKE_CLOCK_METHODS, METHODS
from booth.api.server import LedgerServer
from booth.election_package.checks import isolate_photo_checks
from booth.ledger.kdf import isolate_scrypt
from booth.logs import setup_logging
from booth.systemd_notify import Notifier, listen_fds, watchdog_interval

log = logging.getLogger("booth.api")

EXIT_INTERNAL_ERROR = 70  # EX_SOFTWARE: systemd's Restart=on-failure brings the service back


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
            raise StartError(
                f"user {name!r} does not exist (install systemd/booth.conf with systemd-sysusers)"
            ) from None
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
            raise StartError(
                f"no ledger in {state_dir}: run `booth device init {state_dir}` or start with --init"
            ) from None
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
    return FakeClock(when.astimezone(dt.UTC), boot=f"fake-{os.getpid()}-{time.monotonic_ns()}")


# glibc's M_MMAP_THRESHOLD (malloc.h).
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 128 * 1024


def return_large_buffers_to_the_system() -> bool:
    """Keep glibc from holding on to the 16 MB that every PIN check borrows.

    Each sign-in runs scrypt twice (the PIN hash, then the photo vault's key), each borrowing
    128 * r * N = 16 MB.  glibc serves a first allocation that large with mmap and gives it
    back, but then raises its mmap threshold to that size, so every later one comes from the
    heap and stays resident for the rest of the day: the ledger service sat 16 MB higher than
    it needed after the first companion signed in (``benchmarks/service_memory.py``).  Fixing the
    threshold at glibc's own default (128 KiB) turns off that adjustment: a large buffer is
    mapped and unmapped each time.  Returns False where the C library is not glibc.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        return False


def run_ledger(
    state_dir: str,
    socket_path: str | None,
    *,
    allow_uids: list[int] | None = None,
    allow_users: list[str] | None = None,
    init: bool = False,
    fake_clock: str | None = None,
    frame_timeout: float = 10.0,
    max_clients: int = 8,
) -> int:
    """``booth service ledger``: serve the booth until SIGTERM; the exit code for systemd."""
    setup_logging()
    return_large_buffers_to_the_system()
    isolate_photo_checks()  # Pillow stays out of the service: the photos are checked in a child
    isolate_scrypt()  # and each PIN's scrypt (16 MiB) runs in a short-lived child, gone with it
    notifier = Notifier.from_environment()
    bound: Path | None = None
    try:
        if not allow_uids and not allow_users:
            # Run by hand (a developer, the README): serve the user who started it, and say so.
            # The appliance's unit always names the kiosk's user (--allow-user booth-kiosk).
            allow_uids = [os.getuid()]
            log.warning(
                "melayani pengguna ini saja / serving only this user (uid %d); give --allow-user for the kiosk's user",
                os.getuid(),
            )
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
    server = LedgerServer(
        service,
        listener,
        allowed_uids=allowed,
        notifier=notifier,
        watchdog=watchdog_interval(),
        methods=methods,
        clock=clock or service.clock,
        frame_timeout=frame_timeout,
        max_clients=max_clients,
    )
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: server.stop())
    log.info(
        "serving %s to uid %s", socket_path if bound else "the socket from systemd", ",".join(map(str, sorted(allowed)))
    )
    try:
        server.serve_forever()
    finally:
        if bound is not None:
            bound.unlink(missing_ok=True)
        notifier.close()
    return EXIT_INTERNAL_ERROR if server.fatal is not None else 0
