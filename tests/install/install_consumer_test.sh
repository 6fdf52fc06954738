#!/usr/bin/env bash
# Installs the build tree into a fresh prefix, builds examples/consumer against it twice
# (CMake package, then pkg-config), and runs both on five Fashion-MNIST test images
# from stdin: five answers each, equal to each other.
# Usage: install_consumer_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SOURCE="$1"
BUILD="$2"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/hiedge_install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cmake --install "$BUILD" --prefix "$WORK/prefix" >/dev/null
test -x "$WORK/prefix/bin/hiedge-device"
test -f "$WORK/prefix/share/hiedge/models/sml.onnx"

# The curated API: study and training headers are not installed, and every installed
# header compiles alone against the installed tree (it includes only installed headers).
for absent in torch/train.h decision/ee_search.h data/corruptions.h decision/qos_plan.h; do
  test ! -e "$WORK/prefix/include/hiedge/$absent"
done
headers="$(cd "$WORK/prefix/include" && find hiedge -name '*.h' | sort)"
test "$(echo "$headers" | wc -l)" -ge 30
echo "$headers" | xargs -P 2 -I{} sh -c \
  'echo "#include \"{}\"" | g++ -std=c++20 -fsyntax-only -x c++ -I"$1/prefix/include" - ||
   { echo "installed header not self-contained: {}" >&2; exit 255; }' _ "$WORK"

cmake -S "$SOURCE/examples/consumer" -B "$WORK/cmake-build" -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/cmake-build" >/dev/null

PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" g++ -O1 "$SOURCE/examples/consumer/main.cc" \
  -o "$WORK/pkg-consumer" $(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --cflags --libs --static hiedge)

# A program using the public data loader (image folders: libpng, libjpeg) links with the
# README's pkg-config line too, and reads the test split.
cat >"$WORK/loader.cc" <<'CC'
#include <cstdio>
#include "hiedge/data/data.h"
#include "hiedge/data/data_source.h"
int main() {
  // LoadData reads idx folders, image folders (PNG, JPEG), CIFAR-10 and manifests.
  auto test = hiedge::LoadData(hiedge::kFashionMnistDir, hiedge::Split::kTest);
  if (!test.ok()) return 1;
  std::printf("%zu\n", test->size());
  return 0;
}
CC
g++ -std=c++20 -O1 "$WORK/loader.cc" -o "$WORK/loader" \
  $(PKG_CONFIG_PATH="$WORK/prefix/lib/pkgconfig" pkg-config --cflags --libs --static hiedge)
test "$("$WORK/loader")" = "10000"

# Five test images as bytes (skip the 16-byte idx header).
# (head closes the pipe early: the writers' SIGPIPE is expected, so no pipefail here.)
(set +o pipefail; zcat /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz |
  tail -c +17 | head -c $((5 * 784))) > "$WORK/five.u8"
CARD="$WORK/prefix/share/hiedge/models/sml.json"
"$WORK/cmake-build/consumer" "$CARD" 0.5 < "$WORK/five.u8" > "$WORK/a.txt"
"$WORK/pkg-consumer" "$CARD" 0.5 < "$WORK/five.u8" > "$WORK/b.txt"
test "$(wc -l < "$WORK/a.txt")" -eq 5
cmp "$WORK/a.txt" "$WORK/b.txt"
# The first five Fashion-MNIST test labels are 9 2 1 1 6; the S-ML gets them right.
test "$(cut -d' ' -f1 "$WORK/a.txt" | tr '\n' ' ')" = "9 2 1 1 6 "
# The Python module from the same prefix (the README's install step, then PYTHONPATH
# on Debian's layout, <prefix>/lib/python3/dist-packages): the same five answers.
PYDIR="$WORK/prefix/lib/python3/dist-packages"
test -f "$(ls "$PYDIR"/hiedge*.so)"
PYTHONPATH="$PYDIR" /usr/bin/python3 - "$CARD" "$WORK/five.u8" > "$WORK/c.txt" <<'PY'
import sys
import numpy as np
import hiedge
model = hiedge.load_model(sys.argv[1])
pixels = np.fromfile(sys.argv[2], dtype=np.uint8).reshape(5, 1, 28, 28) / 255.0
print(" ".join(str(int(p)) for p in model.infer(pixels).argmax(axis=1)))
PY
test "$(cat "$WORK/c.txt")" = "9 2 1 1 6"
echo "install consumer: CMake package, pkg-config and Python builds all answered 9 2 1 1 6"
