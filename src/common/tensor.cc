#include "hiedge/common/tensor.h"

namespace hiedge {

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Status CheckShape(const TensorView& view, const std::vector<int64_t>& expected,
                  const std::string& what) {
  if (view.shape != expected) {
    return Status::InvalidArgument(what + " has shape " + ShapeToString(view.shape) +
                                   "; the model takes " + ShapeToString(expected));
  }
  if (static_cast<int64_t>(view.data.size()) != FloatTensor::NumElements(expected)) {
    return Status::InvalidArgument(what + " holds " + std::to_string(view.data.size()) +
                                   " values; shape " + ShapeToString(expected) + " needs " +
                                   std::to_string(FloatTensor::NumElements(expected)));
  }
  return Status::Ok();
}

}  // namespace hiedge
