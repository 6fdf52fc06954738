// FloatTensor: the plain float buffer + shape that crosses every module boundary.
// No torch type ever appears in a public hiedge header.
// Ownership: FloatTensor owns its data (a value: copy or move); TensorView borrows a
// span that must outlive it. Thread-safety: concurrent reads are safe; writes are not.
#pragma once

#include <cstdint>
#include <functional>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct FloatTensor {
  std::vector<int64_t> shape;  // Row-major; e.g. {N, C, H, W} for images, {N, classes} for logits.
  std::vector<float> data;     // Invariant: data.size() == product of shape.

  static int64_t NumElements(const std::vector<int64_t>& shape) {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
  }
  int64_t rows() const { return shape.empty() ? 0 : shape[0]; }
  // Elements per row (per sample).
  int64_t row_size() const { return rows() == 0 ? 0 : static_cast<int64_t>(data.size()) / rows(); }
  const float* row(int64_t i) const { return data.data() + i * row_size(); }
};

// A borrowed float buffer with its shape: what a caller hands to the device runtime.
// Invariant checked by CheckShape: data.size() == product of shape. The data must
// outlive the view.
struct TensorView {
  std::span<const float> data;
  std::vector<int64_t> shape;
};

// "[1,1,28,28]"
std::string ShapeToString(const std::vector<int64_t>& shape);

// OK when `view` has shape `expected` and as many values as that shape holds;
// InvalidArgument naming `what`, the shape given and the shape expected otherwise.
Status CheckShape(const TensorView& view, const std::vector<int64_t>& expected,
                  const std::string& what);

}  // namespace hiedge
