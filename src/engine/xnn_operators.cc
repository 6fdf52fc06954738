// The per-operator builders of XnnCompiler: ONNX semantics -> XNNPACK operators.
#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {

// Kernel window, strides, dilations and pads of a Conv/pool over [H, W], with the
// output size; auto_pad SAME_* pads are computed as ONNX defines them.
Result<XnnWindow> WindowOf(const OnnxNode& n, int64_t h, int64_t w, int64_t kh, int64_t kw) {
  XnnWindow win;
  win.kh = kh;
  win.kw = kw;
  const auto strides = n.Ints("strides", {1, 1});
  const auto dilations = n.Ints("dilations", {1, 1});
  const auto pads = n.Ints("pads", {0, 0, 0, 0});
  if (strides.size() != 2 || dilations.size() != 2 || pads.size() != 4) {
    return Status::Unimplemented(n.Describe() + ": only 2-D windows are supported");
  }
  win.sh = strides[0];
  win.sw = strides[1];
  win.dh = dilations[0];
  win.dw = dilations[1];
  win.pt = pads[0];
  win.pl = pads[1];
  win.pb = pads[2];
  win.pr = pads[3];
  const int64_t eh = win.dh * (kh - 1) + 1, ew = win.dw * (kw - 1) + 1;
  const std::string auto_pad = n.String("auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    win.pt = win.pl = win.pb = win.pr = 0;
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    const int64_t total_h = std::max<int64_t>(0, ((h + win.sh - 1) / win.sh - 1) * win.sh + eh - h);
    const int64_t total_w = std::max<int64_t>(0, ((w + win.sw - 1) / win.sw - 1) * win.sw + ew - w);
    const bool upper = auto_pad == "SAME_UPPER";
    win.pt = upper ? total_h / 2 : total_h - total_h / 2;
    win.pb = total_h - win.pt;
    win.pl = upper ? total_w / 2 : total_w - total_w / 2;
    win.pr = total_w - win.pl;
  } else if (auto_pad != "NOTSET") {
    return Status::Unimplemented(n.Describe() + ": auto_pad " + auto_pad);
  }
  if (win.sh < 1 || win.sw < 1 || win.dh < 1 || win.dw < 1 || win.pt < 0 || win.pl < 0 ||
      win.pb < 0 || win.pr < 0) {
    return Status::DataLoss(n.Describe() + ": strides/dilations must be >= 1, pads >= 0");
  }
  win.out_h = (h + win.pt + win.pb - eh) / win.sh + 1;
  win.out_w = (w + win.pl + win.pr - ew) / win.sw + 1;
  if (n.Int("ceil_mode", 0) != 0) {
    const int64_t ceil_h = (h + win.pt + win.pb - eh + win.sh - 1) / win.sh + 1;
    const int64_t ceil_w = (w + win.pl + win.pr - ew + win.sw - 1) / win.sw + 1;
    if (ceil_h != win.out_h || ceil_w != win.out_w) {
      return Status::Unimplemented(n.Describe() + ": ceil_mode=1 changes the output size");
    }
  }
  if (win.out_h < 1 || win.out_w < 1 || h + win.pt + win.pb < eh || w + win.pl + win.pr < ew) {
    return Status::DataLoss(n.Describe() + ": the window is larger than its padded input");
  }
  return win;
}

Status XnnCompiler::Conv(size_t i) {
  HIEDGE_ASSIGN_OR_RETURN(const bool quantized, TryQuantizedConv(i));
  if (quantized) return Status::Ok();
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const FloatTensor* weight = n.inputs.size() > 1 ? ConstantOf(n.inputs[1]) : nullptr;
  if (!xv.spatial() || weight == nullptr || weight->shape.size() != 4) {
    return Status::Unimplemented(n.Describe() +
                                 ": needs a [C, H, W] input and constant 4-D weights");
  }
  const int64_t out_c = weight->shape[0], group_in = weight->shape[1];
  const int64_t kh = weight->shape[2], kw = weight->shape[3];
  const int64_t groups = n.Int("group", 1);
  if (groups < 1 || group_in * groups != xv.dims[0] || out_c % groups != 0) {
    return Status::DataLoss(n.Describe() + ": weights " + ShapeToString(weight->shape) +
                            " do not fit input " + ShapeToString(xv.dims) + " in " +
                            std::to_string(groups) + " groups");
  }
  HIEDGE_ASSIGN_OR_RETURN(XnnWindow win, WindowOf(n, xv.dims[1], xv.dims[2], kh, kw));
  // OIHW -> OHWI, the layout XNNPACK packs from.
  std::vector<float> kernel(weight->data.size());
  for (int64_t o = 0; o < out_c; ++o) {
    for (int64_t ci = 0; ci < group_in; ++ci) {
      for (int64_t p = 0; p < kh * kw; ++p) {
        kernel[static_cast<size_t>((o * kh * kw + p) * group_in + ci)] =
            weight->data[static_cast<size_t>((o * group_in + ci) * kh * kw + p)];
      }
    }
  }
  std::vector<float> bias(static_cast<size_t>(out_c), 0.0f);
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const FloatTensor* b = ConstantOf(n.inputs[2]);
    if (b == nullptr || static_cast<int64_t>(b->data.size()) != out_c) {
      return Status::DataLoss(n.Describe() + ": the bias must be a constant of " +
                              std::to_string(out_c) + " values");
    }
    bias = b->data;
  }
  std::string out = n.outputs[0], description = n.Describe();
  if (const int j = SoleConsumer(out, {"BatchNormalization"}); j >= 0) {
    const OnnxNode& bn = graph_.nodes[static_cast<size_t>(j)];
    const FloatTensor* p[4];
    for (size_t k = 0; k < 4; ++k) {
      p[k] = bn.inputs.size() > k + 1 ? ConstantOf(bn.inputs[k + 1]) : nullptr;
      if (p[k] == nullptr || static_cast<int64_t>(p[k]->data.size()) != out_c) {
        return Status::Unimplemented(bn.Describe() + ": needs constant per-channel parameters");
      }
    }
    const float epsilon = bn.Float("epsilon", 1e-5f);
    const int64_t per_output = kh * kw * group_in;
    for (int64_t o = 0; o < out_c; ++o) {
      const auto oc = static_cast<size_t>(o);
      const float scale = p[0]->data[oc] / std::sqrt(p[3]->data[oc] + epsilon);
      for (int64_t k = 0; k < per_output; ++k)
        kernel[static_cast<size_t>(o * per_output + k)] *= scale;
      bias[oc] = (bias[oc] - p[2]->data[oc]) * scale + p[1]->data[oc];
    }
    fused_[static_cast<size_t>(j)] = true;
    out = bn.outputs[0];
    description += " + BatchNormalization";
  }
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(XnnCheck(
      xnn_create_convolution2d_nhwc_f32(
          static_cast<uint32_t>(win.pt), static_cast<uint32_t>(win.pr),
          static_cast<uint32_t>(win.pb), static_cast<uint32_t>(win.pl), static_cast<uint32_t>(kh),
          static_cast<uint32_t>(kw), static_cast<uint32_t>(win.sh), static_cast<uint32_t>(win.sw),
          static_cast<uint32_t>(win.dh), static_cast<uint32_t>(win.dw),
          static_cast<uint32_t>(groups), static_cast<size_t>(group_in),
          static_cast<size_t>(out_c / groups), static_cast<size_t>(xv.dims[0]),
          static_cast<size_t>(out_c), kernel.data(), bias.data(), lo, hi, 0, &op),
      description));
  const int y = AddValue(out, {out_c, win.out_h, win.out_w});
  XnnStep& step = AddStep(description, {x}, y, win.out_h * win.out_w * out_c * group_in * kh * kw);
  step.operators.push_back(op);
  const auto h = static_cast<size_t>(xv.dims[1]), w = static_cast<size_t>(xv.dims[2]);
  step.run = [op, h, w](size_t batch, std::span<const float* const> in, float* o,
                        pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_convolution2d_nhwc_f32(op, batch, h, w, in[0], o, pool), "conv setup"));
    return XnnCheck(xnn_run_operator(op, pool), "conv");
  };
  return Status::Ok();
}

Status XnnCompiler::Gemm(size_t i) {
  HIEDGE_ASSIGN_OR_RETURN(const bool quantized, TryQuantizedGemm(i));
  if (quantized) return Status::Ok();
  const OnnxNode& n = graph_.nodes[i];
  const bool matmul = n.op_type == "MatMul";
  HIEDGE_ASSIGN_OR_RETURN(const int a, ValueOf(n.inputs[0], n));
  const XnnValue av = program_.value(a);
  const FloatTensor* b = n.inputs.size() > 1 ? ConstantOf(n.inputs[1]) : nullptr;
  if (av.spatial() && av.dims[1] * av.dims[2] != 1) {
    return Status::Unimplemented(n.Describe() + ": input " + ShapeToString(av.dims) +
                                 " must be flattened first");
  }
  if (b == nullptr || b->shape.size() != 2 || n.Int("transA", 0) != 0) {
    return Status::Unimplemented(n.Describe() + ": needs constant 2-D weights and transA=0");
  }
  const bool trans_b = !matmul && n.Int("transB", 0) != 0;
  const int64_t k = av.elements();
  const int64_t m = trans_b ? b->shape[0] : b->shape[1];
  if ((trans_b ? b->shape[1] : b->shape[0]) != k) {
    return Status::DataLoss(n.Describe() + ": weights " + ShapeToString(b->shape) +
                            " do not fit an input of " + std::to_string(k) + " features");
  }
  const float alpha = matmul ? 1.0f : n.Float("alpha", 1.0f);
  const float beta = matmul ? 1.0f : n.Float("beta", 1.0f);
  const std::vector<int64_t> order = StorageToOnnx(av);
  std::vector<float> kernel(static_cast<size_t>(m * k));
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t s = 0; s < k; ++s) {
      const int64_t l = order.empty() ? s : order[static_cast<size_t>(s)];
      kernel[static_cast<size_t>(r * k + s)] =
          alpha * b->data[static_cast<size_t>(trans_b ? r * k + l : l * m + r)];
    }
  }
  std::vector<float> bias(static_cast<size_t>(m), 0.0f);
  if (!matmul && n.inputs.size() > 2 && !n.inputs[2].empty()) {
    const FloatTensor* c = ConstantOf(n.inputs[2]);
    if (c == nullptr || (c->data.size() != 1 && static_cast<int64_t>(c->data.size()) != m)) {
      return Status::Unimplemented(n.Describe() + ": C must be a constant of 1 or " +
                                   std::to_string(m) + " values");
    }
    for (int64_t r = 0; r < m; ++r) {
      bias[static_cast<size_t>(r)] =
          beta * c->data[c->data.size() == 1 ? 0 : static_cast<size_t>(r)];
    }
  }
  std::string out = n.outputs[0], description = n.Describe();
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(
      XnnCheck(xnn_create_fully_connected_nc_f32(static_cast<size_t>(k), static_cast<size_t>(m),
                                                 static_cast<size_t>(k), static_cast<size_t>(m),
                                                 kernel.data(), bias.data(), lo, hi, 0, &op),
               description));
  const int y = AddValue(out, {m});
  XnnStep& step = AddStep(description, {a}, y, m * k);
  step.operators.push_back(op);
  step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                  pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_setup_fully_connected_nc_f32(op, batch, in[0], o, pool), "gemm setup"));
    return XnnCheck(xnn_run_operator(op, pool), "gemm");
  };
  return Status::Ok();
}

Status XnnCompiler::Pool(size_t i) {
  if (graph_.nodes[i].op_type == "MaxPool") {
    HIEDGE_ASSIGN_OR_RETURN(const bool quantized, TryQuantizedPool(i));
    if (quantized) return Status::Ok();
  }
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const auto kernel = n.Ints("kernel_shape");
  if (!xv.spatial() || kernel.size() != 2) {
    return Status::Unimplemented(n.Describe() + ": needs a [C, H, W] input and a 2-D kernel");
  }
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) {
    return Status::Unimplemented(n.Describe() + ": the Indices output is not supported");
  }
  HIEDGE_ASSIGN_OR_RETURN(XnnWindow win, WindowOf(n, xv.dims[1], xv.dims[2], kernel[0], kernel[1]));
  const bool max = n.op_type == "MaxPool";
  if (!max && (win.dh != 1 || win.dw != 1 || win.pt + win.pl + win.pb + win.pr != 0)) {
    return Status::Unimplemented(n.Describe() + ": AveragePool with padding or dilation");
  }
  std::string out = n.outputs[0], description = n.Describe();
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  const auto c = static_cast<size_t>(xv.dims[0]);
  xnn_operator_t op = nullptr;
  const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
  HIEDGE_RETURN_IF_ERROR(XnnCheck(
      max ? xnn_create_max_pooling2d_nhwc_f32(u(win.pt), u(win.pr), u(win.pb), u(win.pl), u(win.kh),
                                              u(win.kw), u(win.sh), u(win.sw), u(win.dh), u(win.dw),
                                              c, c, c, lo, hi, 0, &op)
          : xnn_create_average_pooling2d_nhwc_f32(0, 0, 0, 0, u(win.kh), u(win.kw), u(win.sh),
                                                  u(win.sw), c, c, c, lo, hi, 0, &op),
      description));
  const int y = AddValue(out, {xv.dims[0], win.out_h, win.out_w});
  XnnStep& step = AddStep(description, {x}, y);
  step.operators.push_back(op);
  const auto h = static_cast<size_t>(xv.dims[1]), w = static_cast<size_t>(xv.dims[2]);
  step.run = [op, h, w, max](size_t batch, std::span<const float* const> in, float* o,
                             pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(max ? xnn_setup_max_pooling2d_nhwc_f32(op, batch, h, w, in[0], o, pool)
                     : xnn_setup_average_pooling2d_nhwc_f32(op, batch, h, w, in[0], o, pool),
                 "pool setup"));
    return XnnCheck(xnn_run_operator(op, pool), "pool");
  };
  return Status::Ok();
}

Status XnnCompiler::GlobalAveragePool(size_t i) {
  HIEDGE_ASSIGN_OR_RETURN(const bool quantized, TryQuantizedPool(i));
  if (quantized) return Status::Ok();
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  if (!xv.spatial()) return Status::Unimplemented(n.Describe() + ": needs a [C, H, W] input");
  std::string out = n.outputs[0], description = n.Describe();
  float lo = kNoMin, hi = kNoMax;
  HIEDGE_RETURN_IF_ERROR(FuseActivation(&out, &lo, &hi, &description));
  const auto c = static_cast<size_t>(xv.dims[0]);
  xnn_operator_t op = nullptr;
  HIEDGE_RETURN_IF_ERROR(
      XnnCheck(xnn_create_global_average_pooling_nwc_f32(c, c, c, lo, hi, 0, &op), description));
  const int y = AddValue(out, {xv.dims[0], 1, 1});
  XnnStep& step = AddStep(description, {x}, y);
  step.operators.push_back(op);
  const auto pixels = static_cast<size_t>(xv.dims[1] * xv.dims[2]);
  step.run = [op, pixels](size_t batch, std::span<const float* const> in, float* o,
                          pthreadpool_t pool) -> Status {
    HIEDGE_RETURN_IF_ERROR(XnnCheck(
        xnn_setup_global_average_pooling_nwc_f32(op, batch, pixels, in[0], o, pool), "gap setup"));
    return XnnCheck(xnn_run_operator(op, pool), "global average pool");
  };
  return Status::Ok();
}

// Flatten, Identity and Dropout (inference) produce no data: the output is the input's
// storage under another shape.
Status XnnCompiler::Alias(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  const int q = DequantizedSource(n.inputs[0]);
  const bool flatten = n.op_type == "Flatten";
  if (q >= 0 && n.op_type != "Dropout" &&
      (!flatten || n.Int("axis", 1) == 1 ||
       n.Int("axis", 1) == -static_cast<int64_t>(program_.value(q).dims.size()))) {
    // The int8 value under another shape, still dequantised lazily.
    const XnnValue qv = program_.value(q);
    const int alias =
        AddValue(n.outputs[0] + "#int8", flatten ? std::vector<int64_t>{qv.elements()} : qv.dims,
                 flatten && qv.permuted() ? qv.dims : qv.hwc_source, q);
    dequantized_views_[n.outputs[0]] = alias;
    return Status::Ok();
  }
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  if (n.op_type == "Dropout" && n.outputs.size() > 1 && !n.outputs[1].empty() &&
      consumers_.count(n.outputs[1])) {
    return Status::Unimplemented(n.Describe() + ": the mask output is not supported");
  }
  if (n.op_type != "Flatten") {
    AddValue(n.outputs[0], xv.dims, xv.hwc_source, x);
    return Status::Ok();
  }
  const int64_t axis = n.Int("axis", 1);
  const auto rank = static_cast<int64_t>(xv.dims.size()) + 1;
  if (axis != 1 && axis != 1 - rank) {
    return Status::Unimplemented(n.Describe() + ": only axis=1 (keep the batch) is supported");
  }
  AddValue(n.outputs[0], {xv.elements()}, xv.permuted() ? xv.dims : xv.hwc_source, x);
  return Status::Ok();
}

Status XnnCompiler::Reshape(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  if (!IsShapeValue(n.inputs[1])) {
    return Status::Unimplemented(n.Describe() +
                                 ": the target shape must be a constant or computed from shapes");
  }
  HIEDGE_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ShapeValueOf(n.inputs[1], n));
  // The batch taken from the input's own shape is the batch: copy it.
  for (int64_t& d : shape) d = d == kBatchDim ? 0 : d;
  // [batch, features]: the batch entry is 0 (copy), -1 (infer) or a fixed batch of 1;
  // the features entry is -1 or the element count.
  const bool to_rows = shape.size() == 2 && (shape[0] == 0 || shape[0] == -1 || shape[0] == 1) &&
                       (shape[1] == -1 || shape[1] == xv.elements()) &&
                       !(shape[0] == -1 && shape[1] == -1);
  if (!to_rows) {
    // Any other shape keeping the batch first: the values in ONNX order under new dims.
    if (shape.empty() || (shape[0] != 0 && shape[0] != -1)) {
      return Status::Unimplemented(n.Describe() + ": reshape to " + ShapeToString(shape) +
                                   " must keep the batch as its first axis");
    }
    std::vector<int64_t> dims(shape.begin() + 1, shape.end());
    int64_t known = 1, infer = -1;
    for (size_t k = 0; k < dims.size(); ++k) {
      if (dims[k] == 0 && k + 1 < xv.dims.size() + 1) dims[k] = xv.dims[k];  // Copy.
      if (dims[k] == -1) {
        if (infer >= 0) return Status::DataLoss(n.Describe() + ": two -1 entries");
        infer = static_cast<int64_t>(k);
      } else {
        known *= dims[k];
      }
    }
    if (infer >= 0 && known > 0) dims[static_cast<size_t>(infer)] = xv.elements() / known;
    return AddRelayout(x, n.outputs[0], dims, [](int64_t k) { return k; }, n.Describe());
  }
  AddValue(n.outputs[0], {xv.elements()}, xv.permuted() ? xv.dims : xv.hwc_source, x);
  return Status::Ok();
}

// Concat along channels (NHWC: each pixel's channels side by side) or features.
Status XnnCompiler::Concat(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  if (std::any_of(n.inputs.begin(), n.inputs.end(),
                  [this](const std::string& name) { return IsShapeValue(name); })) {
    return ConcatShapes(i);
  }
  std::vector<int> inputs;
  std::vector<size_t> widths;
  std::vector<int64_t> dims;
  for (const std::string& name : n.inputs) {
    HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(name, n));
    const XnnValue& xv = program_.value(x);
    if (!xv.hwc_source.empty() ||
        (!dims.empty() && (xv.dims.size() != dims.size() ||
                           !std::equal(xv.dims.begin() + 1, xv.dims.end(), dims.begin() + 1)))) {
      return Status::Unimplemented(n.Describe() + ": inputs must agree beyond the channel axis");
    }
    if (dims.empty()) {
      dims = xv.dims;
    } else {
      dims[0] += xv.dims[0];
    }
    inputs.push_back(x);
    widths.push_back(static_cast<size_t>(xv.dims[0]));
  }
  const auto rank = static_cast<int64_t>(dims.size()) + 1;
  const int64_t axis = n.Int("axis", 1);
  if (inputs.empty() || (axis != 1 && axis != 1 - rank)) {
    return Status::Unimplemented(n.Describe() + ": only along axis 1 (channels/features)");
  }
  const int y = AddValue(n.outputs[0], dims);
  XnnStep& step = AddStep(n.Describe(), inputs, y);
  const auto pixels = static_cast<size_t>(dims.size() == 3 ? dims[1] * dims[2] : 1);
  const auto total = static_cast<size_t>(dims[0]);
  step.run = [widths, pixels, total](size_t batch, std::span<const float* const> in, float* o,
                                     pthreadpool_t) -> Status {
    for (size_t r = 0; r < batch * pixels; ++r) {
      size_t offset = 0;
      for (size_t k = 0; k < widths.size(); ++k) {
        std::memcpy(o + r * total + offset, in[k] + r * widths[k], widths[k] * sizeof(float));
        offset += widths[k];
      }
    }
    return Status::Ok();
  };
  return Status::Ok();
}

}  // namespace hiedge::engine
