"""What the tests that start real servers and browsers on this machine share.

* :func:`free_port`: a TCP port on 127.0.0.1 nothing listens on right now.
* :data:`CHROMIUM` and :data:`CHROMIUM_ARGS`: Debian's chromium (browsers cannot be downloaded
  here) and the switches that keep it quiet and off the network.
"""

from __future__ import annotations

import socket
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    """A port on 127.0.0.1 that is free now (the server started next binds it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
