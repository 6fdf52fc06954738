// XnnCompiler's QDQ support: a quantised ONNX model (QuantizeLinear/DequantizeLinear
// around each operator, int8 weights per output channel) runs on XNNPACK's QS8/QC8
// operators. An operator whose inputs are dequantised int8 values and whose output
// (after an optional Relu/Clip) is quantised again runs in int8; anything else runs in
// float between explicit conversions, so every QDQ graph runs, fast or not.
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {
namespace {

int8_t Saturate(int64_t v) { return static_cast<int8_t>(std::clamp<int64_t>(v, -128, 127)); }

}  // namespace

int XnnCompiler::AddInt8Value(const std::string& name, std::vector<int64_t> dims,
                              std::vector<int64_t> hwc_source, float scale, int32_t zero_point) {
  const int v = AddValue(name, std::move(dims), std::move(hwc_source));
  XnnValue& value = program_.values_[static_cast<size_t>(v)];
  value.int8 = true;
  value.scale = scale;
  value.zero_point = zero_point;
  return v;
}

bool XnnCompiler::PerTensorInt8(const OnnxNode& node, float* scale, int32_t* zero_point) const {
  if (node.inputs.size() < 2) return false;
  const FloatTensor* s = ConstantOf(node.inputs[1]);
  if (s == nullptr || s->data.size() != 1 || !(s->data[0] > 0)) return false;
  *scale = s->data[0];
  *zero_point = 0;
  if (node.inputs.size() > 2 && !node.inputs[2].empty()) {
    auto zp = graph_.quantized_constants.find(node.inputs[2]);
    if (zp == graph_.quantized_constants.end() || zp->second.values.size() != 1 ||
        zp->second.data_type != 3 /* INT8 */) {
      return false;
    }
    *zero_point = zp->second.values[0];
  } else if (node.op_type == "QuantizeLinear") {
    return false;  // No zero point: ONNX means uint8 output.
  }
  return true;
}

int XnnCompiler::DequantizedSource(const std::string& name) const {
  auto it = dequantized_views_.find(name);
  return it == dequantized_views_.end() ? -1 : it->second;
}

void XnnCompiler::MarkFused(const QuantizedOutput& out) {
  for (size_t j : out.fused) fused_[j] = true;
}

Result<bool> XnnCompiler::FindQuantizedOutput(const std::string& name, QuantizedOutput* out) {
  std::string current = name;
  float lo = kNoMin, hi = kNoMax;
  out->fused.clear();
  if (const int act = SoleConsumer(current, {"Relu", "Clip"}); act >= 0) {
    HIEDGE_ASSIGN_OR_RETURN(auto range, ClipRange(graph_.nodes[static_cast<size_t>(act)]));
    lo = range.first;
    hi = range.second;
    out->fused.push_back(static_cast<size_t>(act));
    out->description += " + " + graph_.nodes[static_cast<size_t>(act)].op_type;
    current = graph_.nodes[static_cast<size_t>(act)].outputs[0];
  }
  const int q = SoleConsumer(current, {"QuantizeLinear"});
  if (q < 0) return false;
  const OnnxNode& qnode = graph_.nodes[static_cast<size_t>(q)];
  if (!PerTensorInt8(qnode, &out->scale, &out->zero_point)) return false;
  out->fused.push_back(static_cast<size_t>(q));
  out->name = qnode.outputs[0];
  out->description += " + QuantizeLinear";
  const auto quantize = [&](float v) {
    return std::isinf(v)
               ? (v < 0 ? -128 : 127)
               : static_cast<int32_t>(Saturate(std::lround(v / out->scale) + out->zero_point));
  };
  out->qmin = quantize(lo);
  out->qmax = quantize(hi);
  return true;
}

Status XnnCompiler::Quantize(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  float scale = 1;
  int32_t zero_point = 0;
  if (!PerTensorInt8(n, &scale, &zero_point)) {
    return Status::Unimplemented(n.Describe() +
                                 ": only per-tensor int8 quantisation with a zero point");
  }
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const auto elements = static_cast<size_t>(xv.elements());
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(
      XnnCheck(xnn_create_convert_nc_f32_qs8(elements, elements, elements, scale,
                                             static_cast<int8_t>(zero_point), -128, 127, 0, &op),
               n.Describe()));
  const int y = AddInt8Value(n.outputs[0], xv.dims, xv.hwc_source, scale, zero_point);
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  step.operators.push_back(op);
  step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                  pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_convert_nc_f32_qs8(op, batch, in[0], reinterpret_cast<int8_t*>(o), pool),
                 "quantize setup"));
    return XnnCheck(xnn_run_operator(op, pool), "quantize");
  };
  return Status::Ok();
}

Status XnnCompiler::Dequantize(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  auto constant = graph_.quantized_constants.find(n.inputs[0]);
  if (constant != graph_.quantized_constants.end()) {
    // Weights or biases: dequantised here, once; the int8 form is kept for QC8 operators.
    const FloatTensor* scales = n.inputs.size() > 1 ? ConstantOf(n.inputs[1]) : nullptr;
    if (scales == nullptr || scales->data.empty()) {
      return Status::Unimplemented(n.Describe() + ": needs a constant scale");
    }
    QuantizedConstant q;
    q.values = &constant->second;
    q.scales = scales->data;
    q.axis = n.Int("axis", 1);
    if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
      auto zp = graph_.quantized_constants.find(n.inputs[2]);
      if (zp == graph_.quantized_constants.end()) {
        return Status::Unimplemented(n.Describe() + ": needs a constant zero point");
      }
      q.zero_points = zp->second.values;
    }
    const std::vector<int64_t>& shape = q.values->shape;
    const int64_t axis = q.axis < 0 ? q.axis + static_cast<int64_t>(shape.size()) : q.axis;
    const bool per_tensor = q.scales.size() == 1;
    if (!per_tensor &&
        (axis < 0 || axis >= static_cast<int64_t>(shape.size()) ||
         shape[static_cast<size_t>(axis)] != static_cast<int64_t>(q.scales.size()))) {
      return Status::DataLoss(n.Describe() + ": scales do not match the axis");
    }
    int64_t inner = 1;
    for (size_t d = static_cast<size_t>(std::max<int64_t>(axis, 0)) + 1; d < shape.size(); ++d) {
      inner *= shape[d];
    }
    FloatTensor values{shape, std::vector<float>(q.values->values.size())};
    for (size_t k = 0; k < values.data.size(); ++k) {
      const size_t c = per_tensor ? 0 : (k / static_cast<size_t>(inner)) % q.scales.size();
      const int32_t zp =
          q.zero_points.empty() ? 0 : q.zero_points[std::min(c, q.zero_points.size() - 1)];
      values.data[k] = q.scales[c] * static_cast<float>(q.values->values[k] - zp);
    }
    dequantized_[n.outputs[0]] = std::move(values);
    quantized_constants_[n.outputs[0]] = std::move(q);
    return Status::Ok();
  }
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue& xv = program_.value(x);
  float scale = 1;
  int32_t zero_point = 0;
  if (!xv.int8 || !PerTensorInt8(n, &scale, &zero_point) ||
      std::fabs(scale - xv.scale) > 1e-6f * xv.scale || zero_point != xv.zero_point) {
    return Status::Unimplemented(n.Describe() +
                                 ": dequantises a value with other parameters than it has");
  }
  dequantized_views_[n.outputs[0]] = x;  // Converted only if a float consumer asks.
  return Status::Ok();
}

Result<bool> XnnCompiler::TryQuantizedConv(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  const int x = DequantizedSource(n.inputs[0]);
  auto weight =
      n.inputs.size() > 1 ? quantized_constants_.find(n.inputs[1]) : quantized_constants_.end();
  if (x < 0 || weight == quantized_constants_.end()) return false;
  const QuantizedConstant& w = weight->second;
  if (w.values->data_type != 3 || w.values->shape.size() != 4 ||
      (w.scales.size() != 1 && w.axis != 0) ||
      std::any_of(w.zero_points.begin(), w.zero_points.end(), [](int32_t z) { return z != 0; })) {
    return false;  // Only symmetric int8 weights, per tensor or per output channel.
  }
  const XnnValue xv = program_.value(x);
  const int64_t out_c = w.values->shape[0], group_in = w.values->shape[1];
  const int64_t kh = w.values->shape[2], kw = w.values->shape[3];
  const int64_t groups = n.Int("group", 1);
  if (!xv.spatial() || group_in * groups != xv.dims[0] || out_c % groups != 0) return false;
  QuantizedOutput qout;
  qout.description = n.Describe();
  HIEDGE_ASSIGN_OR_RETURN(const bool chained, FindQuantizedOutput(n.outputs[0], &qout));
  if (!chained) return false;
  HIEDGE_ASSIGN_OR_RETURN(XnnWindow win, WindowOf(n, xv.dims[1], xv.dims[2], kh, kw));
  std::vector<int8_t> kernel(w.values->values.size());
  for (int64_t o = 0; o < out_c; ++o) {
    for (int64_t ci = 0; ci < group_in; ++ci) {
      for (int64_t p = 0; p < kh * kw; ++p) {
        kernel[static_cast<size_t>((o * kh * kw + p) * group_in + ci)] =
            Saturate(w.values->values[static_cast<size_t>((o * group_in + ci) * kh * kw + p)]);
      }
    }
  }
  std::vector<float> kernel_scale(static_cast<size_t>(out_c), w.scales[0]);
  if (w.scales.size() > 1) kernel_scale = w.scales;
  std::vector<int32_t> bias(static_cast<size_t>(out_c), 0);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const FloatTensor* b = ConstantOf(n.inputs[2]);
    if (b == nullptr || static_cast<int64_t>(b->data.size()) != out_c) return false;
    for (size_t o = 0; o < bias.size(); ++o) {
      bias[o] = static_cast<int32_t>(std::lround(b->data[o] / (xv.scale * kernel_scale[o])));
    }
  }
  const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(XnnCheck(
      xnn_create_convolution2d_nhwc_qc8(
          u(win.pt), u(win.pr), u(win.pb), u(win.pl), u(kh), u(kw), u(win.sh), u(win.sw), u(win.dh),
          u(win.dw), u(groups), static_cast<size_t>(group_in), static_cast<size_t>(out_c / groups),
          static_cast<size_t>(xv.dims[0]), static_cast<size_t>(out_c),
          static_cast<int8_t>(xv.zero_point), xv.scale, kernel_scale.data(), kernel.data(),
          bias.data(), static_cast<int8_t>(qout.zero_point), qout.scale,
          static_cast<int8_t>(qout.qmin), static_cast<int8_t>(qout.qmax), 0, &op),
      qout.description));
  MarkFused(qout);
  const int y =
      AddInt8Value(qout.name, {out_c, win.out_h, win.out_w}, {}, qout.scale, qout.zero_point);
  XnnStep& step = AddStep(qout.description + " (int8)", {x}, y,
                          win.out_h * win.out_w * out_c * group_in * kh * kw);
  step.operators.push_back(op);
  const auto h = static_cast<size_t>(xv.dims[1]), wd = static_cast<size_t>(xv.dims[2]);
  step.run = [op, h, wd](size_t batch, std::span<const float* const> in, float* o,
                         pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_setup_convolution2d_nhwc_qc8(op, batch, h, wd, reinterpret_cast<const int8_t*>(in[0]),
                                         reinterpret_cast<int8_t*>(o), pool),
        "qc8 conv setup"));
    return XnnCheck(xnn_run_operator(op, pool), "qc8 conv");
  };
  return true;
}

// Gemm/MatMul in int8: a 1x1 QC8 convolution over [N, 1, 1, K], so the weights keep a
// scale per output feature.
Result<bool> XnnCompiler::TryQuantizedGemm(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  const bool matmul = n.op_type == "MatMul";
  const int a = DequantizedSource(n.inputs[0]);
  auto weight =
      n.inputs.size() > 1 ? quantized_constants_.find(n.inputs[1]) : quantized_constants_.end();
  if (a < 0 || weight == quantized_constants_.end()) return false;
  const QuantizedConstant& w = weight->second;
  const bool trans_b = !matmul && n.Int("transB", 0) != 0;
  const XnnValue av = program_.value(a);
  if (w.values->data_type != 3 || w.values->shape.size() != 2 || n.Int("transA", 0) != 0 ||
      (!matmul && n.Float("alpha", 1.0f) != 1.0f) ||
      (av.spatial() && av.dims[1] * av.dims[2] != 1) ||
      std::any_of(w.zero_points.begin(), w.zero_points.end(), [](int32_t z) { return z != 0; })) {
    return false;
  }
  const int64_t k = av.elements();
  const int64_t m = trans_b ? w.values->shape[0] : w.values->shape[1];
  const int64_t channel_axis = trans_b ? 0 : 1;
  if ((trans_b ? w.values->shape[1] : w.values->shape[0]) != k ||
      (w.scales.size() != 1 && w.axis != channel_axis)) {
    return false;
  }
  QuantizedOutput qout;
  qout.description = n.Describe();
  HIEDGE_ASSIGN_OR_RETURN(const bool chained, FindQuantizedOutput(n.outputs[0], &qout));
  if (!chained) return false;
  const std::vector<int64_t> order = StorageToOnnx(av);
  std::vector<int8_t> kernel(static_cast<size_t>(m * k));
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t s = 0; s < k; ++s) {
      const int64_t l = order.empty() ? s : order[static_cast<size_t>(s)];
      kernel[static_cast<size_t>(r * k + s)] =
          Saturate(w.values->values[static_cast<size_t>(trans_b ? r * k + l : l * m + r)]);
    }
  }
  std::vector<float> kernel_scale(static_cast<size_t>(m), w.scales[0]);
  if (w.scales.size() > 1) kernel_scale = w.scales;
  std::vector<int32_t> bias(static_cast<size_t>(m), 0);
  if (!matmul && n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const FloatTensor* c = ConstantOf(n.inputs[2]);
    if (c == nullptr || static_cast<int64_t>(c->data.size()) != m) return false;
    const float beta = n.Float("beta", 1.0f);
    for (size_t r = 0; r < bias.size(); ++r) {
      bias[r] = static_cast<int32_t>(std::lround(beta * c->data[r] / (av.scale * kernel_scale[r])));
    }
  }
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(
      XnnCheck(xnn_create_convolution2d_nhwc_qc8(
                   0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, static_cast<size_t>(k), static_cast<size_t>(m),
                   static_cast<size_t>(k), static_cast<size_t>(m),
                   static_cast<int8_t>(av.zero_point), av.scale, kernel_scale.data(), kernel.data(),
                   bias.data(), static_cast<int8_t>(qout.zero_point), qout.scale,
                   static_cast<int8_t>(qout.qmin), static_cast<int8_t>(qout.qmax), 0, &op),
               qout.description));
  MarkFused(qout);
  const int y = AddInt8Value(qout.name, {m}, {}, qout.scale, qout.zero_point);
  XnnStep& step = AddStep(qout.description + " (int8)", {a}, y, m * k);
  step.operators.push_back(op);
  step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                  pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_setup_convolution2d_nhwc_qc8(op, batch, 1, 1, reinterpret_cast<const int8_t*>(in[0]),
                                         reinterpret_cast<int8_t*>(o), pool),
        "qc8 gemm setup"));
    return XnnCheck(xnn_run_operator(op, pool), "qc8 gemm");
  };
  return true;
}

// MaxPool (same scale in and out) and GlobalAveragePool in int8.
Result<bool> XnnCompiler::TryQuantizedPool(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  const int x = DequantizedSource(n.inputs[0]);
  if (x < 0) return false;
  const XnnValue xv = program_.value(x);
  if (!xv.spatial()) return false;
  QuantizedOutput qout;
  qout.description = n.Describe();
  HIEDGE_ASSIGN_OR_RETURN(const bool chained, FindQuantizedOutput(n.outputs[0], &qout));
  if (!chained) return false;
  const auto c = static_cast<size_t>(xv.dims[0]);
  const auto h = static_cast<size_t>(xv.dims[1]), wd = static_cast<size_t>(xv.dims[2]);
  xnn_operator_t op = nullptr;
  std::vector<int64_t> dims;
  XnnStep::RunFn run;
  if (n.op_type == "MaxPool") {
    if (std::fabs(qout.scale - xv.scale) > 1e-6f * xv.scale || qout.zero_point != xv.zero_point) {
      return false;  // Requantising max pool: the float path handles it.
    }
    const auto kernel = n.Ints("kernel_shape");
    if (kernel.size() != 2) return false;
    HIEDGE_ASSIGN_OR_RETURN(XnnWindow win,
                            WindowOf(n, xv.dims[1], xv.dims[2], kernel[0], kernel[1]));
    const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_create_max_pooling2d_nhwc_s8(u(win.pt), u(win.pr), u(win.pb), u(win.pl), u(win.kh),
                                         u(win.kw), u(win.sh), u(win.sw), u(win.dh), u(win.dw), c,
                                         c, c, static_cast<int8_t>(qout.qmin),
                                         static_cast<int8_t>(qout.qmax), 0, &op),
        qout.description));
    dims = {xv.dims[0], win.out_h, win.out_w};
    run = [op, h, wd](size_t batch, std::span<const float* const> in, float* o,
                      pthreadpool_t pool) -> Status {
      HIEDGE_RETURN_IF_ERROR(XnnCheck(
          xnn_setup_max_pooling2d_nhwc_s8(op, batch, h, wd, reinterpret_cast<const int8_t*>(in[0]),
                                          reinterpret_cast<int8_t*>(o), pool),
          "s8 max pool setup"));
      return XnnCheck(xnn_run_operator(op, pool), "s8 max pool");
    };
  } else {
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_create_global_average_pooling_nwc_qs8(c, c, c, static_cast<int8_t>(xv.zero_point),
                                                  xv.scale, static_cast<int8_t>(qout.zero_point),
                                                  qout.scale, static_cast<int8_t>(qout.qmin),
                                                  static_cast<int8_t>(qout.qmax), 0, &op),
        qout.description));
    dims = {xv.dims[0], 1, 1};
    const size_t pixels = h * wd;
    run = [op, pixels](size_t batch, std::span<const float* const> in, float* o,
                       pthreadpool_t pool) -> Status {
      HIEDGE_RETURN_IF_ERROR(XnnCheck(xnn_setup_global_average_pooling_nwc_qs8(
                                          op, batch, pixels, reinterpret_cast<const int8_t*>(in[0]),
                                          reinterpret_cast<int8_t*>(o), pool),
                                      "qs8 global average pool setup"));
      return XnnCheck(xnn_run_operator(op, pool), "qs8 global average pool");
    };
  }
  MarkFused(qout);
  const int y = AddInt8Value(qout.name, dims, {}, qout.scale, qout.zero_point);
  XnnStep& step = AddStep(qout.description + " (int8)", {x}, y);
  step.operators.push_back(op);
  step.run = std::move(run);
  return true;
}

Result<bool> XnnCompiler::TryQuantizedAdd(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  if (n.op_type != "Add" || n.inputs.size() != 2) return false;
  const int a = DequantizedSource(n.inputs[0]);
  const int b = DequantizedSource(n.inputs[1]);
  if (a < 0 || b < 0) return false;
  const XnnValue av = program_.value(a), bv = program_.value(b);
  if (av.dims != bv.dims || av.hwc_source != bv.hwc_source) return false;
  QuantizedOutput qout;
  qout.description = n.Describe();
  HIEDGE_ASSIGN_OR_RETURN(const bool chained, FindQuantizedOutput(n.outputs[0], &qout));
  if (!chained) return false;
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(XnnCheck(
      xnn_create_add_nd_qs8(static_cast<int8_t>(av.zero_point), av.scale,
                            static_cast<int8_t>(bv.zero_point), bv.scale,
                            static_cast<int8_t>(qout.zero_point), qout.scale,
                            static_cast<int8_t>(qout.qmin), static_cast<int8_t>(qout.qmax), 0, &op),
      qout.description));
  MarkFused(qout);
  const int y = AddInt8Value(qout.name, av.dims, av.hwc_source, qout.scale, qout.zero_point);
  XnnStep& step = AddStep(qout.description + " (int8)", {a, b}, y);
  step.operators.push_back(op);
  const auto elements = static_cast<size_t>(av.elements());
  step.run = [op, elements](size_t batch, std::span<const float* const> in, float* o,
                            pthreadpool_t pool) -> Status {
    const size_t shape[1] = {batch * elements};
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_setup_add_nd_qs8(op, 1, shape, 1, shape, reinterpret_cast<const int8_t*>(in[0]),
                             reinterpret_cast<const int8_t*>(in[1]), reinterpret_cast<int8_t*>(o),
                             pool),
        "qs8 add setup"));
    return XnnCheck(xnn_run_operator(op, pool), "qs8 add");
  };
  return true;
}

}  // namespace hiedge::engine
