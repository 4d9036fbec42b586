"""Time for the ledger: a UTC wall clock plus a monotonic reading.

Time is passed in (``SystemClock`` on the device, ``FakeClock`` in tests and
the simulator) so that a whole election day can run in seconds.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Protocol


def _boot_id() -> str:
    """The kernel's boot ID, so monotonic readings can be compared within a boot."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:16]
    except OSError:
        return "unknown"


class Clock(Protocol):
    """What the ledger and the core read the time from: :class:`SystemClock` or :class:`FakeClock`."""

    boot: str

    def now(self) -> dt.datetime: ...
    def monotonic_ns(self) -> int: ...


class SystemClock:
    """The real clock of the device."""

    def __init__(self) -> None:
        self.boot = _boot_id()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to (tests, simulator).

    >>> c = FakeClock(dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.timezone.utc))
    >>> c.advance(90); c.now().isoformat()
    '2026-11-22T07:01:30+00:00'
    """

    def __init__(self, start: dt.datetime | None = None, boot: str = "fakeboot") -> None:
        self._now = start or dt.datetime(2026, 11, 22, 0, 0, tzinfo=dt.UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._mono = 1_000_000_000
        self.boot = boot

    def now(self) -> dt.datetime:
        return self._now

    def monotonic_ns(self) -> int:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._now += dt.timedelta(seconds=seconds)
        self._mono += int(seconds * 1e9)

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def set(self, when: dt.datetime) -> None:
        """Jump the wall clock (e.g. an operator corrects it); monotonic time still only grows."""
        self._now = when
        self._mono += 1


UTC_TEXT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_text(when: dt.datetime) -> str:
    """RFC 3339 UTC text with microseconds, the form stored in events."""
    return when.astimezone(dt.UTC).strftime(UTC_TEXT_FORMAT)


def parse_utc_text(text: str) -> dt.datetime:
    """The aware UTC datetime of a :func:`utc_text` string.

    >>> parse_utc_text(utc_text(dt.datetime(2026, 11, 22, 7, 0, tzinfo=dt.timezone.utc))).isoformat()
    '2026-11-22T07:00:00+00:00'
    """
    return dt.datetime.strptime(text, UTC_TEXT_FORMAT).replace(tzinfo=dt.UTC)
