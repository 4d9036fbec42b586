"""Where the services' messages go: the journal on the appliance, plain stderr on a laptop.

Each service calls :func:`setup_logging` once as it starts (``booth service
ledger``, ``booth kiosk``); every other module only logs, through
``logging.getLogger(__name__)``, and never configures anything::

    log = logging.getLogger(__name__)
    log.warning("printer: %s", exc)

Under systemd the service's stderr is a stream into journald (systemd sets
``JOURNAL_STREAM`` to that stream's device and inode).  There each line starts
with its syslog priority, ``<3>`` for an error, ``<4>`` for a warning, ``<6>``
for information, which journald reads as the entry's priority (sd-daemon(3)),
so ``journalctl -u booth-kiosk -p warning`` shows the printer's paper-out but
not the routine.  The journal adds the time and the unit itself.  On a laptop,
in tests and in CI the same messages go to stderr as plain text.

What may be logged follows the secrecy rule: that *a* ballot was cast or a
slip printed, never which ballot, its choice, or the voter.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import TextIO

#: syslog priorities (RFC 5424) by logging level, as journald reads them from a "<N>" prefix
PRIORITIES = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}

#: The format on a terminal, in tests and in CI: the level and the room the message comes from.
PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: The format in the journal, which keeps the level (the "<N>" prefix), the time and the unit itself.
JOURNAL_FORMAT = "%(name)s: %(message)s"


def priority(levelno: int) -> int:
    """The syslog priority of a logging level (levels between two take the more urgent one).

    >>> priority(logging.WARNING), priority(logging.INFO), priority(25)
    (4, 6, 4)
    """
    for level in sorted(PRIORITIES):
        if levelno <= level:
            return PRIORITIES[level]
    return PRIORITIES[logging.CRITICAL]


class JournalFormatter(logging.Formatter):
    """Every line of a record (a traceback too) prefixed with the record's syslog priority.

    >>> record = logging.LogRecord("booth.kiosk", logging.ERROR, "", 0, "paper out\\nreplace the roll", None, None)
    >>> print(JournalFormatter(JOURNAL_FORMAT).format(record))
    <3>booth.kiosk: paper out
    <3>replace the roll
    """

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).splitlines())


def under_journald(stream: TextIO | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Is ``stream`` (stderr) the journal stream systemd gave this service?

    systemd sets ``JOURNAL_STREAM=DEVICE:INODE``; a child whose stderr was
    redirected elsewhere inherits the variable but not the stream, so the two
    are compared rather than trusting the variable alone.
    """
    stream = sys.stderr if stream is None else stream
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    if not value:
        return False
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return value == f"{st.st_dev}:{st.st_ino}"


def setup_logging(
    level: int = logging.INFO, *, stream: TextIO | None = None, environ: Mapping[str, str] | None = None
) -> logging.Handler:
    """Send the process's log records to the journal (under systemd) or to stderr; returns the handler.

    Called again (a test, a restarted service loop) it replaces the handler it
    set before instead of adding a second one.
    """
    stream = sys.stderr if stream is None else stream
    handler = logging.StreamHandler(stream)
    if under_journald(stream, environ):
        handler.setFormatter(JournalFormatter(JOURNAL_FORMAT))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    handler.set_name("booth")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "booth"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
