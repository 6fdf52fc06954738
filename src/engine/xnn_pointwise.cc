// XnnCompiler's element-wise builders: Add/Sub/Mul/Div (with constant broadcast),
// standalone BatchNormalization and Relu/Clip, and Softmax.
#include <xnnpack.h>

#include <cmath>
#include <memory>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {
namespace {

// XNNPACK operator-API elementwise creator and setup, as function pointers.
using BinaryCreate = enum xnn_status (*)(float, float, uint32_t, xnn_operator_t*);
using BinarySetup = enum xnn_status (*)(xnn_operator_t, size_t, const size_t*, size_t,
                                        const size_t*, const float*, const float*, float*,
                                        pthreadpool_t);

}  // namespace

Status XnnCompiler::Elementwise(size_t i) {
  HIEDGE_ASSIGN_OR_RETURN(const bool quantized, TryQuantizedAdd(i));
  if (quantized) return Status::Ok();
  const OnnxNode& n = graph_.nodes[i];
  if (n.inputs.size() != 2) return Status::DataLoss(n.Describe() + " needs two inputs");
  const bool commutative = n.op_type == "Add" || n.op_type == "Mul";
  const FloatTensor* c0 = ConstantOf(n.inputs[0]);
  const FloatTensor* c1 = ConstantOf(n.inputs[1]);
  if (c0 != nullptr && c1 != nullptr) {
    return Status::Unimplemented(n.Describe() + ": both operands are constants");
  }
  if (c0 != nullptr && !commutative) {
    return Status::Unimplemented(n.Describe() + ": a constant first operand");
  }
  const std::string& value_name = c0 != nullptr ? n.inputs[1] : n.inputs[0];
  const FloatTensor* constant = c0 != nullptr ? c0 : c1;
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(value_name, n));
  const XnnValue xv = program_.value(x);
  std::vector<int> inputs = {x};
  std::vector<size_t> shape_x = {0}, shape_y = {0};  // [0] is the batch placeholder.
  auto operand = std::make_shared<std::vector<float>>();
  size_t rows_per_sample = 1;  // Rows of the value's storage per sample, as broadcast sees it.
  if (constant == nullptr) {
    HIEDGE_ASSIGN_OR_RETURN(const int x2, ValueOf(n.inputs[1], n));
    const XnnValue& yv = program_.value(x2);
    if (yv.dims != xv.dims || yv.hwc_source != xv.hwc_source) {
      return Status::Unimplemented(n.Describe() + ": operands " + ShapeToString(xv.dims) + " and " +
                                   ShapeToString(yv.dims) + " differ (no broadcast)");
    }
    inputs.push_back(x2);
    shape_x = shape_y = {0, static_cast<size_t>(xv.elements())};
  } else {
    std::vector<int64_t> cdims = constant->shape;
    while (!cdims.empty() && cdims.front() == 1 && cdims.size() > xv.dims.size()) {
      cdims.erase(cdims.begin());
    }
    const int64_t count = static_cast<int64_t>(constant->data.size());
    if (count == 1) {
      shape_x = {0, static_cast<size_t>(xv.elements())};
      shape_y = {1, 1};
      *operand = constant->data;
    } else if (xv.spatial() && count == xv.dims[0] &&
               (cdims == std::vector<int64_t>{xv.dims[0], 1, 1})) {
      // Per channel: NHWC rows of C channels.
      shape_x = {0, static_cast<size_t>(xv.dims[0])};
      shape_y = {1, static_cast<size_t>(xv.dims[0])};
      rows_per_sample = static_cast<size_t>(xv.dims[1] * xv.dims[2]);
      *operand = constant->data;
    } else if (count == xv.elements() && FloatTensor::NumElements(cdims) == count &&
               (cdims == xv.dims || cdims.size() == 1)) {
      // Whole sample, reordered to storage order.
      const std::vector<int64_t> order = StorageToOnnx(xv);
      operand->resize(static_cast<size_t>(count));
      for (int64_t s = 0; s < count; ++s) {
        (*operand)[static_cast<size_t>(s)] =
            constant->data[static_cast<size_t>(order.empty() ? s : order[static_cast<size_t>(s)])];
      }
      shape_x = {0, static_cast<size_t>(count)};
      shape_y = {1, static_cast<size_t>(count)};
    } else {
      return Status::Unimplemented(n.Describe() + ": broadcasting a constant of shape " +
                                   ShapeToString(constant->shape) + " onto " +
                                   ShapeToString(xv.dims));
    }
  }
  std::string out = n.outputs[0], description = n.Describe();
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  BinaryCreate create = xnn_create_add_nd_f32;
  BinarySetup setup = xnn_setup_add_nd_f32;
  if (n.op_type == "Sub") create = xnn_create_subtract_nd_f32, setup = xnn_setup_subtract_nd_f32;
  if (n.op_type == "Mul") create = xnn_create_multiply_nd_f32, setup = xnn_setup_multiply_nd_f32;
  if (n.op_type == "Div") create = xnn_create_divide_nd_f32, setup = xnn_setup_divide_nd_f32;
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(XnnCheck(create(lo, hi, 0, &op), description));
  const int y = AddValue(out, xv.dims, xv.hwc_source);
  XnnStep& step = AddStep(description, inputs, y);
  step.operators.push_back(op);
  step.run = [op, setup, shape_x, shape_y, operand, rows_per_sample](
                 size_t batch, std::span<const float* const> in, float* o,
                 pthreadpool_t pool) -> Status {
    size_t sx[2] = {batch * rows_per_sample, shape_x[1]};
    size_t sy[2] = {shape_y[0] == 0 ? batch * rows_per_sample : shape_y[0], shape_y[1]};
    const float* second = in.size() > 1 ? in[1] : operand->data();
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(setup(op, 2, sx, 2, sy, in[0], second, o, pool), "binary setup"));
    return XnnCheck(xnn_run_operator(op, pool), "binary");
  };
  return Status::Ok();
}

// A BatchNormalization no Conv absorbed: y = x * scale + shift per channel, as a
// multiply then an in-place add.
Status XnnCompiler::BatchNorm(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const int64_t channels = xv.dims[0];
  const FloatTensor* p[4];
  for (size_t k = 0; k < 4; ++k) {
    p[k] = n.inputs.size() > k + 1 ? ConstantOf(n.inputs[k + 1]) : nullptr;
    if (p[k] == nullptr || static_cast<int64_t>(p[k]->data.size()) != channels) {
      return Status::Unimplemented(n.Describe() + ": needs constant per-channel parameters");
    }
  }
  if (xv.hwc_source.size() || (!xv.spatial() && xv.dims.size() != 1)) {
    return Status::Unimplemented(n.Describe() + ": on a flattened feature map");
  }
  auto scale = std::make_shared<std::vector<float>>(static_cast<size_t>(channels));
  auto shift = std::make_shared<std::vector<float>>(static_cast<size_t>(channels));
  const float epsilon = n.Float("epsilon", 1e-5f);
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    (*scale)[c] = p[0]->data[c] / std::sqrt(p[3]->data[c] + epsilon);
    (*shift)[c] = p[1]->data[c] - p[2]->data[c] * (*scale)[c];
  }
  std::string out = n.outputs[0], description = n.Describe();
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  xnn_operator_t mul = nullptr, add = nullptr;
  HIEDGE_RETURN_IF_ERROR(
      XnnCheck(xnn_create_multiply_nd_f32(kNoMin, kNoMax, 0, &mul), description));
  const Status created = XnnCheck(xnn_create_add_nd_f32(lo, hi, 0, &add), description);
  if (!created.ok()) {
    xnn_delete_operator(mul);
    return created;
  }
  const int y = AddValue(out, xv.dims);
  XnnStep& step = AddStep(description, {x}, y);
  step.operators = {mul, add};
  const auto pixels = static_cast<size_t>(xv.spatial() ? xv.dims[1] * xv.dims[2] : 1);
  const auto c = static_cast<size_t>(channels);
  step.run = [mul, add, scale, shift, pixels, c](size_t batch, std::span<const float* const> in,
                                                 float* o, pthreadpool_t pool) -> Status {
    const size_t sx[2] = {batch * pixels, c}, sc[2] = {1, c};
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_setup_multiply_nd_f32(mul, 2, sx, 2, sc, in[0], scale->data(), o, pool), "bn setup"));
    HIEDGE_RETURN_IF_ERROR(XnnCheck(xnn_run_operator(mul, pool), "bn scale"));
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_add_nd_f32(add, 2, sx, 2, sc, o, shift->data(), o, pool), "bn setup"));
    return XnnCheck(xnn_run_operator(add, pool), "bn shift");
  };
  return Status::Ok();
}

// A Relu/Clip whose producer could not absorb it.
Status XnnCompiler::Activation(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  HIEDGE_ASSIGN_OR_RETURN(auto range, ClipRange(n));
  xnn_operator_t op = nullptr;
  const auto elements = static_cast<size_t>(xv.elements());
  HIEDGE_RETURN_IF_ERROR(XnnCheck(
      xnn_create_clamp_nc_f32(elements, elements, elements, range.first, range.second, 0, &op),
      n.Describe()));
  const int y = AddValue(n.outputs[0], xv.dims, xv.hwc_source);
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  step.operators.push_back(op);
  step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                  pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_clamp_nc_f32(op, batch, in[0], o, pool), "clamp setup"));
    return XnnCheck(xnn_run_operator(op, pool), "clamp");
  };
  return Status::Ok();
}

Status XnnCompiler::Softmax(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const int64_t axis = n.Int("axis", graph_.opset >= 13 ? -1 : 1);
  const bool rows = xv.dims.size() == 1 || (xv.spatial() && xv.dims[1] * xv.dims[2] == 1);
  if (!rows || (axis != 1 && axis != -1) || !xv.hwc_source.empty()) {
    return Status::Unimplemented(n.Describe() + ": only over the features of [N, F] rows");
  }
  const auto f = static_cast<size_t>(xv.elements());
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(XnnCheck(xnn_create_softmax_nc_f32(f, f, f, 0, &op), n.Describe()));
  const int y = AddValue(n.outputs[0], xv.dims);
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  step.operators.push_back(op);
  step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                  pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_softmax_nc_f32(op, batch, in[0], o, pool), "softmax setup"));
    return XnnCheck(xnn_run_operator(op, pool), "softmax");
  };
  return Status::Ok();
}

}  // namespace hiedge::engine
