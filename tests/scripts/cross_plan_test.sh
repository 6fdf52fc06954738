#!/usr/bin/env bash
# scripts/cross-aarch64.sh from a copied tree (CROSS_DRY_RUN=1 prints its plan): a build
# folder configured for another tree is configured afresh, the x86 side is never the
# full x86 build (setup.sh is not run), and without an x86 `hiedge` the comparison runs
# the S-ML alone. Usage: cross_plan_test.sh SOURCE_DIR
set -euo pipefail
SOURCE="$1"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expect OUTPUT TEXT
  grep -qF -- "$2" <<<"$1" || fail "expected '$2' in: $1"
}
reject() {
  if grep -qF -- "$2" <<<"$1"; then fail "did not expect '$2' in: $1"; fi
}

# A copy of the tree whose build-aarch64 folders were configured where it came from.
TREE="$WORK/copied tree"
mkdir -p "$TREE/scripts" "$TREE/build-aarch64/build" "$TREE/build-aarch64/host"
cp "$SOURCE/scripts/cross-aarch64.sh" "$TREE/scripts/"
for dir in build host; do
  echo "CMAKE_HOME_DIRECTORY:INTERNAL=/somewhere/else/hiedge" \
    >"$TREE/build-aarch64/$dir/CMakeCache.txt"
done
plan=$(cd "$WORK" && HOST_BUILD="$WORK/no-build" CROSS_DRY_RUN=1 "$TREE/scripts/cross-aarch64.sh")
expect "$plan" "plan: reconfigure $TREE/build-aarch64/build"
expect "$plan" "plan: reconfigure $TREE/build-aarch64/host"
expect "$plan" "plan: x86 hiedge-device from a device-only build in $TREE/build-aarch64/host"
expect "$plan" "plan: no x86 hiedge in $WORK/no-build: both sides run the S-ML alone"

# Configured for this tree: kept. An x86 build with both binaries: used, never rebuilt.
for dir in build host; do
  echo "CMAKE_HOME_DIRECTORY:INTERNAL=$TREE" >"$TREE/build-aarch64/$dir/CMakeCache.txt"
done
mkdir -p "$WORK/x86"
printf '#!/bin/sh\n' >"$WORK/x86/hiedge-device"
printf '#!/bin/sh\n' >"$WORK/x86/hiedge"
chmod +x "$WORK/x86/hiedge-device" "$WORK/x86/hiedge"
plan=$(HOST_BUILD="$WORK/x86" CROSS_DRY_RUN=1 "$TREE/scripts/cross-aarch64.sh")
reject "$plan" "plan: reconfigure"
expect "$plan" "plan: x86 hiedge-device from $WORK/x86/hiedge-device"
expect "$plan" "plan: offloads to an x86 server: $WORK/x86/hiedge serve"

# The full x86 build (13 minutes from a fresh clone) is never a step of the script.
if grep -v '^#' "$SOURCE/scripts/cross-aarch64.sh" | grep -q "setup.sh"; then
  fail "cross-aarch64.sh runs setup.sh"
fi
echo "cross plan: ok"
