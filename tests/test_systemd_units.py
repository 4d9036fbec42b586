"""The appliance's systemd units: they load cleanly and are locked down as the design promises.

``systemd-analyze`` comes with Debian's ``systemd`` package; the tests skip
(saying so) only where it is absent.  The boot test (tests/test_boot.py) runs
the same units under a real systemd.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parent.parent / "systemd"
SERVICE_FILES = (
    "booth-ledger.socket",
    "booth-ledger.service",
    "booth-kiosk.service",
    "booth-station-link.service",
    "booth-station-relay.service",
)
INSTALLED_BOOTH = "/opt/booth/bin/booth"

# Exposure limits from the appliance issue (systemd-analyze security, 0 = locked down, 10 = exposed).
LEDGER_EXPOSURE_LIMIT = 1.0
KIOSK_EXPOSURE_LIMIT = 2.0
LINK_EXPOSURE_LIMIT = 1.5  # on the network by design: AF_INET, no PrivateNetwork
RELAY_EXPOSURE_LIMIT = 1.0  # two Unix sockets only

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed (Debian package: systemd)"
)


def unit_settings(name: str) -> dict[tuple[str, str], list[str]]:
    """Every (section, key) of a unit file with all its values, in order."""
    settings: dict[tuple[str, str], list[str]] = {}
    section = ""
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


@pytest.fixture
def checkable_units(tmp_path):
    """The units with ExecStart pointing at a booth that exists here (verify checks the binary)."""
    booth = shutil.which("booth") or "/bin/true"
    for name in SERVICE_FILES:
        text = (UNITS / name).read_text().replace(INSTALLED_BOOTH, booth)
        (tmp_path / name).write_text(text)
    return tmp_path


@needs_analyze
def test_systemd_analyze_verify_prints_nothing(checkable_units):
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(checkable_units / n) for n in SERVICE_FILES]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result.stdout + result.stderr


def exposure(unit: Path) -> tuple[float, str]:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout + result.stderr
    assert result.stderr == "", result.stderr  # no unknown or misplaced settings
    return float(found.group(1)), result.stdout


@needs_analyze
def test_the_ledger_service_is_locked_down(checkable_units):
    level, report = exposure(checkable_units / "booth-ledger.service")
    print(f"booth-ledger.service exposure {level} (limit {LEDGER_EXPOSURE_LIMIT})")
    assert level <= LEDGER_EXPOSURE_LIMIT, report


@needs_analyze
def test_the_kiosk_service_is_locked_down(checkable_units):
    level, report = exposure(checkable_units / "booth-kiosk.service")
    print(f"booth-kiosk.service exposure {level} (limit {KIOSK_EXPOSURE_LIMIT})")
    assert level <= KIOSK_EXPOSURE_LIMIT, report


@needs_analyze
def test_the_station_link_is_locked_down(checkable_units):
    level, report = exposure(checkable_units / "booth-station-link.service")
    print(f"booth-station-link.service exposure {level} (limit {LINK_EXPOSURE_LIMIT})")
    assert level <= LINK_EXPOSURE_LIMIT, report


def test_the_station_link_is_its_own_user_on_the_station_network_only_and_cannot_see_the_keys():
    s = unit_settings("booth-station-link.service")
    assert s["Service", "Type"] == ["notify"] and s["Service", "WatchdogSec"]
    assert s["Service", "Restart"] == ["on-failure"]
    assert s["Service", "User"] == ["booth-link"] and s["Service", "Group"] == ["booth-link-api"]
    assert s["Service", "StateDirectory"] == ["booth-link"] and s["Service", "StateDirectoryMode"] == ["0700"]
    assert "-/var/lib/booth" in s["Service", "InaccessiblePaths"]  # the device key and the ledger
    assert s["Service", "IPAddressDeny"] == ["any"]
    allowed = s["Service", "IPAddressAllow"][0].split()
    assert "0.0.0.0/0" not in allowed and "any" not in allowed  # no internet
    assert s["Service", "RestrictAddressFamilies"] == ["AF_UNIX AF_INET AF_INET6"]
    assert s["Service", "CapabilityBoundingSet"] == [""]  # a port above 1024: no capability
    assert s["Service", "PrivateDevices"] == ["yes"] and s["Service", "LimitCORE"] == ["0"]
    exec_start = s["Service", "ExecStart"][0]
    assert "station link" in exec_start and "--control /run/booth-link/control.sock" in exec_start
    assert "--allow-user booth-ledger" in exec_start and "device.key" not in exec_start
    assert "--allow-user booth-relay" in exec_start
    members = [line.split() for line in (UNITS / "booth.conf").read_text().splitlines() if line.startswith("m ")]
    assert ["m", "booth-ledger", "booth-link-api"] in members
    assert ["m", "booth-kiosk", "booth-link-api"] not in members


def test_the_ledger_has_no_devices_no_network_and_owns_the_state_directory():
    s = unit_settings("booth-ledger.service")
    assert s["Service", "Type"] == ["notify"] and s["Service", "WatchdogSec"]
    assert s["Service", "Restart"] == ["on-failure"]
    assert s["Service", "User"] == ["booth-ledger"]
    assert s["Service", "StateDirectory"] == ["booth"] and s["Service", "StateDirectoryMode"] == ["0700"]
    assert s["Service", "PrivateDevices"] == ["yes"]
    assert s["Service", "PrivateNetwork"] == ["yes"] and s["Service", "IPAddressDeny"] == ["any"]
    assert s["Service", "RestrictAddressFamilies"] == ["AF_UNIX"]
    assert s["Service", "CapabilityBoundingSet"] == [""]
    assert s["Service", "LimitCORE"] == ["0"]  # a core dump would hold the signing key
    assert "--allow-user booth-kiosk" in s["Service", "ExecStart"][0]


def test_the_kiosk_cannot_see_the_state_directory_and_has_no_network():
    s = unit_settings("booth-kiosk.service")
    assert s["Service", "Type"] == ["notify"] and s["Service", "WatchdogSec"]
    assert s["Service", "User"] == ["booth-kiosk"]
    assert "-/var/lib/booth" in s["Service", "InaccessiblePaths"]
    assert s["Service", "PrivateNetwork"] == ["yes"] and s["Service", "IPAddressDeny"] == ["any"]
    # the device's own hardware configuration, never the all-simulated default
    assert s["Service", "ExecStart"] == [
        f"{INSTALLED_BOOTH} kiosk --socket /run/booth/api.sock --hardware /etc/booth/hardware.toml"
        " --board /run/booth-board/board.json"
    ]
    assert s["Service", "DevicePolicy"] == ["closed"]
    allowed = " ".join(s["Service", "DeviceAllow"])
    for device in ("char-drm", "char-input", "char-gpiochip", "char-ttyAMA", "char-usb", "char-video4linux"):
        assert device in allowed


def test_only_the_kiosks_group_may_open_the_socket():
    s = unit_settings("booth-ledger.socket")
    assert s["Socket", "ListenStream"] == ["/run/booth/api.sock"]
    assert s["Socket", "SocketMode"] == ["0660"] and s["Socket", "SocketGroup"] == ["booth-api"]
    members = [line.split() for line in (UNITS / "booth.conf").read_text().splitlines() if line.startswith("m ")]
    assert ["m", "booth-kiosk", "booth-api"] in members
    assert ["m", "booth-ledger", "booth-api"] not in members


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="systemd-sysusers not installed")
def test_the_users_file_creates_both_users(tmp_path):
    (tmp_path / "etc").mkdir()
    result = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", "--dry-run", str(UNITS / "booth.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr  # systemd-sysusers reports on stderr
    assert "Creating user 'booth-ledger'" in said and "Creating user 'booth-kiosk'" in said
    assert "Creating user 'booth-link'" in said


def test_the_state_directory_is_private_to_the_ledger():
    lines = [
        line.split()
        for line in (UNITS / "booth-tmpfiles.conf").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert ["d", "/var/lib/booth", "0700", "booth-ledger", "booth-ledger", "-"] in lines


@needs_analyze
def test_the_station_relay_is_locked_down(checkable_units):
    level, report = exposure(checkable_units / "booth-station-relay.service")
    print(f"booth-station-relay.service exposure {level} (limit {RELAY_EXPOSURE_LIMIT})")
    assert level <= RELAY_EXPOSURE_LIMIT, report


def test_the_station_relay_reaches_only_the_two_sockets_and_sees_no_key():
    s = unit_settings("booth-station-relay.service")
    assert s["Service", "User"] == ["booth-relay"] and s["Service", "Restart"] == ["always"]
    assert s["Service", "PrivateNetwork"] == ["yes"] and s["Service", "RestrictAddressFamilies"] == ["AF_UNIX"]
    assert "-/var/lib/booth" in s["Service", "InaccessiblePaths"][0].split()
    assert "-/var/lib/booth-link" in s["Service", "InaccessiblePaths"][0].split()
    assert s["Service", "CapabilityBoundingSet"] == [""] and ("Service", "StateDirectory") not in s
    exec_start = s["Service", "ExecStart"][0]
    assert "station relay" in exec_start and "--socket /run/booth/api.sock" in exec_start
    assert "--control /run/booth-link/control.sock" in exec_start
    members = [line.split() for line in (UNITS / "booth.conf").read_text().splitlines() if line.startswith("m ")]
    assert ["m", "booth-relay", "booth-api"] in members and ["m", "booth-relay", "booth-link-api"] in members
    assert "--allow-user booth-relay" in unit_settings("booth-ledger.service")["Service", "ExecStart"][0]
    # at the desk it writes the booths' board into its own runtime directory, which only the kiosk
    # may read besides it (the kiosk is kept off the link's control socket)
    assert "--board /run/booth-board/board.json" in exec_start
    assert s["Service", "RuntimeDirectory"] == ["booth-board"] and s["Service", "RuntimeDirectoryMode"] == ["0750"]
    assert ["m", "booth-kiosk", "booth-relay"] in members and ["m", "booth-kiosk", "booth-link-api"] not in members
