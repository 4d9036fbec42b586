#!/bin/bash
# pi-gen sub-stage: lock the image down as an appliance.
#
#   read-only root   overlayroot (tmpfs over the real root, in the initramfs) —
#                    what `raspi-config nonint do_overlayfs 0` sets up, done here
#                    explicitly because raspi-config builds for the RUNNING kernel
#                    (uname -r), which inside pi-gen's chroot is the build host's;
#                    /boot/firmware mounted read-only
#   data partition   booth-data.service + booth-data-partition: partition 3 for
#                    /var/lib/booth, made on the first boot (ext4, data=journal);
#                    the root partition is NOT grown to fill the card
#   provisioning     booth-provision.service: device key, committee key, fingerprint
#   radios off       dtoverlay=disable-wifi, dtoverlay=disable-bt, rfkill, and the
#                    network, Wi-Fi and Bluetooth services masked
#   no remote login  openssh-server purged, ssh/sshswitch masked
#   console locked   no getty on tty1 or any VT, no serial console (the UART is the
#                    printer's), root and the first user locked, no sudo
#   clock            a DS3231 RTC on I2C (dtoverlay=i2c-rtc,ds3231) and booth-clock.service,
#                    which sets the system time from it before the ledger starts
#   screen           never blanks (consoleblank=0), no splash, no cursor
# Runs on the build host with pi-gen's ROOTFS_DIR, FIRST_USER_NAME and on_chroot.
set -euo pipefail

boot="${ROOTFS_DIR}/boot/firmware"
if [ ! -f "${boot}/config.txt" ] || [ ! -f "${boot}/cmdline.txt" ]; then
	echo "stage-booth: ${boot}/config.txt or cmdline.txt is missing (pi-gen bookworm layout expected)" >&2
	exit 1
fi

# --------------------------------------------------------------- units and scripts
install -D -m 0755 files/booth-data-partition "${ROOTFS_DIR}/usr/lib/booth-image/booth-data-partition"
install -D -m 0755 files/booth-provision "${ROOTFS_DIR}/usr/lib/booth-image/booth-provision"
install -D -m 0755 files/booth-clock "${ROOTFS_DIR}/usr/lib/booth-image/booth-clock"
install -D -m 0644 files/booth-clock.service "${ROOTFS_DIR}/usr/lib/systemd/system/booth-clock.service"
install -D -m 0644 files/booth-data.service "${ROOTFS_DIR}/usr/lib/systemd/system/booth-data.service"
install -D -m 0644 files/booth-provision.service "${ROOTFS_DIR}/usr/lib/systemd/system/booth-provision.service"
install -D -m 0644 files/booth-radios-off.service "${ROOTFS_DIR}/usr/lib/systemd/system/booth-radios-off.service"
install -D -m 0644 files/booth-ledger-image.conf \
	"${ROOTFS_DIR}/usr/lib/systemd/system/booth-ledger.service.d/10-booth-image.conf"
install -D -m 0644 files/journald-booth.conf "${ROOTFS_DIR}/etc/systemd/journald.conf.d/booth.conf"
install -D -m 0644 files/logind-booth.conf "${ROOTFS_DIR}/etc/systemd/logind.conf.d/booth.conf"
install -D -m 0644 files/sysctl-booth.conf "${ROOTFS_DIR}/etc/sysctl.d/90-booth.conf"
install -D -m 0644 files/overlayroot.local.conf "${ROOTFS_DIR}/etc/overlayroot.local.conf"

# --------------------------------------------------------------------- config.txt
# One marked block, replaced on a re-run.
config="${boot}/config.txt"
sed -i '/^# --- booth appliance ---$/,/^# --- end booth appliance ---$/d' "${config}"
cat >>"${config}" <<'EOF'
# --- booth appliance ---
[all]
# Wi-Fi and Bluetooth off (the booth has no network)
dtoverlay=disable-wifi
dtoverlay=disable-bt
# the UART on GPIO14/15 is the thermal printer's (docs/wiring.md); no console on it
enable_uart=1
# the clock: a DS3231 real-time clock module on I2C (GPIO2/3, docs/wiring.md) for a Pi 4;
# a Pi 5 has its own RTC, and the overlay finds no module there and does nothing
dtparam=i2c_arm=on
dtoverlay=i2c-rtc,ds3231
# the read-only root is set up by overlayroot in the initramfs
auto_initramfs=1
disable_splash=1
# --- end booth appliance ---
EOF

# -------------------------------------------------------------------- cmdline.txt
# One line.  Taken out: the serial console, the first-boot root resize (the rest of
# the card is the data partition).  Put in: the overlay root, no blanking, quiet.
cmdline="${boot}/cmdline.txt"
read -r -a tokens <"${cmdline}"
kept=()
for token in "${tokens[@]}"; do
	case "${token}" in
		console=serial0*|console=ttyAMA*|console=ttyS*) ;;
		init=/usr/lib/raspberrypi-sys-mods/firstboot|resize) ;;
		overlayroot=*|consoleblank=*|loglevel=*|logo.nologo|vt.global_cursor_default=*|quiet) ;;
		*) kept+=("${token}") ;;
	esac
done
kept+=(quiet loglevel=3 logo.nologo consoleblank=0 vt.global_cursor_default=0 overlayroot=tmpfs:recurse=0)
printf '%s\n' "${kept[*]}" >"${cmdline}"

# ------------------------------------------------------------------------- fstab
# /boot/firmware read-only (nothing on the device updates firmware or kernels).
fstab="${ROOTFS_DIR}/etc/fstab"
awk '$2 == "/boot/firmware" && $4 !~ /(^|,)ro(,|$)/ { $4 = $4 ",ro" } { print }' "${fstab}" >"${fstab}.booth"
cat "${fstab}.booth" >"${fstab}"
rm -f "${fstab}.booth"

# --------------------------------------------------- inside the image (on_chroot)
on_chroot <<CHROOT
set -e

# read-only root: the overlayroot hook into the initramfs of every installed kernel
update-initramfs -u -k all

# no remote login
if dpkg -s openssh-server >/dev/null 2>&1; then
	apt-get purge -y openssh-server
fi
systemctl mask ssh.service ssh.socket sshswitch.service

# no login on the console or a serial line; the kiosk owns tty1
systemctl mask getty@tty1.service getty@.service autovt@.service serial-getty@.service \
	console-getty.service
# no accounts to log in with: root and the first user locked, no sudo
passwd -l root
usermod -L -e 1 -s /usr/sbin/nologin "${FIRST_USER_NAME}"
gpasswd -d "${FIRST_USER_NAME}" sudo || true
rm -f /etc/sudoers.d/010_pi-nopasswd
# first-boot user creation from the boot partition (userconf.txt) stays off
systemctl mask userconfig.service
# Ctrl-Alt-Del on a keyboard plugged into the booth does nothing
systemctl mask ctrl-alt-del.target

# no network, no radios
systemctl mask wpa_supplicant.service bluetooth.service hciuart.service \
	NetworkManager.service NetworkManager-wait-online.service NetworkManager-dispatcher.service \
	ModemManager.service avahi-daemon.service avahi-daemon.socket dhcpcd.service

# nothing writes to a RAM root for nothing, nothing swaps the signing key to the card
systemctl mask dphys-swapfile.service apt-daily.timer apt-daily-upgrade.timer man-db.timer \
	rpi-eeprom-update.service triggerhappy.service triggerhappy.socket

# the appliance's own units
systemctl enable booth-data.service booth-provision.service booth-radios-off.service booth-clock.service
systemctl set-default multi-user.target
CHROOT
