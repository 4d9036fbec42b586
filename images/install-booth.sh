#!/usr/bin/env bash
# Install booth as an appliance into a root filesystem — the ONE install script
# shared by the Raspberry Pi image recipe and the boot test (tests/test_boot.py).
#
#   images/install-booth.sh [--wheelhouse DIR] [--no-enable] ROOT BOOTH
#
#   ROOT     root filesystem to install into: "/" on the device itself, or a
#            directory (an image being built, the boot test's Debian root)
#   BOOTH    a booth wheel (.whl) or a booth source directory
#   --wheelhouse DIR   install booth's dependencies only from the wheels in DIR
#                      (no network; the boot test builds DIR on the host)
#   --no-enable        install the units but do not enable them
#
#   BOOTH_EXTRAS=...   booth's extras to install (default "kiosk,hardware": pygame-ce,
#                      gpiozero, python-escpos; "" for none)
#   BOOTH_SIM=1        write /etc/booth/hardware.toml with every device simulated
#                      (CI, training); otherwise the real-hardware example is used.
#                      An existing /etc/booth/hardware.toml is never overwritten.
#
# What it does (each step idempotent: running it twice changes nothing more):
#   /opt/booth                     venv with --system-site-packages (so Raspberry Pi OS's
#                                  python3-picamera2 and python3-lgpio are visible), booth in it
#   /usr/lib/systemd/system/       booth-ledger.socket, booth-ledger.service, booth-kiosk.service, booth-station-link.service, booth-station-relay.service (not enabled)
#   /usr/lib/sysusers.d/booth.conf users booth-ledger, booth-kiosk, group booth-api (created now)
#   /usr/lib/tmpfiles.d/booth.conf /var/lib/booth 0700 booth-ledger (created now)
#   /etc/booth/hardware.toml       hardware configuration (checked with booth's own loader)
#   and enables the socket and both services.
#
# Commands inside ROOT run with chroot in a private mount namespace (its /proc
# vanishes with it; nothing is left mounted), with a clean environment.
set -euo pipefail

usage() { sed -n '2,/^set /{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

wheelhouse=""
enable=1
while [ $# -gt 0 ]; do
  case "$1" in
    --wheelhouse) wheelhouse="${2:?--wheelhouse needs a directory}"; shift 2 ;;
    --no-enable) enable=0; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "install-booth: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
root="$(realpath "$1")"
booth_src="$(realpath "$2")"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
units="$repo/systemd"
venv=/opt/booth
extras="${BOOTH_EXTRAS-kiosk,hardware}"
staging=/var/cache/booth-install

say() { echo "install-booth: $*"; }
die() { echo "install-booth: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
[ -d "$root" ] || die "$root is not a directory"
[ -x "$root/usr/bin/python3" ] || die "$root has no /usr/bin/python3 (install python3 and python3-venv)"
[ -e "$booth_src" ] || die "$booth_src does not exist"
for f in booth-ledger.socket booth-ledger.service booth-kiosk.service booth-station-link.service booth-station-relay.service booth.conf booth-tmpfiles.conf; do
  [ -f "$units/$f" ] || die "missing $units/$f"
done

in_root() {
  if [ "$root" = / ]; then
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
  else
    [ -e "$root/dev/null" ] || mknod -m 666 "$root/dev/null" c 1 3
    # shellcheck disable=SC2016  # the inner script expands its own "$@", not ours
    unshare --mount --propagation private -- sh -c '
      root="$1"; shift
      mount -t proc proc "$root/proc"
      exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
    ' install-booth "$root" "$@"
  fi
}

# --- booth and its dependencies, in a venv that also sees the OS's Python packages
rm -rf "${root:?}$staging"
mkdir -p "$root$staging"
trap 'rm -rf "${root:?}$staging"' EXIT
if [ -d "$booth_src" ]; then
  # a source tree: copy it without build litter
  tar -C "$booth_src" --exclude=.git --exclude='*.egg-info' --exclude=build --exclude=__pycache__ \
      --exclude=.pytest_cache --exclude=.hypothesis -cf - . | (mkdir -p "$root$staging/src" && tar -C "$root$staging/src" -xf -)
  target="$staging/src"
else
  case "$booth_src" in *.whl) ;; *) die "$booth_src is neither a wheel nor a source directory" ;; esac
  cp "$booth_src" "$root$staging/"
  target="$staging/$(basename "$booth_src")"
fi
pip_opts=(--no-cache-dir --disable-pip-version-check --no-input --quiet)
if [ -n "$wheelhouse" ]; then
  mkdir -p "$root$staging/wheels"
  cp "$wheelhouse"/*.whl "$root$staging/wheels/"
  pip_opts+=(--no-index --find-links "$staging/wheels")
fi
if [ ! -x "$root$venv/bin/python" ]; then
  say "creating the venv $venv (with system site packages)"
  in_root /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
say "installing booth${extras:+[$extras]} from $(basename "$booth_src")"
in_root "$venv/bin/python" -m pip install "${pip_opts[@]}" "$target${extras:+[$extras]}"
# the same version number may carry new code: always replace booth itself
in_root "$venv/bin/python" -m pip install "${pip_opts[@]}" --force-reinstall --no-deps "$target"
in_root "$venv/bin/booth" --help >/dev/null

# --- users, directories, units
install -D -m 0644 "$units/booth.conf" "$root/usr/lib/sysusers.d/booth.conf"
install -D -m 0644 "$units/booth-tmpfiles.conf" "$root/usr/lib/tmpfiles.d/booth.conf"
for unit in booth-ledger.socket booth-ledger.service booth-kiosk.service booth-station-link.service booth-station-relay.service; do  # the link and relay: installed, enabled only on a station's devices
  install -D -m 0644 "$units/$unit" "$root/usr/lib/systemd/system/$unit"
done
say "creating users and the state directory"
in_root systemd-sysusers /usr/lib/sysusers.d/booth.conf
in_root systemd-tmpfiles --create /usr/lib/tmpfiles.d/booth.conf

# --- hardware configuration
config="$root/etc/booth/hardware.toml"
if [ -e "$config" ]; then
  say "keeping the existing /etc/booth/hardware.toml"
elif [ "${BOOTH_SIM:-0}" = 1 ]; then
  say "writing /etc/booth/hardware.toml: every device SIMULATED (BOOTH_SIM=1)"
  cat > "$config" <<'EOF'
# booth hardware configuration, written by images/install-booth.sh with BOOTH_SIM=1:
# every device is simulated (CI, training, a laptop).  See hardware.example.toml.
# Semua perangkat disimulasikan (CI, pelatihan).
[drivers]
buttons = "sim"
lights = "sim"
buzzer = "sim"
printer = "sim"
camera = "sim"
power = "sim"
EOF
else
  say "writing /etc/booth/hardware.toml: real hardware (the example from booth/hardware/)"
  in_root "$venv/bin/python" -c 'import booth.hardware, pathlib, sys
sys.stdout.write((pathlib.Path(booth.hardware.__file__).parent / "hardware.example.toml").read_text())' > "$config"
fi
chmod 0644 "$config"
in_root "$venv/bin/python" -c 'import sys; from booth.hardware.config import load_config; load_config(sys.argv[1])' \
  /etc/booth/hardware.toml || die "/etc/booth/hardware.toml does not load"

# --- enable
if [ "$enable" = 1 ]; then
  say "enabling booth-ledger.socket booth-ledger.service booth-kiosk.service"
  in_root systemctl enable --quiet booth-ledger.socket booth-ledger.service booth-kiosk.service
fi
say "done: $root$venv, units in /usr/lib/systemd/system, state in /var/lib/booth"
