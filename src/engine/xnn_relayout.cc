// Transpose, and Reshape, Squeeze and Unsqueeze of tensors: each sample's values moved
// by an index table computed when the model is compiled (the batch stays the first
// axis). Values are stored NHWC inside the engine, so even a reshape may move data;
// when the table is the identity the output is an alias and nothing runs.
#include <algorithm>
#include <numeric>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {
namespace {

// Per-sample ONNX-order index of each storage position, and its inverse.
std::vector<int64_t> OnnxOfStorage(const XnnValue& v) {
  std::vector<int64_t> order = StorageToOnnx(v);
  if (order.empty()) {
    order.resize(static_cast<size_t>(v.elements()));
    std::iota(order.begin(), order.end(), 0);
  }
  return order;
}

std::vector<int64_t> StorageOfOnnx(const XnnValue& v) {
  const std::vector<int64_t> onnx = OnnxOfStorage(v);
  std::vector<int64_t> storage(onnx.size());
  for (size_t s = 0; s < onnx.size(); ++s) storage[static_cast<size_t>(onnx[s])] = static_cast<int64_t>(s);
  return storage;
}

}  // namespace

Status XnnCompiler::AddRelayout(int x, const std::string& name, std::vector<int64_t> dims,
                                const std::function<int64_t(int64_t)>& source_of,
                                std::string description) {
  const XnnValue xv = program_.value(x);
  if (FloatTensor::NumElements(dims) != xv.elements()) {
    return Status::DataLoss(description + ": " + ShapeToString(xv.dims) + " cannot become " +
                            ShapeToString(dims));
  }
  // A value of rank 3 is a [C, H, W] feature map (stored NHWC); keep it so.
  XnnValue yv;
  yv.dims = dims;
  const std::vector<int64_t> out_onnx = OnnxOfStorage(yv);
  const std::vector<int64_t> in_storage = StorageOfOnnx(xv);
  auto table = std::make_shared<std::vector<int64_t>>(out_onnx.size());
  bool identity = true;
  for (size_t k = 0; k < out_onnx.size(); ++k) {
    (*table)[k] = in_storage[static_cast<size_t>(source_of(out_onnx[k]))];
    identity = identity && (*table)[k] == static_cast<int64_t>(k);
  }
  if (identity) {  // Same storage: an alias of the input.
    AddValue(name, std::move(dims), {}, x);
    return Status::Ok();
  }
  const int y = AddValue(name, std::move(dims));
  XnnStep& step = AddStep(std::move(description), {x}, y);
  const size_t elements = table->size();
  step.run = [table, elements](size_t batch, std::span<const float* const> in, float* o,
                               pthreadpool_t) -> Status {
    for (size_t n = 0; n < batch; ++n) {
      const float* src = in[0] + n * elements;
      float* dst = o + n * elements;
      for (size_t k = 0; k < elements; ++k) dst[k] = src[(*table)[k]];
    }
    return Status::Ok();
  };
  return Status::Ok();
}

Status XnnCompiler::Transpose(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const auto rank = static_cast<int64_t>(xv.dims.size());  // Per sample.
  std::vector<int64_t> perm = n.Ints("perm");
  if (perm.empty()) {  // ONNX's default reverses every axis, the batch's too.
    return Status::Unimplemented(n.Describe() + ": a perm that keeps the batch first is needed");
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(static_cast<size_t>(rank + 1));
  std::iota(expected.begin(), expected.end(), 0);
  if (sorted != expected) {
    return Status::DataLoss(n.Describe() + ": perm " + ShapeToString(perm) +
                            " is not a permutation of " + std::to_string(rank + 1) + " axes");
  }
  if (perm[0] != 0) {
    return Status::Unimplemented(n.Describe() + ": the batch must stay the first axis");
  }
  // Per-sample axes: output axis j reads input axis perm[j + 1] - 1.
  std::vector<int64_t> dims(static_cast<size_t>(rank)), in_strides(static_cast<size_t>(rank), 1),
      out_strides(static_cast<size_t>(rank), 1);
  for (int64_t j = 0; j < rank; ++j) dims[static_cast<size_t>(j)] = xv.dims[static_cast<size_t>(perm[static_cast<size_t>(j + 1)] - 1)];
  for (int64_t j = rank - 2; j >= 0; --j) {
    in_strides[static_cast<size_t>(j)] = in_strides[static_cast<size_t>(j + 1)] * xv.dims[static_cast<size_t>(j + 1)];
    out_strides[static_cast<size_t>(j)] = out_strides[static_cast<size_t>(j + 1)] * dims[static_cast<size_t>(j + 1)];
  }
  auto source_of = [=](int64_t out_index) {
    int64_t in_index = 0;
    for (int64_t j = 0; j < rank; ++j) {
      const int64_t coordinate = (out_index / out_strides[static_cast<size_t>(j)]) % dims[static_cast<size_t>(j)];
      in_index += coordinate * in_strides[static_cast<size_t>(perm[static_cast<size_t>(j + 1)] - 1)];
    }
    return in_index;
  };
  return AddRelayout(x, n.outputs[0], dims, source_of, n.Describe());
}

// Squeeze and Unsqueeze of a tensor: its values under new per-sample dims, in ONNX
// order (a shape computed at compile time passes through instead).
Status XnnCompiler::SqueezeOrUnsqueeze(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  if (IsShapeValue(n.inputs[0])) return ShapePassThrough(i);
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  std::vector<int64_t> axes = n.Ints("axes");  // Opset < 13: an attribute.
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(axes, ShapeValueOf(n.inputs[1], n));
  }
  std::vector<int64_t> full = {1};  // The batch, as a placeholder.
  full.insert(full.end(), xv.dims.begin(), xv.dims.end());
  const bool squeeze = n.op_type == "Squeeze";
  const auto out_rank = static_cast<int64_t>(full.size()) +
                        (squeeze ? -static_cast<int64_t>(axes.size()) : static_cast<int64_t>(axes.size()));
  const int64_t rank = squeeze ? static_cast<int64_t>(full.size()) : out_rank;
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;
  std::sort(axes.begin(), axes.end());
  if (axes.empty() && squeeze) {
    for (int64_t a = 1; a < rank; ++a) {
      if (full[static_cast<size_t>(a)] == 1) axes.push_back(a);
    }
  }
  for (int64_t a : axes) {
    if (a <= 0 || a >= rank) {
      return Status::Unimplemented(n.Describe() + ": only per-sample axes (not the batch)");
    }
  }
  std::vector<int64_t> out;
  if (squeeze) {
    for (int64_t a = 0; a < rank; ++a) {
      const bool dropped = std::binary_search(axes.begin(), axes.end(), a);
      if (dropped && full[static_cast<size_t>(a)] != 1) {
        return Status::DataLoss(n.Describe() + ": axis " + std::to_string(a) + " has size " +
                                std::to_string(full[static_cast<size_t>(a)]));
      }
      if (!dropped) out.push_back(full[static_cast<size_t>(a)]);
    }
  } else {
    size_t next = 0;
    for (int64_t a = 0; a < out_rank; ++a) {
      out.push_back(std::binary_search(axes.begin(), axes.end(), a) ? 1 : full[next++]);
    }
  }
  out.erase(out.begin());  // The batch.
  return AddRelayout(x, n.outputs[0], out, [](int64_t k) { return k; }, n.Describe());
}

}  // namespace hiedge::engine
