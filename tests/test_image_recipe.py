"""The Raspberry Pi image recipe (images/pi-gen/), checked without pi-gen.

pi-gen and the Raspberry Pi archive are not reachable from the machines this
project is built and tested on, so the image itself is never built here.  What
can be shown here is shown by running the recipe's own scripts:

* every stage script, the first-boot scripts and build.sh parse (``bash -n``) and
  pass shellcheck (skipped, with the reason, where shellcheck is not installed);
* the first-boot scripts run under ``set -euo pipefail`` before anything else;
* ``01-run.sh`` runs with a stand-in for pi-gen's ``on_chroot`` against a fake
  root file system: it runs ``images/install-booth.sh`` — byte for byte the
  file the boot test runs — from the booth source tree, never a copy of its own;
* ``02-run.sh`` runs (twice) against a fake root with pi-gen's bookworm boot
  files: Wi-Fi and Bluetooth disabled in config.txt for every board, no serial
  console and no root resize in cmdline.txt, the overlay root on, /boot/firmware
  read-only, SSH purged and masked, no getty on tty1, root and the first user locked;
* the package list holds what booth needs on the device; the pi-gen config
  builds bookworm Lite + stage-booth with SSH off and no known password;
* the first-boot units pass ``systemd-analyze verify``;
* ``booth-data-partition`` really partitions and formats a plain disk-image file
  (no loop device, no mounting): creates partition 3 and an ext4 data=journal
  file system, changes no byte when run again, puts the partition back without
  formatting after a re-flash, and refuses to touch what is not its own;
* ``booth-provision`` really provisions a state directory with ``booth device
  init``, pins the committee key once and never replaces it, refuses a DEMO key,
  and refuses a state directory that is not a mounted data partition;
* ``build.sh --prepare-only`` fills a pi-gen checkout, and ``--check-image``
  catches a root partition that would overlap the data partition.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PIGEN = REPO / "images" / "pi-gen"
STAGE = PIGEN / "stage-booth"
SUB = STAGE / "00-booth"
FILES = SUB / "files"
INSTALL_SCRIPT = REPO / "images" / "install-booth.sh"
DATA_SCRIPT = FILES / "booth-data-partition"
PROVISION_SCRIPT = FILES / "booth-provision"
CLOCK_SCRIPT = FILES / "booth-clock"
BUILD = PIGEN / "build.sh"

STAGE_SCRIPTS = [STAGE / "prerun.sh", SUB / "01-run.sh", SUB / "02-run.sh"]
FIRST_BOOT_SCRIPTS = [DATA_SCRIPT, PROVISION_SCRIPT, CLOCK_SCRIPT]
ALL_SCRIPTS = STAGE_SCRIPTS + FIRST_BOOT_SCRIPTS + [BUILD]
# bash fragments that pi-gen sources
SOURCED = [PIGEN / "config", STAGE / "EXPORT_IMAGE"]

DEVICE_PACKAGES = {
    "python3-picamera2",
    "python3-libcamera",
    "python3-lgpio",
    "python3-venv",
    "fonts-dejavu-core",
    "libsdl2-2.0-0",
    "libdrm2",
    "libgbm1",
    "libegl1",
    "libgles2",
    "espeak-ng",
    "util-linux-extra",  # hwclock, for the real-time clock
}

# pi-gen's bookworm boot files (stage1/00-boot-files), as the stage finds them.
PIGEN_CONFIG_TXT = """\
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
arm_64bit=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[cm5]
dtoverlay=dwc2,dr_mode=host

[all]
"""
PIGEN_CMDLINES = [
    "console=serial0,115200 console=tty1 root=ROOTDEV rootfstype=ext4 fsck.repair=yes rootwait resize\n",
    "console=serial0,115200 console=tty1 root=ROOTDEV rootfstype=ext4 fsck.repair=yes rootwait quiet "
    "init=/usr/lib/raspberrypi-sys-mods/firstboot\n",
]
PIGEN_FSTAB = """\
proc            /proc           proc    defaults          0       0
BOOTDEV  /boot/firmware  vfat    defaults          0       2
ROOTDEV  /               ext4    defaults,noatime  0       1
"""

# A stand-in for pi-gen's on_chroot: keeps each chroot script, and the hash of the
# install script that the booth source copy holds at that moment.
ON_CHROOT_STUB = r"""
on_chroot() {
    local n
    n=$(find "$STUB_DIR" -maxdepth 1 -name 'chroot-*.sh' | wc -l)
    cat >"$STUB_DIR/chroot-$n.sh"
    if [ -f "$ROOTFS_DIR/var/tmp/booth-src/images/install-booth.sh" ]; then
        sha256sum "$ROOTFS_DIR/var/tmp/booth-src/images/install-booth.sh" | cut -d' ' -f1 >"$STUB_DIR/install-sha-$n"
    fi
}
export -f on_chroot
"""


def need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed (Debian packages: fdisk for sfdisk, "
            f"util-linux, e2fsprogs, shellcheck, systemd)"
        )


def run(args, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(args, **kw)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ================================================================== static checks


def test_the_stage_has_pi_gens_layout():
    assert (STAGE / "EXPORT_IMAGE").is_file(), "stage-booth must export the image"
    for script in STAGE_SCRIPTS + FIRST_BOOT_SCRIPTS + [BUILD]:
        assert script.is_file(), script
        assert os.access(script, os.X_OK), f"{script} must be executable (pi-gen runs only -x scripts)"
    assert (SUB / "00-packages-nr").is_file()
    # the install script is the repository's, never a copy in the recipe
    copies = [p for p in PIGEN.rglob("*") if p.name == "install-booth.sh"]
    assert copies == [], f"images/pi-gen must not carry its own install script: {copies}"


@pytest.mark.parametrize("script", ALL_SCRIPTS + SOURCED, ids=lambda p: str(p.relative_to(REPO)))
def test_scripts_parse(script):
    result = run(["bash", "-n", str(script)])
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", ALL_SCRIPTS + SOURCED, ids=lambda p: str(p.relative_to(REPO)))
def test_scripts_pass_shellcheck(script):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck not installed (apt-get install shellcheck)")
    args = ["shellcheck", "--shell=bash", "--external-sources"]
    if script in SOURCED:
        args.append("--exclude=SC2034")  # variables read by pi-gen, not by the fragment
    result = run(args + [script.name], cwd=script.parent)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", ALL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_scripts_start_with_strict_mode(script):
    lines = script.read_text().splitlines()
    assert lines[0].startswith("#!") and "bash" in lines[0], f"{script} must be a bash script"
    first = next(line.strip() for line in lines[1:] if line.strip() and not line.lstrip().startswith("#"))
    assert first == "set -euo pipefail", f"{script}: the first command must be `set -euo pipefail`, not {first!r}"


def package_list() -> list[str]:
    names = []
    for line in (SUB / "00-packages-nr").read_text().splitlines():
        names += line.split("#", 1)[0].split()
    return names


def test_the_package_list_holds_what_booth_needs_on_the_device():
    names = package_list()
    assert set(names) >= DEVICE_PACKAGES, f"missing: {sorted(DEVICE_PACKAGES - set(names))}"
    assert "overlayroot" in names and "rfkill" in names and "fdisk" in names
    assert not any(n.startswith("tesseract") for n in names), "tesseract is a test tool, not a device package"
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", n) for n in names), names


def source_config() -> dict[str, str]:
    keys = [
        "IMG_NAME",
        "RELEASE",
        "STAGE_LIST",
        "TARGET_HOSTNAME",
        "ENABLE_SSH",
        "FIRST_USER_NAME",
        "FIRST_USER_PASS",
        "DISABLE_FIRST_BOOT_USER_RENAME",
        "LOCALE_DEFAULT",
        "TIMEZONE_DEFAULT",
    ]
    script = "set -euo pipefail; source ./config; " + "; ".join(f'printf "%s\\0" "${k}"' for k in keys)
    result = run(["bash", "-c", script], cwd=PIGEN)
    assert result.returncode == 0, result.stderr
    return dict(zip(keys, result.stdout.split("\0"), strict=False))


def test_the_pi_gen_config():
    cfg = source_config()
    assert cfg["IMG_NAME"] == "booth"
    assert cfg["RELEASE"] == "bookworm"
    assert cfg["STAGE_LIST"] == "stage0 stage1 stage2 stage-booth"
    assert cfg["ENABLE_SSH"] == "0"
    assert cfg["DISABLE_FIRST_BOOT_USER_RENAME"] == "1"
    assert cfg["LOCALE_DEFAULT"] == "id_ID.UTF-8"
    assert cfg["TIMEZONE_DEFAULT"] == "Asia/Jakarta"
    assert re.fullmatch(r"[a-z][-a-z0-9]*", cfg["TARGET_HOSTNAME"])
    assert re.fullmatch(r"[a-z][-a-z0-9_]*", cfg["FIRST_USER_NAME"]), "pi-gen's rule for FIRST_USER_NAME"
    # a throwaway password, new at every build, never in the file (and locked by 02-run.sh)
    assert len(cfg["FIRST_USER_PASS"]) >= 32
    assert source_config()["FIRST_USER_PASS"] != cfg["FIRST_USER_PASS"]
    assert cfg["FIRST_USER_PASS"] not in (PIGEN / "config").read_text()


# ============================================================ the stage, run on a fake root


def fake_pigen(tmp_path: Path) -> Path:
    pigen = tmp_path / "pi-gen"
    for d in ("stage0", "stage1", "stage2", "export-image", "scripts"):
        (pigen / d).mkdir(parents=True)
    for f in ("build.sh", "build-docker.sh"):
        (pigen / f).write_text("#!/bin/sh\necho 'not the real pi-gen' >&2\nexit 99\n")
        (pigen / f).chmod(0o755)
    (pigen / "scripts" / "common").write_text("# pi-gen's functions\n")
    return pigen


def prepare(tmp_path: Path) -> Path:
    pigen = fake_pigen(tmp_path)
    result = run([str(BUILD), "--prepare-only", str(pigen)])
    assert result.returncode == 0, result.stdout + result.stderr
    return pigen


def fake_root(tmp_path: Path, cmdline: str = PIGEN_CMDLINES[0]) -> Path:
    root = tmp_path / "rootfs"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "boot" / "firmware" / "config.txt").write_text(PIGEN_CONFIG_TXT)
    (root / "boot" / "firmware" / "cmdline.txt").write_text(cmdline)
    (root / "etc" / "fstab").write_text(PIGEN_FSTAB)
    return root


def run_substage(script: str, substage: Path, root: Path, stub: Path) -> subprocess.CompletedProcess:
    stub.mkdir(exist_ok=True)
    env = dict(os.environ, ROOTFS_DIR=str(root), STUB_DIR=str(stub), FIRST_USER_NAME="booth-admin", IMG_NAME="booth")
    return run(["bash", "-c", ON_CHROOT_STUB + f"cd {substage} && ./{script}"], env=env)


def test_build_sh_prepares_a_pi_gen_checkout(tmp_path):
    pigen = prepare(tmp_path)
    staged = pigen / "stage-booth"
    assert (staged / "00-booth" / "02-run.sh").is_file()
    assert (pigen / "config").read_text() == (PIGEN / "config").read_text()
    assert (pigen / "stage2" / "SKIP_IMAGES").exists(), "only the booth image is exported"
    src = staged / "00-booth" / "files" / "booth-src"
    assert sha256(src / "images" / "install-booth.sh") == sha256(INSTALL_SCRIPT)
    for unit in (REPO / "systemd").iterdir():
        assert (src / "systemd" / unit.name).read_bytes() == unit.read_bytes()
    assert (src / "pyproject.toml").is_file() and (src / "booth" / "cli.py").is_file()
    assert not (src / ".git").exists()
    assert not list(src.rglob("__pycache__"))
    release = (staged / "00-booth" / "files" / "image-release").read_text()
    version = re.search(r'^version = "(.*)"$', (REPO / "pyproject.toml").read_text(), re.M).group(1)
    assert f"BOOTH_VERSION={version}\n" in release and release.startswith("BOOTH_IMAGE=booth-")


def test_build_sh_refuses_what_is_not_a_pi_gen_checkout(tmp_path):
    result = run([str(BUILD), "--prepare-only", str(tmp_path)])
    assert result.returncode != 0 and "not a pi-gen checkout" in result.stderr


def test_01_run_installs_booth_with_the_shared_install_script(tmp_path):
    pigen = prepare(tmp_path)
    root = fake_root(tmp_path)
    stub = tmp_path / "stub"
    result = run_substage("01-run.sh", pigen / "stage-booth" / "00-booth", root, stub)
    assert result.returncode == 0, result.stdout + result.stderr
    chroot = sorted(stub.glob("chroot-*.sh"))
    assert len(chroot) == 1, "one on_chroot call"
    script = chroot[0].read_text()
    assert run(["bash", "-n", str(chroot[0])]).returncode == 0
    assert re.search(r"^bash /var/tmp/booth-src/images/install-booth\.sh / /var/tmp/booth-src$", script, re.M), script
    # at that moment the image held the repository's install script, byte for byte
    assert (stub / "install-sha-0").read_text().strip() == sha256(INSTALL_SCRIPT)
    assert not (root / "var" / "tmp" / "booth-src").exists(), "the source copy is removed afterwards"
    assert (root / "etc" / "booth" / "image-release").read_text().startswith("BOOTH_IMAGE=booth-")


def test_01_run_refuses_to_run_without_the_booth_source(tmp_path):
    root = fake_root(tmp_path)
    result = run_substage("01-run.sh", SUB, root, tmp_path / "stub")
    assert result.returncode != 0 and "build.sh" in result.stderr
    assert not list((tmp_path / "stub").glob("chroot-*.sh"))


def config_sections(text: str) -> list[tuple[str, str]]:
    """(section, line) for every setting line of a config.txt."""
    section, out = "[all]", []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
        else:
            out.append((section, line))
    return out


def masked_units(script: str) -> set[str]:
    joined = script.replace("\\\n", " ")
    units: set[str] = set()
    for line in joined.splitlines():
        words = line.split()
        if words[:2] == ["systemctl", "mask"]:
            units.update(words[2:])
    return units


@pytest.mark.parametrize("cmdline", PIGEN_CMDLINES, ids=["resize-token", "firstboot-init"])
def test_02_run_locks_the_image_down(tmp_path, cmdline):
    root = fake_root(tmp_path, cmdline)
    stub = tmp_path / "stub"
    for _ in range(2):  # pi-gen may run a stage again (CONTINUE=1): nothing doubles
        result = run_substage("02-run.sh", SUB, root, stub)
        assert result.returncode == 0, result.stdout + result.stderr
    boot = root / "boot" / "firmware"

    # config.txt: radios off and the printer's UART on, for every board
    settings = config_sections((boot / "config.txt").read_text())
    for wanted in (
        "dtoverlay=disable-wifi",
        "dtoverlay=disable-bt",
        "enable_uart=1",
        "auto_initramfs=1",
        "dtparam=i2c_arm=on",  # the real-time clock's bus
        "dtoverlay=i2c-rtc,ds3231",
    ):
        where = [section for section, line in settings if line == wanted]
        assert where and where[-1] == "[all]", f"{wanted} must be set under [all]: {where}"
    assert sum(line == "dtoverlay=disable-wifi" for _, line in settings) == 1
    assert "dtparam=audio=on" in (line for _, line in settings), "pi-gen's own settings are kept"

    # cmdline.txt: one line, no serial console, no resize, overlay root, no blanking
    text = (boot / "cmdline.txt").read_text()
    assert text.count("\n") == 1 and text.endswith("\n")
    tokens = text.split()
    assert len(tokens) == len(set(tokens))
    assert not [t for t in tokens if t.startswith(("console=serial", "console=ttyAMA", "console=ttyS"))]
    assert "console=tty1" in tokens and "root=ROOTDEV" in tokens and "rootwait" in tokens
    assert "resize" not in tokens and not [t for t in tokens if t.startswith("init=")]
    assert "overlayroot=tmpfs:recurse=0" in tokens and "consoleblank=0" in tokens

    # fstab: the boot partition read-only, the rest as pi-gen wrote it
    fstab = [line.split() for line in (root / "etc" / "fstab").read_text().splitlines()]
    boot_line = next(f for f in fstab if f[1] == "/boot/firmware")
    assert boot_line[3].split(",").count("ro") == 1
    assert next(f for f in fstab if f[1] == "/")[3] == "defaults,noatime"
    assert (root / "etc" / "overlayroot.local.conf").read_text().count('overlayroot="tmpfs:recurse=0"') == 1

    # first-boot scripts and units where the units expect them
    for path, mode in [
        ("usr/lib/booth-image/booth-data-partition", 0o755),
        ("usr/lib/booth-image/booth-provision", 0o755),
        ("usr/lib/booth-image/booth-clock", 0o755),
        ("usr/lib/systemd/system/booth-clock.service", 0o644),
        ("usr/lib/systemd/system/booth-data.service", 0o644),
        ("usr/lib/systemd/system/booth-provision.service", 0o644),
        ("usr/lib/systemd/system/booth-radios-off.service", 0o644),
        ("usr/lib/systemd/system/booth-ledger.service.d/10-booth-image.conf", 0o644),
        ("etc/systemd/logind.conf.d/booth.conf", 0o644),
    ]:
        assert (root / path).stat().st_mode & 0o777 == mode, path
    assert (root / "usr/lib/booth-image/booth-data-partition").read_bytes() == DATA_SCRIPT.read_bytes()

    # what runs inside the image
    chroot = sorted(stub.glob("chroot-*.sh"))
    assert len(chroot) == 2
    script = chroot[-1].read_text()
    assert run(["bash", "-n", str(chroot[-1])]).returncode == 0
    masked = masked_units(script)
    for unit in (
        "getty@tty1.service",
        "getty@.service",
        "serial-getty@.service",
        "autovt@.service",
        "ssh.service",
        "ssh.socket",
        "sshswitch.service",
        "userconfig.service",
        "wpa_supplicant.service",
        "bluetooth.service",
        "hciuart.service",
        "NetworkManager.service",
        "dphys-swapfile.service",
        "ctrl-alt-del.target",
    ):
        assert unit in masked, f"{unit} must be masked"
    assert "apt-get purge -y openssh-server" in script
    assert re.search(r"^passwd -l root$", script, re.M)
    assert re.search(r"^usermod -L -e 1 -s /usr/sbin/nologin \"booth-admin\"$", script, re.M)
    assert "rm -f /etc/sudoers.d/010_pi-nopasswd" in script
    assert re.search(r"^update-initramfs -u -k all$", script, re.M)
    assert re.search(
        r"^systemctl enable booth-data\.service booth-provision\.service booth-radios-off\.service"
        r" booth-clock\.service$",
        script,
        re.M,
    )
    logind = (root / "etc/systemd/logind.conf.d/booth.conf").read_text()
    assert "NAutoVTs=0" in logind and "ReserveVT=0" in logind


def test_02_run_refuses_a_root_without_pi_gens_boot_files(tmp_path):
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    result = run_substage("02-run.sh", SUB, root, tmp_path / "stub")
    assert result.returncode != 0 and "cmdline.txt" in result.stderr


# ======================================================================== the units

UNITS = ["booth-data.service", "booth-provision.service", "booth-radios-off.service", "booth-clock.service"]


def unit_values(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_units_run_the_scripts_the_stage_installs():
    data = unit_values((FILES / "booth-data.service").read_text())
    assert data["Type"] == ["oneshot"] and data["RemainAfterExit"] == ["yes"]
    assert data["ExecStart"] == ["/usr/lib/booth-image/booth-data-partition"]
    assert "booth-ledger.service" in data["Before"][0].split()
    prov = unit_values((FILES / "booth-provision.service").read_text())
    assert prov["ExecStart"] == ["/usr/lib/booth-image/booth-provision"]
    assert "booth-data.service" in prov["Requires"][0].split() and "booth-data.service" in prov["After"][0].split()
    assert "booth-ledger.service" in prov["Before"][0].split()
    drop_in = unit_values((FILES / "booth-ledger-image.conf").read_text())
    for key in ("Requires", "After"):
        assert set(drop_in[key][0].split()) == {"booth-data.service", "booth-provision.service"}
    # the provisioning runs `booth device init` as the ledger's user, as the brief of booth/cli.py says
    text = PROVISION_SCRIPT.read_text()
    assert 'as_user "$booth" device init "$state"' in text and 'user="booth-ledger"' in text


def fake_hwclock(tmp_path: Path, reading: str, *, fails: bool = False) -> tuple[Path, Path]:
    """A stand-in for hwclock: prints ``reading`` for --get, records every call."""
    calls = tmp_path / "hwclock-calls"
    tool = tmp_path / "hwclock"
    tool.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >>"{calls}"\n'
        + ("echo 'hwclock: ioctl(RTC_RD_TIME) failed: Invalid argument' >&2; exit 1\n" if fails else "")
        + f'case " $* " in *" --get "*) echo "{reading}" ;; esac\n'
    )
    tool.chmod(0o755)
    return tool, calls


def run_clock(tmp_path: Path, tool: Path, rtc: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOOTH_RTC": str(rtc), "BOOTH_HWCLOCK": str(tool), "BOOTH_CLOCK_EARLIEST": "2025-01-01"}
    return run(["bash", str(CLOCK_SCRIPT)], env=env)


def test_the_clock_is_set_from_a_real_time_clock_that_holds_a_plausible_time(tmp_path):
    rtc = tmp_path / "rtc0"
    rtc.touch()
    tool, calls = fake_hwclock(tmp_path, "2026-12-03 06:01:12.123456+00:00")
    result = run_clock(tmp_path, tool, rtc)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == [f"--rtc={rtc} --get --utc", f"--rtc={rtc} --hctosys --utc"]
    assert "system time set from" in result.stdout and "2026-12-03 06:01" in result.stdout


@pytest.mark.parametrize(
    "reading, fails, said",
    [
        ("2000-01-01 00:00:07.000000+00:00", False, "battery is flat or it was never set"),
        ("", True, "cannot be read"),
    ],
    ids=["flat-battery", "unreadable"],
)
def test_a_clock_that_cannot_be_trusted_is_not_used_and_says_why(tmp_path, reading, fails, said):
    rtc = tmp_path / "rtc0"
    rtc.touch()
    tool, calls = fake_hwclock(tmp_path, reading, fails=fails)
    result = run_clock(tmp_path, tool, rtc)
    assert result.returncode == 0, result.stderr  # the day goes on; the companion checks the time
    assert said in result.stdout
    assert not any("--hctosys" in call for call in calls.read_text().splitlines())


def test_without_a_real_time_clock_the_boot_goes_on_and_says_to_check_the_time(tmp_path):
    tool, calls = fake_hwclock(tmp_path, "2026-12-03 06:01:12+00:00")
    result = run_clock(tmp_path, tool, tmp_path / "no-rtc")
    assert result.returncode == 0
    assert "no real-time clock" in result.stdout and "periksa jam" in result.stdout
    assert not calls.exists()


def test_the_clock_unit_runs_before_the_ledger():
    clock = unit_values((FILES / "booth-clock.service").read_text())
    assert clock["ExecStart"] == ["/usr/lib/booth-image/booth-clock"] and clock["Type"] == ["oneshot"]
    assert "booth-ledger.service" in clock["Before"][0].split()
    assert "fake-hwclock.service" in clock["After"][0].split()


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    need("systemd-analyze")
    for name in UNITS:
        text = (FILES / name).read_text().replace("/usr/lib/booth-image/", f"{FILES}/")
        for binary in re.findall(r"^Exec\w+=-?(\S+)", text, re.M):
            if not Path(binary).exists():  # e.g. rfkill on a build machine: not what is checked here
                text = text.replace(binary, shutil.which("true"))
        (tmp_path / name).write_text(text)
    result = run(["systemd-analyze", "verify", *[str(tmp_path / u) for u in UNITS]])
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def test_the_ledger_drop_in_passes_systemd_analyze_verify(tmp_path):
    need("systemd-analyze")
    units = tmp_path / "units"
    units.mkdir()
    for name in ("booth-ledger.service", "booth-ledger.socket"):
        text = (REPO / "systemd" / name).read_text().replace("/opt/booth/bin/booth", shutil.which("true"))
        (units / name).write_text(text)
    for name in UNITS:
        (units / name).write_text((FILES / name).read_text().replace("/usr/lib/booth-image/", f"{FILES}/"))
    (units / "booth-ledger.service.d").mkdir()
    shutil.copy(FILES / "booth-ledger-image.conf", units / "booth-ledger.service.d" / "10-booth-image.conf")
    result = run(
        ["systemd-analyze", "verify", str(units / "booth-ledger.service")],
        env=dict(os.environ, SYSTEMD_UNIT_PATH=f"{units}:"),
    )
    ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if re.search(r"booth-(data|provision|radios)|10-booth-image", line)
    ]
    assert ours == []


# ============================================================ the data partition, for real

SECTOR = 512
MIB = 1024 * 1024


def make_disk(path: Path, size: int, p2_end_mib: int = 200) -> Path:
    """A sparse disk image with pi-gen's two partitions: FAT boot, ext4 root."""
    with open(path, "wb") as f:
        f.truncate(size)
    table = (
        "label: dos\n"
        f"start={4 * MIB // SECTOR}, size={64 * MIB // SECTOR}, type=c\n"
        f"start={68 * MIB // SECTOR}, size={(p2_end_mib - 68) * MIB // SECTOR}, type=83\n"
    )
    result = run(["sfdisk", "--quiet", str(path)], input=table)
    assert result.returncode == 0, result.stderr
    return path


def partitions(disk: Path) -> dict[int, tuple[int, int]]:
    result = run(["partx", "-g", "-o", "NR,START,SECTORS", str(disk)])
    assert result.returncode == 0, result.stderr
    return {int(n): (int(s), int(c)) for n, s, c in (line.split() for line in result.stdout.splitlines())}


def label_id(disk: Path) -> str:
    return re.search(r"^label-id: (\S+)$", run(["sfdisk", "--dump", str(disk)]).stdout, re.M).group(1)


def probe(disk: Path, offset: int) -> dict[str, str]:
    out = run(["blkid", "-p", "-O", str(offset), "-o", "export", str(disk)]).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def data_partition(disk: Path, *args: str, start_mib: int = 512, min_mib: int = 64) -> subprocess.CompletedProcess:
    return run(
        [
            str(DATA_SCRIPT),
            "--disk",
            str(disk),
            "--no-mount",
            "--owner",
            run(["id", "-un"]).stdout.strip(),
            "--start-mib",
            str(start_mib),
            "--min-mib",
            str(min_mib),
            *args,
        ]
    )


def drop_partition_3(disk: Path) -> None:
    """What flashing a new image does to the table: only partitions 1 and 2 (same disk id)."""
    dump = run(["sfdisk", "--dump", str(disk)]).stdout
    kept = "\n".join(line for line in dump.splitlines() if not re.match(rf"^{re.escape(str(disk))}3 ", line))
    assert run(["sfdisk", "--quiet", "--wipe", "never", str(disk)], input=kept + "\n").returncode == 0
    assert 3 not in partitions(disk)


def debugfs(disk: Path, offset: int, *requests: str, write: bool = False) -> str:
    args = ["debugfs"] + (["-w"] if write else []) + [f"{disk}?offset={offset}"]
    for r in requests:
        args += ["-R", r]
    result = run(args)
    return result.stdout


@pytest.fixture
def data_tools():
    need("sfdisk", "partx", "blkid", "mkfs.ext4", "tune2fs", "dumpe2fs", "e2fsck", "debugfs")


def test_data_partition_is_created_once_and_then_left_alone(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    before = partitions(disk)
    disk_id = label_id(disk)

    result = data_partition(disk)
    assert result.returncode == 0, result.stdout + result.stderr
    parts = partitions(disk)
    assert parts[1] == before[1] and parts[2] == before[2], "boot and root are untouched"
    assert parts[3] == (512 * MIB // SECTOR, (1024 - 512) * MIB // SECTOR), "partition 3: fixed start, to the end"
    assert label_id(disk) == disk_id, "root=PARTUUID=<disk id>-02 must stay valid"
    offset = 512 * MIB
    fs = probe(disk, offset)
    assert fs["TYPE"] == "ext4" and fs["LABEL"] == "BOOTHDATA"
    header = run(["dumpe2fs", "-h", f"{disk}?offset={offset}"]).stdout
    assert re.search(r"^Default mount options:.*\bjournal_data\b", header, re.M), "data=journal by default"
    assert re.search(r"^Filesystem features:.*\bhas_journal\b", header, re.M)
    assert run(["e2fsck", "-n", f"{disk}?offset={offset}"]).returncode == 0
    owner = re.search(r"User:\s*(\d+)\s+Group:\s*(\d+)", debugfs(disk, offset, "stat /"))
    assert owner and int(owner.group(1)) == os.getuid(), "the file system's root belongs to --owner"

    # again: not one byte changes
    digest = sha256(disk)
    again = data_partition(disk)
    assert again.returncode == 0, again.stderr
    assert "holds the booth's data" in again.stdout
    assert sha256(disk) == digest


def test_a_reflashed_card_keeps_its_data(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    assert data_partition(disk).returncode == 0
    offset = 512 * MIB
    marker = tmp_path / "marker"
    marker.write_text("ledger of TPS 03\n")
    debugfs(disk, offset, f"write {marker} marker", write=True)
    uuid = probe(disk, offset)["UUID"]

    drop_partition_3(disk)  # a new image was flashed
    result = data_partition(disk)
    assert result.returncode == 0, result.stderr
    assert "NOT formatting" in result.stdout
    assert partitions(disk)[3][0] == offset // SECTOR
    assert probe(disk, offset)["UUID"] == uuid, "the same file system, not a new one"
    assert debugfs(disk, offset, "cat marker") == "ledger of TPS 03\n"

    # an image built with another start still finds the data where it is
    drop_partition_3(disk)
    result = data_partition(disk, start_mib=256)
    assert result.returncode == 0, result.stderr
    assert partitions(disk)[3][0] == offset // SECTOR
    assert debugfs(disk, offset, "cat marker") == "ledger of TPS 03\n"


def test_a_power_cut_between_partitioning_and_mkfs_is_finished(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    run(["sfdisk", "--quiet", "--append", str(disk)], input=f"start={512 * MIB // SECTOR}, type=L\n")
    result = data_partition(disk)
    assert result.returncode == 0, result.stderr
    assert probe(disk, 512 * MIB)["LABEL"] == "BOOTHDATA"


def test_refuses_a_partition_3_that_is_not_the_booths(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    run(["sfdisk", "--quiet", "--append", str(disk)], input=f"start={512 * MIB // SECTOR}, type=L\n")
    assert (
        run(
            ["mkfs.ext4", "-q", "-F", "-L", "OTHER", "-E", f"offset={512 * MIB}", str(disk), str(512 * MIB // 4096)]
        ).returncode
        == 0
    )
    digest = sha256(disk)
    result = data_partition(disk)
    assert result.returncode != 0 and "refusing" in result.stderr
    assert sha256(disk) == digest


def test_refuses_an_empty_partition_3_elsewhere(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    run(["sfdisk", "--quiet", "--append", str(disk)], input=f"start={300 * MIB // SECTOR}, type=L\n")
    digest = sha256(disk)
    result = data_partition(disk)
    assert result.returncode != 0 and "refusing to format" in result.stderr
    assert sha256(disk) == digest


def test_refuses_a_root_partition_reaching_into_the_data_area(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB, p2_end_mib=600)
    digest = sha256(disk)
    result = data_partition(disk)
    assert result.returncode != 0 and "too big" in result.stderr
    assert sha256(disk) == digest and 3 not in partitions(disk)


def test_refuses_a_card_too_small(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 540 * MIB)
    result = data_partition(disk)
    assert result.returncode != 0 and "too small" in result.stderr
    assert 3 not in partitions(disk)


def test_the_real_layout_fits_an_8_gb_card(tmp_path, data_tools):
    """The defaults (6 GiB start, 1 GiB minimum) on the size of a common 8 GB card."""
    disk = make_disk(tmp_path / "card.img", 7_948_206_080, p2_end_mib=3500)
    result = run([str(DATA_SCRIPT), "--disk", str(disk), "--no-mount", "--owner", run(["id", "-un"]).stdout.strip()])
    assert result.returncode == 0, result.stdout + result.stderr
    start, size = partitions(disk)[3]
    assert start * SECTOR == 6144 * MIB and size * SECTOR >= 1024 * MIB
    assert probe(disk, 6144 * MIB)["LABEL"] == "BOOTHDATA"


def test_a_file_cannot_be_mounted(tmp_path, data_tools):
    disk = make_disk(tmp_path / "card.img", 1024 * MIB)
    result = run([str(DATA_SCRIPT), "--disk", str(disk)])
    assert result.returncode != 0 and "--no-mount" in result.stderr


def test_build_sh_checks_the_root_partition_against_the_data_start(tmp_path, data_tools):
    ok = make_disk(tmp_path / "ok.img", 8 * 1024 * MIB, p2_end_mib=4000)
    result = run([str(BUILD), "--check-image", str(ok)])
    assert result.returncode == 0, result.stderr
    bad = make_disk(tmp_path / "bad.img", 8 * 1024 * MIB, p2_end_mib=6200)
    result = run([str(BUILD), "--check-image", str(bad)])
    assert result.returncode != 0 and "past the data partition" in result.stderr
    if shutil.which("xz"):
        packed = tmp_path / "bad.img.xz"
        with open(bad, "rb") as f, open(packed, "wb") as out:
            subprocess.run(["xz", "-0", "-c"], input=f.read(4 * MIB), stdout=out, check=True)
        result = run([str(BUILD), "--check-image", str(packed)])
        assert result.returncode != 0 and "past the data partition" in result.stderr


# ============================================================== provisioning, for real


@pytest.fixture
def provision_env(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    boot = tmp_path / "boot"
    (boot / "booth").mkdir(parents=True)
    booth = tmp_path / "booth"
    booth.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m booth "$@"\n')
    booth.chmod(0o755)
    user = run(["id", "-un"]).stdout.strip()

    def provision(*extra: str, check_mount: bool = False) -> subprocess.CompletedProcess:
        args = [
            str(PROVISION_SCRIPT),
            "--state",
            str(state),
            "--boot",
            str(boot),
            "--user",
            user,
            "--booth",
            str(booth),
            "--python",
            sys.executable,
            "--show-seconds",
            "0",
        ]
        if not check_mount:
            args.append("--no-mount-check")
        return run(args + list(extra), cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))

    return state, boot, provision


def committee_key(path: Path, demo: bool = False) -> bytes:
    from booth.election_package import CommitteeKeyPair

    keys = CommitteeKeyPair.generate().public
    public = keys.to_json()
    if demo:
        public["_note"] = "DEMO KEY - NOT FOR A REAL ELECTION / KUNCI DEMO - BUKAN UNTUK PEMILIHAN"
    path.write_text(json.dumps(public))
    return keys.sign_key


def pinned(state: Path):
    from booth.ledger.ledger import Ledger

    with Ledger.open(state) as ledger:
        value = ledger.get_state("committee_key")
    return None if value is None else base64.b64decode(value)


def test_provisioning_makes_the_key_once_and_pins_the_committee_key_once(provision_env):
    state, boot, provision = provision_env
    key = committee_key(boot / "booth" / "committee.pub.json")

    first = provision()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "booth device init" in first.stdout
    pub = run([sys.executable, "-m", "booth", "device", "pubkey", str(state)], cwd=REPO).stdout
    short = re.search(r"\((\w{4}-\w{4}-\w{4}-\w{4})\)", pub).group(1)
    assert short in first.stdout, "the fingerprint is shown"
    assert pinned(state) == key
    key_file = sha256(state / "device.key")

    # every later boot: same device, same key, nothing re-made
    second = provision()
    assert second.returncode == 0, second.stderr
    assert "already provisioned" in second.stdout and short in second.stdout
    assert sha256(state / "device.key") == key_file

    # another committee's key on the card never replaces the pinned one
    committee_key(boot / "booth" / "committee.pub.json")
    third = provision()
    assert third.returncode == 0, third.stderr
    assert "NOT pinned" in third.stdout
    assert pinned(state) == key


def test_provisioning_never_pins_a_demo_key(provision_env):
    state, boot, provision = provision_env
    committee_key(boot / "booth" / "committee.pub.json", demo=True)
    result = provision()
    assert result.returncode == 0, result.stderr
    assert "DEMO" in result.stdout
    assert (state / "ledger.db").exists() and pinned(state) is None


def test_provisioning_without_a_committee_key_still_provisions(provision_env):
    state, _, provision = provision_env
    result = provision()
    assert result.returncode == 0, result.stderr
    assert "not pinned" in result.stdout and (state / "device.key").exists()


def test_provisioning_refuses_a_state_directory_that_is_not_the_data_partition(provision_env):
    state, _, provision = provision_env
    result = provision(check_mount=True)
    assert result.returncode != 0 and "not the data partition" in result.stderr
    assert not any(state.iterdir()), "no key is made on the RAM overlay"


# ===================================================================== the install guide


def test_install_guide_matches_the_recipe():
    guide = (REPO / "docs" / "install.md").read_text()
    indonesian, english = guide.find("## Ringkasan"), guide.find("## English")
    assert 0 <= indonesian < english, "the Indonesian summary comes first"
    for needed in (
        "images/pi-gen/build.sh",
        "booth device init",
        "booth/committee.pub.json",
        "tests/test_image_recipe.py",
        "systemd-nspawn",
        "images/install-booth.sh",
    ):
        assert needed in guide, needed
    start = int(re.search(r"^START_MIB=(\d+)", DATA_SCRIPT.read_text(), re.M).group(1))
    assert f"{start // 1024} GiB" in guide, "the guide states the data partition's start"
