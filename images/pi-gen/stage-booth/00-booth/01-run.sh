#!/bin/bash
# pi-gen sub-stage: install booth into the image with THE install script that the
# boot test also uses — images/install-booth.sh from the booth source tree, not a copy.
#
# images/pi-gen/build.sh copied the booth source tree (without .git) to
# files/booth-src/ of this sub-stage.  It goes into the image's root file system,
# and install-booth.sh runs inside it via pi-gen's on_chroot, with ROOT=/ (the
# same way it would run on a device): venv /opt/booth with --system-site-packages,
# booth, the units from systemd/, sysusers, tmpfiles, /etc/booth/hardware.toml
# (real hardware), units enabled.  Then the copy is removed again.
set -euo pipefail

src="files/booth-src"
dest="/var/tmp/booth-src"

[ -f "${src}/images/install-booth.sh" ] || {
	echo "stage-booth: ${src}/images/install-booth.sh is missing: run images/pi-gen/build.sh, not pi-gen alone" >&2
	exit 1
}

rm -rf "${ROOTFS_DIR:?}${dest}"
mkdir -p "${ROOTFS_DIR}${dest}"
cp -a "${src}/." "${ROOTFS_DIR}${dest}/"

# What the device shows and notes at provisioning (booth version, source revision, date).
install -d -m 0755 "${ROOTFS_DIR}/etc/booth"
if [ -f files/image-release ]; then
	install -m 0644 files/image-release "${ROOTFS_DIR}/etc/booth/image-release"
else
	echo "BOOTH_IMAGE=${IMG_NAME:-booth}-unknown" >"${ROOTFS_DIR}/etc/booth/image-release"
fi

on_chroot <<CHROOT
set -e
bash ${dest}/images/install-booth.sh / ${dest}
CHROOT

rm -rf "${ROOTFS_DIR:?}${dest}"
