#!/usr/bin/env bash
# Installs hiedge's Debian 12 dependencies (only what is missing) and builds it.
# Idempotent: a second run installs nothing and rebuilds only what changed.
# Usage: scripts/setup.sh [build-dir]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"

PACKAGES=(
  build-essential cmake pkg-config zlib1g-dev libpng-dev libjpeg62-turbo-dev
  libtorch-dev libopenblas0-pthread
  libxnnpack-dev libpthreadpool-dev libonnx-dev python3-onnx
  dataset-fashion-mnist
  libcpp-httplib-dev libboost1.81-dev nlohmann-json3-dev libcli11-dev libfmt-dev prometheus-cpp-dev
  libssl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox fonts-liberation
  haproxy python3-yaml python3-pybind11 python3-dev python3-pytest python3-torch
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
