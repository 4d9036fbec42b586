#!/usr/bin/env bash
# images/pi-gen/build.sh — build the booth SD-card image with pi-gen.
#
#   images/pi-gen/build.sh [--docker | --native] [--prepare-only] PI_GEN_DIR
#   images/pi-gen/build.sh --check-image IMAGE
#
# PI_GEN_DIR is a checkout of pi-gen (github.com/RPi-Distro/pi-gen, its arm64 branch
# for 64-bit bookworm).  The machines this project is developed and tested on reach
# neither GitHub nor the Raspberry Pi archive, so pi-gen is never fetched here:
# clone it on a machine that reaches both (docs/install.md).
#
#   1. copies stage-booth/ and config into PI_GEN_DIR (replacing earlier copies),
#      the booth source tree (without .git and build litter) into
#      stage-booth/00-booth/files/booth-src — 01-run.sh runs ITS
#      images/install-booth.sh, the script the boot test runs — and an
#      image-release note (booth version, source revision, date);
#   2. puts SKIP_IMAGES in PI_GEN_DIR/stage2, so only the booth image is exported;
#   3. runs pi-gen: build-docker.sh (default; needs Docker and binfmt for arm64) or,
#      with --native, its build.sh (as root, on Debian/Ubuntu with pi-gen's depends);
#   4. checks the image: partition 2 (root) must end before the data partition's
#      fixed start (START_MIB in booth-data-partition), or the device would refuse
#      to make its data partition.
# --prepare-only stops after step 2.  --check-image does step 4 alone on an image
# (.img, .img.xz, .img.gz or .zip).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
stage="$here/stage-booth"
data_script="$stage/00-booth/files/booth-data-partition"

say() { echo "images/pi-gen/build.sh: $*"; }
die() { echo "images/pi-gen/build.sh: $*" >&2; exit 1; }
usage() { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

data_start_mib() {
  local mib
  mib="$(sed -n 's/^START_MIB=\([0-9][0-9]*\).*/\1/p' "$data_script")"
  [ -n "$mib" ] || die "cannot read START_MIB from $data_script"
  echo "$mib"
}

# Step 4: the root partition ends before the data partition's start.
check_image() {
  local img="$1" head tmp start_mib limit p2
  [ -f "$img" ] || die "no image $img"
  tmp="$(mktemp)"
  # Only the first MiB is needed: the partition table is in sector 0.
  case "$img" in
    *.xz)  (xz -dc "$img" 2>/dev/null || true) | head -c 1048576 >"$tmp" ;;
    *.gz)  (gzip -dc "$img" 2>/dev/null || true) | head -c 1048576 >"$tmp" ;;
    *.zip) (unzip -p "$img" '*.img' 2>/dev/null || true) | head -c 1048576 >"$tmp" ;;
    *)     head -c 1048576 "$img" >"$tmp" ;;
  esac
  head="$(sfdisk --dump "$tmp" 2>/dev/null || true)"
  rm -f "$tmp"
  p2="$(printf '%s\n' "$head" | awk -F'[=,]' '/^[^ ]*2 *: *start=/ { gsub(/ /, ""); print $2 + $4 }')"
  [ -n "$p2" ] || die "$img: no partition 2 in its partition table"
  start_mib="$(data_start_mib)"
  limit=$(( start_mib * 1024 * 1024 / 512 ))
  if [ "$p2" -gt "$limit" ]; then
    die "$img: the root partition ends at sector $p2, past the data partition's start ($start_mib MiB = sector $limit); raise START_MIB in booth-data-partition (a device re-flashed from an older image still finds its data partition where it is: docs/install.md)"
  fi
  say "$img: root partition ends at $(( p2 * 512 / 1024 / 1024 )) MiB, before the data partition at $start_mib MiB: ok"
}

mode=docker
prepare_only=0
check=""
while [ $# -gt 0 ]; do
  case "$1" in
    --docker) mode=docker; shift ;;
    --native) mode=native; shift ;;
    --prepare-only) prepare_only=1; shift ;;
    --check-image) check="${2:?--check-image needs an image file}"; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "images/pi-gen/build.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
if [ -n "$check" ]; then
  [ $# -eq 0 ] || usage
  check_image "$check"
  exit 0
fi
[ $# -eq 1 ] || usage
pigen="$(cd "$1" 2>/dev/null && pwd)" || die "$1 is not a directory (a pi-gen checkout)"

for need in build.sh stage0 stage1 stage2 export-image scripts/common; do
  [ -e "$pigen/$need" ] || die "$pigen is not a pi-gen checkout (no $need)"
done
case "$pigen/" in "$repo/"*) die "put the pi-gen checkout outside the booth repository" ;; esac
[ -f "$repo/images/install-booth.sh" ] || die "$repo/images/install-booth.sh is missing"

# ------------------------------------------------------------- 1. copy into pi-gen
say "copying stage-booth and config into $pigen"
rm -rf "${pigen:?}/stage-booth"
cp -a "$stage" "$pigen/stage-booth"
cp "$here/config" "$pigen/config"

src="$pigen/stage-booth/00-booth/files/booth-src"
say "copying the booth source tree ($repo) into stage-booth/00-booth/files/booth-src"
mkdir -p "$src"
tar -C "$repo" \
  --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.egg-info' \
  --exclude=__pycache__ --exclude=.pytest_cache --exclude=.hypothesis --exclude=.ruff_cache \
  --exclude=.mypy_cache --exclude=./.benchmarks --exclude=./.venv --exclude=./venv \
  --exclude=./out --exclude=./demo-out --exclude="*.pyc" \
  -cf - . | tar -C "$src" -xf -

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/pyproject.toml" | head -n 1)"
revision="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
built="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cat >"$pigen/stage-booth/00-booth/files/image-release" <<EOF
BOOTH_IMAGE=booth-${version:-unknown}-${revision}-${built%%T*}
BOOTH_VERSION=${version:-unknown}
BOOTH_SOURCE_REVISION=${revision}
BOOTH_BUILT=${built}
EOF

# ------------------------------------------------------- 2. only our image exported
touch "$pigen/stage2/SKIP_IMAGES"

if [ "$prepare_only" = 1 ]; then
  say "prepared $pigen (--prepare-only: pi-gen not run)"
  exit 0
fi

# ------------------------------------------------------------------ 3. run pi-gen
cd "$pigen"
if [ "$mode" = docker ]; then
  [ -x ./build-docker.sh ] || die "$pigen has no build-docker.sh; use --native"
  say "running pi-gen's build-docker.sh"
  ./build-docker.sh
else
  [ "$(id -u)" = 0 ] || die "pi-gen's build.sh must run as root"
  say "running pi-gen's build.sh"
  ./build.sh
fi

# ------------------------------------------------------------- 4. check the image
image="$(find deploy -maxdepth 1 -type f \( -name '*booth*.img' -o -name '*booth*.img.xz' -o -name '*booth*.img.gz' \
  -o -name '*booth*.zip' \) -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n 1 | cut -d' ' -f2- || true)"
[ -n "$image" ] || die "pi-gen finished but $pigen/deploy holds no booth image"
check_image "$image"
say "image: $pigen/$image (flash it: docs/install.md)"
