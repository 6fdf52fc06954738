// Resize of a [C, H, W] feature map's H and W (ONNX opsets 11-19): nearest or linear,
// with every coordinate transformation mode but tf_crop_and_resize. Each output pixel
// reads at most four input pixels with weights fixed at compile time (nearest: one);
// the step applies them to every channel of the NHWC storage.
#include <algorithm>
#include <cmath>
#include <memory>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {
namespace {

struct Tap {
  int64_t pixel = 0;  // Input pixel (y * W + x).
  float weight = 0;
};

// The input coordinate of output coordinate `out` along one axis (ONNX Resize).
Result<double> SourceCoordinate(const std::string& mode, int64_t out, int64_t in_length,
                                int64_t out_length, double scale) {
  const double x = static_cast<double>(out);
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out_length > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return out_length > 1 ? x * static_cast<double>(in_length - 1) /
                                static_cast<double>(out_length - 1)
                          : 0.0;
  }
  if (mode == "asymmetric") return x / scale;
  if (mode == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  return Status::Unimplemented("coordinate_transformation_mode " + mode);
}

Result<int64_t> Nearest(const std::string& mode, double x) {
  if (mode == "round_prefer_floor") {
    return static_cast<int64_t>(x - std::floor(x) == 0.5 ? std::floor(x) : std::round(x));
  }
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::round(x));
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  return Status::Unimplemented("nearest_mode " + mode);
}

// Per output coordinate along one axis: (index, weight) pairs (one for nearest, two for
// linear), clamped to the input.
Result<std::vector<std::vector<std::pair<int64_t, float>>>> AxisTaps(
    const OnnxNode& n, int64_t in_length, int64_t out_length, double scale) {
  const std::string transform = n.String("coordinate_transformation_mode", "half_pixel");
  const std::string mode = n.String("mode", "nearest");
  std::vector<std::vector<std::pair<int64_t, float>>> taps(static_cast<size_t>(out_length));
  auto clamp = [in_length](int64_t k) { return std::clamp<int64_t>(k, 0, in_length - 1); };
  for (int64_t o = 0; o < out_length; ++o) {
    HIEDGE_ASSIGN_OR_RETURN(const double x,
                            SourceCoordinate(transform, o, in_length, out_length, scale));
    if (mode == "nearest") {
      HIEDGE_ASSIGN_OR_RETURN(const int64_t k,
                              Nearest(n.String("nearest_mode", "round_prefer_floor"), x));
      taps[static_cast<size_t>(o)] = {{clamp(k), 1.0f}};
    } else if (mode == "linear") {
      const double c = std::clamp(x, 0.0, static_cast<double>(in_length - 1));
      const auto k0 = static_cast<int64_t>(std::floor(c));
      const auto w1 = static_cast<float>(c - static_cast<double>(k0));
      taps[static_cast<size_t>(o)] = {{clamp(k0), 1.0f - w1}, {clamp(k0 + 1), w1}};
    } else {
      return Status::Unimplemented(n.Describe() + ": mode " + mode + " (nearest or linear)");
    }
  }
  return taps;
}

}  // namespace

Status XnnCompiler::Resize(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  if (!xv.spatial()) {
    return Status::Unimplemented(n.Describe() + ": only H and W of an [N, C, H, W] feature map");
  }
  const int64_t c = xv.dims[0], h = xv.dims[1], w = xv.dims[2];
  double scale_h = 0, scale_w = 0;
  int64_t out_h = 0, out_w = 0;
  const FloatTensor* scales =
      n.inputs.size() > 2 && !n.inputs[2].empty() ? ConstantOf(n.inputs[2]) : nullptr;
  if (scales != nullptr && scales->data.size() == 4) {
    if (scales->data[0] != 1 || scales->data[1] != 1) {
      return Status::Unimplemented(n.Describe() + ": only H and W may be scaled");
    }
    scale_h = scales->data[2];
    scale_w = scales->data[3];
    out_h = static_cast<int64_t>(std::floor(static_cast<double>(h) * scale_h));
    out_w = static_cast<int64_t>(std::floor(static_cast<double>(w) * scale_w));
  } else if (n.inputs.size() > 3 && !n.inputs[3].empty()) {
    HIEDGE_ASSIGN_OR_RETURN(const std::vector<int64_t> sizes, ShapeValueOf(n.inputs[3], n));
    if (sizes.size() != 4 || sizes[1] != c) {
      return Status::Unimplemented(n.Describe() + ": sizes must be [N, C, H', W']");
    }
    out_h = sizes[2];
    out_w = sizes[3];
    scale_h = static_cast<double>(out_h) / static_cast<double>(h);
    scale_w = static_cast<double>(out_w) / static_cast<double>(w);
  } else {
    return Status::Unimplemented(n.Describe() + ": needs constant scales or sizes");
  }
  if (out_h < 1 || out_w < 1 || out_h * out_w * c > kMaxValueElements) {
    return Status::DataLoss(n.Describe() + ": output " + std::to_string(out_h) + "x" +
                            std::to_string(out_w) + " is out of bounds");
  }
  HIEDGE_ASSIGN_OR_RETURN(auto rows, AxisTaps(n, h, out_h, scale_h));
  HIEDGE_ASSIGN_OR_RETURN(auto cols, AxisTaps(n, w, out_w, scale_w));
  // Per output pixel, its taps (row taps x column taps).
  auto taps = std::make_shared<std::vector<std::vector<Tap>>>();
  taps->reserve(static_cast<size_t>(out_h * out_w));
  for (int64_t oy = 0; oy < out_h; ++oy) {
    for (int64_t ox = 0; ox < out_w; ++ox) {
      std::vector<Tap> pixel;
      for (const auto& [y, wy] : rows[static_cast<size_t>(oy)]) {
        for (const auto& [xx, wx] : cols[static_cast<size_t>(ox)]) {
          if (wy * wx != 0) pixel.push_back({y * w + xx, wy * wx});
        }
      }
      taps->push_back(std::move(pixel));
    }
  }
  const int y = AddValue(n.outputs[0], {c, out_h, out_w});
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  const auto channels = static_cast<size_t>(c);
  const auto in_pixels = static_cast<size_t>(h * w);
  step.run = [taps, channels, in_pixels](size_t batch, std::span<const float* const> in, float* o,
                                         pthreadpool_t) -> Status {
    const size_t out_pixels = taps->size();
    for (size_t n = 0; n < batch; ++n) {
      const float* src = in[0] + n * in_pixels * channels;
      float* dst = o + n * out_pixels * channels;
      for (size_t p = 0; p < out_pixels; ++p) {
        float* out = dst + p * channels;
        std::fill(out, out + channels, 0.0f);
        for (const Tap& t : (*taps)[p]) {
          const float* pixel = src + static_cast<size_t>(t.pixel) * channels;
          for (size_t k = 0; k < channels; ++k) out[k] += t.weight * pixel[k];
        }
      }
    }
    return Status::Ok();
  };
  return Status::Ok();
}

}  // namespace hiedge::engine
