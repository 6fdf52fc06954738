// Shape arithmetic folded at compile time. An exporter that keeps the batch dynamic
// computes shapes at run time: PyTorch's `x.view(x.size(0), -1)` becomes
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape. The compiler knows every value's
// per-sample dimensions, so such a chain is evaluated here, on vectors whose entries
// are known sizes or the batch (kBatchDim), and nothing of it runs per call. A shape
// value reaching anything but these operators and Reshape is refused by name.
#include <algorithm>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {

Result<std::vector<int64_t>> XnnCompiler::ShapeValueOf(const std::string& name,
                                                       const OnnxNode& node) const {
  if (auto it = shape_values_.find(name); it != shape_values_.end()) return it->second;
  if (auto it = graph_.int_constants.find(name); it != graph_.int_constants.end()) {
    return it->second;
  }
  return Status::Unimplemented(node.Describe() + ": '" + name +
                               "' must be a constant or computed from shapes");
}

bool XnnCompiler::IsShapeValue(const std::string& name) const {
  return shape_values_.count(name) > 0 || graph_.int_constants.count(name) > 0;
}

Status XnnCompiler::Shape(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  // ONNX order: the batch, then the per-sample dimensions (as ONNX sees them: a value
  // flattened from a feature map keeps its ONNX dims).
  std::vector<int64_t> shape = {kBatchDim};
  const std::vector<int64_t>& dims = program_.value(x).dims;
  shape.insert(shape.end(), dims.begin(), dims.end());
  const auto rank = static_cast<int64_t>(shape.size());
  auto clamp = [rank](int64_t k) { return std::clamp<int64_t>(k < 0 ? k + rank : k, 0, rank); };
  const int64_t start = clamp(n.Int("start", 0)), end = clamp(n.Int("end", rank));
  shape_values_[n.outputs[0]] =
      start < end ? std::vector<int64_t>(shape.begin() + start, shape.begin() + end)
                  : std::vector<int64_t>{};
  return Status::Ok();
}

Status XnnCompiler::Gather(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> data, ShapeValueOf(n.inputs[0], n));
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> indices, ShapeValueOf(n.inputs[1], n));
  if (n.Int("axis", 0) != 0) return Status::Unimplemented(n.Describe() + ": only axis 0 of a shape");
  std::vector<int64_t> out;
  for (int64_t k : indices) {
    const int64_t at = k < 0 ? k + static_cast<int64_t>(data.size()) : k;
    if (at < 0 || at >= static_cast<int64_t>(data.size())) {
      return Status::DataLoss(n.Describe() + ": index " + std::to_string(k) + " outside " +
                              std::to_string(data.size()) + " entries");
    }
    out.push_back(data[static_cast<size_t>(at)]);
  }
  shape_values_[n.outputs[0]] = std::move(out);
  return Status::Ok();
}

// Unsqueeze, Squeeze and Cast of a shape keep its entries (a scalar is one entry).
Status XnnCompiler::ShapePassThrough(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  if (!IsShapeValue(n.inputs[0])) {
    return Status::Unimplemented(n.Describe() + ": only on shapes (a tensor's " + n.op_type +
                                 " is not supported)");
  }
  HIEDGE_ASSIGN_OR_RETURN(shape_values_[n.outputs[0]], ShapeValueOf(n.inputs[0], n));
  return Status::Ok();
}

Status XnnCompiler::ConcatShapes(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  std::vector<int64_t> out;
  for (const std::string& name : n.inputs) {
    HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> part, ShapeValueOf(name, n));
    out.insert(out.end(), part.begin(), part.end());
  }
  shape_values_[n.outputs[0]] = std::move(out);
  return Status::Ok();
}

Status XnnCompiler::Slice(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  if (!IsShapeValue(n.inputs[0])) {
    return Status::Unimplemented(n.Describe() + ": only on shapes (slicing a tensor is not "
                                                "supported)");
  }
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> data, ShapeValueOf(n.inputs[0], n));
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> starts, ShapeValueOf(n.inputs[1], n));
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> ends, ShapeValueOf(n.inputs[2], n));
  std::vector<int64_t> axes = {0}, steps = {1};
  if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(axes, ShapeValueOf(n.inputs[3], n));
  }
  if (n.inputs.size() > 4 && !n.inputs[4].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(steps, ShapeValueOf(n.inputs[4], n));
  }
  if (starts.size() != 1 || ends.size() != 1 || axes != std::vector<int64_t>{0} ||
      steps != std::vector<int64_t>{1}) {
    return Status::Unimplemented(n.Describe() + ": only one range with step 1 of a shape");
  }
  const auto size = static_cast<int64_t>(data.size());
  auto clamp = [size](int64_t k) { return std::clamp<int64_t>(k < 0 ? k + size : k, 0, size); };
  const int64_t begin = clamp(starts[0]), end = clamp(ends[0]);
  shape_values_[n.outputs[0]] =
      begin < end ? std::vector<int64_t>(data.begin() + begin, data.begin() + end)
                  : std::vector<int64_t>{};
  return Status::Ok();
}

}  // namespace hiedge::engine
