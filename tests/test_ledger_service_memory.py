"""The ledger service gives back the memory each PIN check borrows (issue #15's memory target).

Every sign-in runs scrypt (16 MB at the device's parameters).  Without the service's malloc
setting, glibc keeps that buffer resident after the second sign-in for the rest of the day.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROGRAM = """
import hashlib, sys
from booth.api.start import return_large_buffers_to_the_system
if sys.argv[1] == "service":
    assert return_large_buffers_to_the_system()
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss_mb()
for _ in range(3):  # three companions sign in
    hashlib.scrypt(b"731953", salt=b"0" * 16, n=2**14, r=8, p=1, dklen=32)
print(rss_mb() - before)
"""


def _left_resident(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and sets glibc's malloc")
def test_the_pin_checks_leave_no_16_mb_behind_in_the_ledger_service():
    plain = _left_resident("plain")
    service = _left_resident("service")
    assert plain > 12, f"glibc kept only {plain:.1f} MB: this test no longer shows the problem"
    assert service < 4, f"the ledger service kept {service:.1f} MB after three PIN checks"
