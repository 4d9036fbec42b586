"""Talking to systemd without a helper package: readiness, status, watchdog, socket activation.

The ``booth-ledger`` and ``booth-kiosk`` services are ``Type=notify`` units
with a watchdog.  The protocol is small enough to write here in full
(sd_notify(3), sd_listen_fds(3)):

* **Notify.**  ``$NOTIFY_SOCKET`` names an ``AF_UNIX`` datagram socket, either
  a path (``/run/systemd/notify``) or, if it starts with ``@``, a name in the
  abstract namespace (the ``@`` becomes a NUL byte).  Each message is one
  datagram of newline-separated ``KEY=value`` lines, UTF-8:
  ``READY=1``, ``STATUS=<one line for a person>``, ``WATCHDOG=1``,
  ``STOPPING=1``.  Without ``$NOTIFY_SOCKET`` (a developer's terminal, the
  tests) every call does nothing and returns False.
* **Watchdog.**  With ``WatchdogSec=`` systemd sets ``$WATCHDOG_USEC`` (and
  ``$WATCHDOG_PID``, which must be our PID); the service sends ``WATCHDOG=1``
  at least every ``WATCHDOG_USEC`` microseconds.  :func:`watchdog_interval`
  gives half of it, the interval sd_watchdog_enabled(3) recommends.  If the
  pings stop, systemd kills the service and ``Restart=on-failure`` starts it
  again.
* **Socket activation.**  With a ``.socket`` unit systemd opens the listening
  socket itself and passes it as file descriptor 3 (``SD_LISTEN_FDS_START``),
  setting ``$LISTEN_FDS`` (how many) and ``$LISTEN_PID`` (must be our PID).

>>> notifier = Notifier.from_environment()      # doctest: +SKIP
>>> notifier.ready("Siap / Ready")               # doctest: +SKIP
>>> notifier.watchdog()                          # doctest: +SKIP
"""

from __future__ import annotations

import os
import socket

SD_LISTEN_FDS_START = 3


class Notifier:
    """Sends state changes to the service manager (a no-op outside systemd).

    >>> n = Notifier(None)
    >>> n.ready("Siap / Ready")
    False
    """

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._sock: socket.socket | None = None

    @classmethod
    def from_environment(cls, environ=os.environ) -> Notifier:
        return cls(environ.get("NOTIFY_SOCKET") or None)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *lines: str) -> bool:
        """Send one datagram of ``KEY=value`` lines; True if it was sent."""
        if self.address is None:
            return False
        if any("\n" in line for line in lines):
            raise ValueError("a notify line cannot contain a newline")
        address = self.address
        if address.startswith("@"):
            address = "\0" + address[1:]
        elif not address.startswith("/"):
            return False  # vsock and other address kinds are not used on the appliance
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._sock.sendto("\n".join(lines).encode("utf-8"), address)
        except OSError:
            # The manager went away (shutdown) or the socket is full: a missed
            # ping is what the watchdog exists to notice, so never fail here.
            return False
        return True

    def ready(self, status: str | None = None) -> bool:
        lines = ["READY=1"] + ([f"STATUS={_one_line(status)}"] if status else [])
        return self.send(*lines)

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={_one_line(text)}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self, status: str | None = None) -> bool:
        lines = ["STOPPING=1"] + ([f"STATUS={_one_line(status)}"] if status else [])
        return self.send(*lines)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval(environ=os.environ, pid: int | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``$WATCHDOG_USEC``), or None if no watchdog.

    >>> watchdog_interval({"WATCHDOG_USEC": "20000000"})
    10.0
    >>> watchdog_interval({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}, pid=2) is None
    True
    """
    usec = environ.get("WATCHDOG_USEC")
    if not usec:
        return None
    wd_pid = environ.get("WATCHDOG_PID")
    if wd_pid and wd_pid != str(pid if pid is not None else os.getpid()):
        return None  # meant for another process (e.g. our parent)
    try:
        value = int(usec)
    except ValueError:
        return None
    if value <= 0:
        return None
    return value / 1_000_000 / 2


def listen_fds(environ=os.environ, pid: int | None = None, *, unset: bool = True) -> list[int]:
    """File descriptors systemd passed us (socket activation), or [] if none.

    The variables are removed afterwards (``unset``) so a child process does
    not mistake them for its own.

    >>> listen_fds({"LISTEN_FDS": "1", "LISTEN_PID": "7"}, pid=7, unset=False)
    [3]
    >>> listen_fds({"LISTEN_FDS": "1", "LISTEN_PID": "7"}, pid=8, unset=False)
    []
    """
    try:
        count = int(environ.get("LISTEN_FDS", "0"))
        listen_pid = int(environ.get("LISTEN_PID", "0"))
    except ValueError:
        count, listen_pid = 0, 0
    if unset:
        for name in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
            environ.pop(name, None)
    if count <= 0 or listen_pid != (pid if pid is not None else os.getpid()):
        return []
    return list(range(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START + count))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:400]
