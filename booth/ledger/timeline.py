"""The times of a device's events, as ``booth verify`` checks them.

A booth has no network and perhaps no real-time clock, so its wall clock is only as
good as its last setting. Every event carries three clocks (``docs/ledger-format.md``):
``time`` (the wall clock, UTC), ``boot`` (the kernel's boot ID) and ``mono_ns`` (the
monotonic clock of that boot). Within one boot nothing on the device sets the wall
clock (``booth-clock.service`` sets it from the RTC before the ledger starts), and the
monotonic clock never goes back, so:

* within one boot, an event whose monotonic time or wall time is earlier than the
  event before it is **invalid**: the log was edited, or the clock was set mid-day;
* across boots (after a power cut, a Pi without an RTC comes back at the image's build
  time or at its last saved time) a wall time earlier than the last event of the
  previous boot is a **warning**, listed with the gap, for the committee to weigh
  against the handover's clock check (``custody.handed_over``'s ``clock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _parse(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def gap_words(seconds: float) -> str:
    """``"2 h 05 min"``, ``"3 min 20 s"`` or ``"0.4 s"``: a gap as people read it.

    >>> gap_words(7500), gap_words(200), gap_words(0.4)
    ('2 h 05 min', '3 min 20 s', '0.4 s')
    """
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} days {hours % 24} h"


@dataclass
class TimeWalk:
    """Follow the events in order; ``problems`` go to the report, ``warnings`` are listed."""

    warnings: list[dict[str, Any]] = field(default_factory=list)
    boots: int = 0
    #: the event before: (index, boot, mono_ns, time), a plain tuple (made once per event)
    _last: tuple[int, str, int, str] | None = None

    def follow(self, add: Callable[[str, str], None], where: str, index: int, entry: dict[str, Any]) -> None:
        """One well-formed entry (``formats.check_entry_shape`` passed: ``time`` has the fixed
        form ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, so times compare as text; a date is made
        only where one goes back, to say by how much)."""
        text, boot, mono = entry["time"], entry["boot"], entry["mono_ns"]
        last = self._last
        if last is not None and boot == last[1] and mono >= last[2] and text >= last[3]:
            # the same boot, neither clock gone back: the walk's common case, nothing to say
            self._last = (index, boot, mono, text)
            return
        if last is None or boot != last[1]:
            self.boots += 1
        when: dt.datetime | None = None
        before: dt.datetime | None = None
        if last is not None and text < last[3]:
            try:
                when, before = _parse(text), _parse(last[3])
            except ValueError:
                add(where, f"time {text!r} is not a real date")
                return
        if last is not None and boot == last[1]:
            if mono < last[2]:
                add(where, f"the monotonic clock goes back within one boot (after event {last[0]}): log edited")
            elif when is not None and before is not None:
                add(
                    where,
                    f"time {text} is {gap_words((before - when).total_seconds())} before event "
                    f"{last[0]} of the same boot: the log was edited or the clock set mid-day",
                )
        elif last is not None and when is not None and before is not None:
            gap = (before - when).total_seconds()
            self.warnings.append(
                {
                    "event": index,
                    "after_event": last[0],
                    "gap_s": round(gap, 3),
                    "what": f"event {index} (a new boot) is dated {gap_words(gap)} before event {last[0]}, "
                    f"the last of the boot before: the clock was behind after the restart",
                }
            )
        self._last = (index, boot, mono, text)
