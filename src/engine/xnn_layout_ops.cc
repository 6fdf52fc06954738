// XnnCompiler's builders for Pad (constant, spatial), ReduceMean (over the spatial axes:
// a global average pool) and LayerNormalization (over the features of [N, F] rows, as
// the opset-17 operator or as the decomposition exporters write below it).
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {

// Constant padding of a [C, H, W] feature map's H and W, on XNNPACK's constant pad over
// the NHWC storage. ONNX pads are [x1_begin, x2_begin, ..., x1_end, x2_end, ...].
Status XnnCompiler::Pad(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  if (n.String("mode", "constant") != "constant") {
    return Status::Unimplemented(n.Describe() + ": only mode constant");
  }
  std::vector<int64_t> pads = n.Ints("pads");  // Opset < 11: an attribute.
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(pads, ShapeValueOf(n.inputs[1], n));
  }
  float value = n.Float("value", 0.0f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const FloatTensor* constant = ConstantOf(n.inputs[2]);
    if (constant == nullptr || constant->data.size() != 1) {
      return Status::Unimplemented(n.Describe() + ": the pad value must be a scalar constant");
    }
    value = constant->data[0];
  }
  if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
    return Status::Unimplemented(n.Describe() + ": the axes input is not supported");
  }
  if (!xv.spatial() || pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 ||
      pads[5] != 0) {
    return Status::Unimplemented(n.Describe() +
                                 ": only padding of H and W of an [N, C, H, W] feature map");
  }
  for (int64_t p : pads) {
    if (p < 0) return Status::Unimplemented(n.Describe() + ": negative pads (cropping)");
  }
  xnn_operator_t op = nullptr;
  auto fill = std::make_shared<float>(value);
  HIEDGE_RETURN_IF_ERROR(XnnCheck(xnn_create_constant_pad_nd_x32(fill.get(), 0, &op), n.Describe()));
  const int64_t c = xv.dims[0], h = xv.dims[1], w = xv.dims[2];
  const int y = AddValue(n.outputs[0], {c, h + pads[2] + pads[6], w + pads[3] + pads[7]});
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  step.operators.push_back(op);
  const size_t top = static_cast<size_t>(pads[2]), left = static_cast<size_t>(pads[3]);
  const size_t bottom = static_cast<size_t>(pads[6]), right = static_cast<size_t>(pads[7]);
  step.run = [op, fill, c, h, w, top, left, bottom, right](
                 size_t batch, std::span<const float* const> in, float* o,
                 pthreadpool_t pool) -> Status {
    const size_t shape[4] = {batch, static_cast<size_t>(h), static_cast<size_t>(w),
                             static_cast<size_t>(c)};
    const size_t pre[4] = {0, top, left, 0}, post[4] = {0, bottom, right, 0};
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_constant_pad_nd_x32(op, 4, shape, pre, post, in[0], o, pool),
                 "pad setup"));
    return XnnCheck(xnn_run_operator(op, pool), "pad");
  };
  return Status::Ok();
}

// ReduceMean over H and W of a feature map is a global average pool; keepdims 0 leaves
// the channels as features (the same storage).
Status XnnCompiler::ReduceMean(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  std::vector<int64_t> axes = n.Ints("axes");  // Opset < 18: an attribute.
  if (n.inputs.size() > 1 && !n.inputs[1].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(axes, ShapeValueOf(n.inputs[1], n));
  }
  if (xv.dims.size() == 1 && xv.hwc_source.empty() &&
      (axes == std::vector<int64_t>{-1} || axes == std::vector<int64_t>{1})) {
    HIEDGE_ASSIGN_OR_RETURN(const bool layer_norm, TryLayerNormDecomposition(i));
    if (layer_norm) return Status::Ok();
  }
  for (int64_t& a : axes) a = a < 0 ? a + 4 : a;
  std::sort(axes.begin(), axes.end());
  if (!xv.spatial() || axes != std::vector<int64_t>{2, 3}) {
    return Status::Unimplemented(n.Describe() +
                                 ": only the mean over H and W of an [N, C, H, W] feature map");
  }
  HIEDGE_RETURN_IF_ERROR(GlobalAveragePool(i));
  if (n.Int("keepdims", 1) == 0) {
    // The pool's output, [C, 1, 1], is renamed; its consumers read [C] features.
    if (!values_.count(n.outputs[0]) || program_.value(values_.at(n.outputs[0])).int8) {
      return Status::Unimplemented(n.Describe() +
                                   ": keepdims 0 with a fused activation or int8 output");
    }
    const int pooled = values_.at(n.outputs[0]);
    values_.erase(n.outputs[0]);
    program_.values_[static_cast<size_t>(pooled)].name = n.outputs[0] + "#pooled";
    values_[n.outputs[0] + "#pooled"] = pooled;
    AddValue(n.outputs[0], {xv.dims[0]}, {}, pooled);
  }
  return Status::Ok();
}

// LayerNormalization over the features of [N, F] rows (axis -1 or 1), with constant
// scale and optional bias: y = (x - mean) / sqrt(var + epsilon) * scale + bias.
Status XnnCompiler::LayerNorm(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const int64_t axis = n.Int("axis", -1);
  if (xv.dims.size() != 1 || (axis != -1 && axis != 1) || !xv.hwc_source.empty()) {
    return Status::Unimplemented(n.Describe() + ": only over the features of [N, F] rows");
  }
  const auto f = static_cast<size_t>(xv.dims[0]);
  const FloatTensor* scale = ConstantOf(n.inputs[1]);
  const FloatTensor* bias =
      n.inputs.size() > 2 && !n.inputs[2].empty() ? ConstantOf(n.inputs[2]) : nullptr;
  if (scale == nullptr || scale->data.size() != f ||
      (n.inputs.size() > 2 && !n.inputs[2].empty() && (bias == nullptr || bias->data.size() != f))) {
    return Status::Unimplemented(n.Describe() + ": needs constant scale and bias of " +
                                 std::to_string(f) + " features");
  }
  if (n.outputs.size() > 1) {
    for (size_t k = 1; k < n.outputs.size(); ++k) {
      if (!n.outputs[k].empty() && consumers_.count(n.outputs[k])) {
        return Status::Unimplemented(n.Describe() + ": the mean and inverse deviation outputs");
      }
    }
  }
  AddLayerNormStep(x, n.outputs[0], scale->data, bias ? bias->data : std::vector<float>(f, 0),
                   n.Float("epsilon", 1e-5f), n.Describe());
  return Status::Ok();
}

void XnnCompiler::AddLayerNormStep(int x, const std::string& name, std::vector<float> scale,
                                   std::vector<float> bias, float epsilon,
                                   std::string description) {
  const XnnValue xv = program_.value(x);
  const auto f = static_cast<size_t>(xv.dims[0]);
  auto gamma = std::make_shared<std::vector<float>>(std::move(scale));
  auto beta = std::make_shared<std::vector<float>>(std::move(bias));
  const int y = AddValue(name, xv.dims);
  XnnStep& step = AddStep(std::move(description), {x}, y);
  step.run = [gamma, beta, epsilon, f](size_t batch, std::span<const float* const> in, float* o,
                                       pthreadpool_t) -> Status {
    for (size_t r = 0; r < batch; ++r) {
      const float* row = in[0] + r * f;
      float* out = o + r * f;
      double mean = 0, var = 0;
      for (size_t k = 0; k < f; ++k) mean += row[k];
      mean /= static_cast<double>(f);
      for (size_t k = 0; k < f; ++k) var += (row[k] - mean) * (row[k] - mean);
      const double inv = 1.0 / std::sqrt(var / static_cast<double>(f) + epsilon);
      for (size_t k = 0; k < f; ++k) {
        out[k] = static_cast<float>((row[k] - mean) * inv) * (*gamma)[k] + (*beta)[k];
      }
    }
    return Status::Ok();
  };
}

// LayerNormalization as exporters write it below opset 17, over the features of rows:
//   m = ReduceMean(x, [-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), [-1]);
//   q = Div(d, Sqrt(Add(v, eps))); [Mul(q, gamma)]; [Add(.., beta)]
// starting at the first ReduceMean (node i). True when it matched and was built; the
// nodes it covers are marked fused.
Result<bool> XnnCompiler::TryLayerNormDecomposition(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  auto only = [this](const std::string& name, const char* op) {
    return SoleConsumer(name, {op});
  };
  auto scalar = [this](const std::string& name, float* value) {
    const FloatTensor* c = ConstantOf(name);
    if (c == nullptr || c->data.size() != 1) return false;
    *value = c->data[0];
    return true;
  };
  const int sub = only(n.outputs[0], "Sub");
  if (sub < 0) return false;
  const OnnxNode& sub_node = graph_.nodes[static_cast<size_t>(sub)];
  if (sub_node.inputs[0] != n.inputs[0] || sub_node.inputs[1] != n.outputs[0]) return false;
  const std::string& d = sub_node.outputs[0];
  auto d_users = consumers_.find(d);
  if (pinned_.count(d) || d_users == consumers_.end() || d_users->second.size() != 2) return false;
  int pow = -1, div = -1;
  for (size_t j : d_users->second) {
    if (graph_.nodes[j].op_type == "Pow") pow = static_cast<int>(j);
    if (graph_.nodes[j].op_type == "Div") div = static_cast<int>(j);
  }
  float exponent = 0, epsilon = 0;
  if (pow < 0 || div < 0 ||
      !scalar(graph_.nodes[static_cast<size_t>(pow)].inputs[1], &exponent) || exponent != 2) {
    return false;
  }
  const int mean2 = only(graph_.nodes[static_cast<size_t>(pow)].outputs[0], "ReduceMean");
  if (mean2 < 0 || graph_.nodes[static_cast<size_t>(mean2)].Ints("axes") != n.Ints("axes")) {
    return false;
  }
  const int add = only(graph_.nodes[static_cast<size_t>(mean2)].outputs[0], "Add");
  if (add < 0 || !scalar(graph_.nodes[static_cast<size_t>(add)].inputs[1], &epsilon)) return false;
  const int sqrt = only(graph_.nodes[static_cast<size_t>(add)].outputs[0], "Sqrt");
  if (sqrt < 0 || only(graph_.nodes[static_cast<size_t>(sqrt)].outputs[0], "Div") != div ||
      graph_.nodes[static_cast<size_t>(div)].inputs[0] != d) {
    return false;
  }
  const auto f = static_cast<size_t>(program_.value(values_.at(n.inputs[0])).dims[0]);
  std::vector<float> gamma(f, 1.0f), beta(f, 0.0f);
  std::vector<int> covered = {sub, pow, mean2, add, sqrt, div};
  std::string out = graph_.nodes[static_cast<size_t>(div)].outputs[0];
  if (const int mul = only(out, "Mul"); mul >= 0) {
    const FloatTensor* c = ConstantOf(graph_.nodes[static_cast<size_t>(mul)].inputs[1]);
    if (c != nullptr && c->data.size() == f) {
      gamma = c->data;
      covered.push_back(mul);
      out = graph_.nodes[static_cast<size_t>(mul)].outputs[0];
      if (const int bias = only(out, "Add"); bias >= 0) {
        const FloatTensor* b = ConstantOf(graph_.nodes[static_cast<size_t>(bias)].inputs[1]);
        if (b != nullptr && b->data.size() == f) {
          beta = b->data;
          covered.push_back(bias);
          out = graph_.nodes[static_cast<size_t>(bias)].outputs[0];
        }
      }
    }
  }
  for (int j : covered) fused_[static_cast<size_t>(j)] = true;
  AddLayerNormStep(values_.at(n.inputs[0]), out, std::move(gamma), std::move(beta), epsilon,
                   "LayerNormalization (decomposed, from " + n.Describe() + ")");
  return true;
}

}  // namespace hiedge::engine
