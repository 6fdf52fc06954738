#!/usr/bin/env bash
# Cross-builds the device side for aarch64 (Raspberry Pi 4/5, Jetson) and checks it
# under emulation:
#  1. an arm64 Debian 12 sysroot in build-aarch64/sysroot, made by `debootstrap
#     --foreign` (packages downloaded and unpacked, nothing run): XNNPACK, pthreadpool,
#     protobuf, zlib, cpp-httplib, nlohmann-json, CLI11, GoogleTest. (Debian's arm64
#     -dev packages of XNNPACK and libtorch cannot be installed beside the amd64 ones
#     through `dpkg --add-architecture`: apt removes the amd64 packages. A sysroot keeps
#     the host untouched.)
#  2. g++-aarch64-linux-gnu builds core, engine, device, their unit tests and
#     hiedge-device (-DHIEDGE_DEVICE_ONLY=ON) against it;
#  3. the unit tests run under qemu-aarch64-static;
#  4. hiedge-device runs the test images under qemu and on x86, and the answers must be
#     equal (predictions, decisions, remote answers; confidences within 1e-4). The x86
#     side never needs the full x86 build: its hiedge-device comes from HOST_BUILD
#     (default: build) when there, else from a device-only x86 build in
#     build-aarch64/host (no libtorch, about a minute). Offloads go to an x86 `hiedge
#     serve` when HOST_BUILD has one; without it both sides run the S-ML alone and the
#     script says so.
# Works from any clone or copy of the tree: a build folder configured for another
# source folder (a copied tree) is configured afresh.
# Needs root or sudo for apt (debootstrap, qemu-user-static, g++-aarch64-linux-gnu).
# Not part of ./scripts/test.sh; .ci/cross runs it.
# Usage: scripts/cross-aarch64.sh [images]   (default 1000)
#        CROSS_DRY_RUN=1 scripts/cross-aarch64.sh   prints the plan and exits
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${1:-1000}"
OUT="${CROSS_OUT:-$PWD/build-aarch64}"
SYSROOT="$OUT/sysroot"
HOST_BUILD="${HOST_BUILD:-build}"
DRY_RUN="${CROSS_DRY_RUN:-0}"

# A build folder configured from another source folder (a copied tree) cannot be
# reconfigured here: CMake refuses it. Such a folder is removed.
stale_build() {
  local cache="$1/CMakeCache.txt"
  [ -f "$cache" ] || return 1
  local home
  home=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$cache")
  [ "$(realpath -m "$home")" != "$(realpath -m "$PWD")" ]
}
HOST_DEVICE="$HOST_BUILD/hiedge-device"
HOST_SERVER="$HOST_BUILD/hiedge"
[ -x "$HOST_DEVICE" ] || HOST_DEVICE="$OUT/host/hiedge-device"
[ -x "$HOST_SERVER" ] || HOST_SERVER=""
if [ "$DRY_RUN" = 1 ]; then
  for dir in "$OUT/build" "$OUT/host"; do
    if stale_build "$dir"; then echo "plan: reconfigure $dir (configured for another tree)"; fi
  done
  if [ "$HOST_DEVICE" = "$OUT/host/hiedge-device" ]; then
    echo "plan: x86 hiedge-device from a device-only build in $OUT/host"
  else
    echo "plan: x86 hiedge-device from $HOST_DEVICE"
  fi
  if [ -n "$HOST_SERVER" ]; then
    echo "plan: offloads to an x86 server: $HOST_SERVER serve"
  else
    echo "plan: no x86 hiedge in $HOST_BUILD: both sides run the S-ML alone (no offloads)"
  fi
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
for p in debootstrap qemu-user-static g++-aarch64-linux-gnu; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
for dir in "$OUT/build" "$OUT/host"; do
  if stale_build "$dir"; then
    echo "cross: $dir was configured for another tree; configuring it afresh"
    rm -rf "$dir"
  fi
done
if [ "$HOST_DEVICE" = "$OUT/host/hiedge-device" ]; then
  echo "cross: x86 hiedge-device (device-only build in $OUT/host)"
  cmake -S . -B "$OUT/host" -DCMAKE_BUILD_TYPE=Release -DHIEDGE_DEVICE_ONLY=ON >/dev/null
  cmake --build "$OUT/host" -j"$(nproc)" --target hiedge-device >/dev/null
fi

if [ ! -f "$SYSROOT/usr/include/xnnpack.h" ] || [ ! -f "$SYSROOT/usr/include/png.h" ]; then
  echo "cross: arm64 sysroot (debootstrap --foreign) in $SYSROOT"
  rm -rf "$SYSROOT"
  $SUDO debootstrap --foreign --arch=arm64 --variant=minbase \
    --include=libxnnpack-dev,libpthreadpool-dev,libprotobuf-dev,zlib1g-dev,libpng-dev,libjpeg62-turbo-dev,libgtest-dev,libcpp-httplib-dev,nlohmann-json3-dev,libcli11-dev \
    bookworm "$SYSROOT" http://deb.debian.org/debian >/dev/null
  for deb in "$SYSROOT"/var/cache/apt/archives/*.deb; do $SUDO dpkg-deb -x "$deb" "$SYSROOT"; done
fi

mkdir -p "$OUT"
cat > "$OUT/toolchain.cmake" <<EOF
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_SYSROOT $SYSROOT)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH $SYSROOT)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L $SYSROOT)
set(ENV{PKG_CONFIG_SYSROOT_DIR} $SYSROOT)
set(ENV{PKG_CONFIG_LIBDIR} $SYSROOT/usr/lib/aarch64-linux-gnu/pkgconfig:$SYSROOT/usr/share/pkgconfig)
EOF
echo "cross: building core, engine, device, unit tests and hiedge-device for aarch64"
# The host's protoc compiles the host's copy of ONNX's schema (the file is the same).
cmake -S . -B "$OUT/build" -DCMAKE_TOOLCHAIN_FILE="$OUT/toolchain.cmake" -DCMAKE_BUILD_TYPE=Release \
  -DHIEDGE_DEVICE_ONLY=ON -DHIEDGE_ONNX_PROTO=/usr/include/onnx/onnx.proto \
  -DProtobuf_PROTOC_EXECUTABLE=/usr/bin/protoc >/dev/null
cmake --build "$OUT/build" -j"$(nproc)" >/dev/null
file "$OUT/build/hiedge-device" | grep -q "ARM aarch64"

echo "cross: unit tests under qemu-aarch64-static"
ctest --test-dir "$OUT/build" --output-on-failure -j"$(nproc)" --timeout 600 | tail -3

ARGS=(--local models/sml.json --data /usr/share/datasets/fashion-mnist --limit "$IMAGES")
if [ -n "$HOST_SERVER" ]; then
  echo "cross: $IMAGES images through hiedge-device, aarch64 under qemu and x86, one x86 server"
  LOG="$OUT/serve.log"
  "$HOST_SERVER" serve --models-dir models --model lml --port 0 --grpc-port -1 2>"$LOG" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null' EXIT
  for _ in $(seq 1 300); do grep -q "serving" "$LOG" && break; sleep 0.1; done
  PORT=$(grep -o 'http://[^:]*:[0-9]*' "$LOG" | head -1 | sed 's/.*://')
  ARGS+=(--theta 0.9 --server "127.0.0.1:$PORT")
else
  echo "cross: $IMAGES images through hiedge-device, aarch64 under qemu and x86; no x86" \
    "hiedge in $HOST_BUILD, so the S-ML alone (--theta 0): build it for the offload comparison"
  ARGS+=(--theta 0)
fi
"$HOST_DEVICE" "${ARGS[@]}" --out "$OUT/x86" --answers "$OUT/x86.csv" >/dev/null
qemu-aarch64-static -L "$SYSROOT" "$OUT/build/hiedge-device" "${ARGS[@]}" --out "$OUT/arm64" \
  --answers "$OUT/arm64.csv"
/usr/bin/python3 - "$OUT/x86.csv" "$OUT/arm64.csv" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1])))
b = list(csv.DictReader(open(sys.argv[2])))
keys = ["sample", "label", "prediction", "offloaded", "remote_prediction", "fallback"]
same = sum(all(x[k] == y[k] for k in keys) for x, y in zip(a, b))
diff = max(abs(float(x["confidence"]) - float(y["confidence"])) for x, y in zip(a, b))
print(f"cross: {same} of {len(a)} answers identical (aarch64 {len(b)}), max confidence difference {diff:.2e}")
sys.exit(0 if len(a) == len(b) and same == len(a) and diff <= 1e-4 else 1)
PY
