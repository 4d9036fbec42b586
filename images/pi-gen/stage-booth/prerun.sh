#!/bin/bash
# pi-gen stage prerun: start from stage2's root file system (Raspberry Pi OS Lite).
# copy_previous is pi-gen's own function (scripts/common, exported by its build.sh).
set -euo pipefail

if [ ! -d "${ROOTFS_DIR}" ]; then
	copy_previous
fi
