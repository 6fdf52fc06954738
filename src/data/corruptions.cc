#include "hiedge/data/corruptions.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace hiedge {
namespace {

using Image = std::span<float>;  // One channel plane, row-major H x W.

// The parameters of each severity 1..5 (index severity - 1); see the header.
constexpr float kNoiseStd[] = {0.05f, 0.10f, 0.15f, 0.20f, 0.30f};
constexpr int kBlurPasses[] = {1, 2, 3, 4, 5};
constexpr double kRotationDegrees[][2] = {{5, 15}, {10, 20}, {15, 25}, {20, 35}, {25, 45}};
constexpr float kContrastFactor[] = {0.85f, 0.70f, 0.55f, 0.45f, 0.35f};
constexpr double kOcclusionSide[] = {0.20, 0.25, 0.33, 0.42, 0.50};

void AddNoise(Image plane, float std, std::mt19937_64& rng) {
  std::normal_distribution<float> noise(0.0f, std);
  for (float& v : plane) v += noise(rng);
}

void BoxBlur(Image plane, int h, int w) {
  std::vector<float> src(plane.begin(), plane.end());
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      float sum = 0;
      int count = 0;
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int yy = y + dy, xx = x + dx;
          if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
          sum += src[static_cast<size_t>(yy * w + xx)];
          ++count;
        }
      }
      plane[static_cast<size_t>(y * w + x)] = sum / static_cast<float>(count);
    }
  }
}

void Rotate(Image plane, int h, int w, double radians) {
  std::vector<float> src(plane.begin(), plane.end());
  const double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
  const double c = std::cos(radians), s = std::sin(radians);
  auto at = [&](int y, int x) -> double {
    return (y < 0 || y >= h || x < 0 || x >= w) ? 0.0 : src[static_cast<size_t>(y * w + x)];
  };
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      // Source position of the output pixel (inverse rotation).
      const double sy = cy + (y - cy) * c - (x - cx) * s;
      const double sx = cx + (y - cy) * s + (x - cx) * c;
      const int y0 = static_cast<int>(std::floor(sy)), x0 = static_cast<int>(std::floor(sx));
      const double fy = sy - y0, fx = sx - x0;
      plane[static_cast<size_t>(y * w + x)] =
          static_cast<float>((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                             fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)));
    }
  }
}

}  // namespace

const std::vector<std::string>& CorruptionNames() {
  static const std::vector<std::string> kNames = {"noise", "blur", "rotation", "contrast",
                                                  "occlusion"};
  return kNames;
}

Result<Dataset> ApplyCorruption(const Dataset& source, const std::string& name, int severity,
                                uint64_t seed) {
  const auto& names = CorruptionNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return Status::InvalidArgument("unknown corruption '" + name +
                                   "' (noise, blur, rotation, contrast, occlusion)");
  }
  if (severity < kMinCorruptionSeverity || severity > kMaxCorruptionSeverity) {
    return Status::InvalidArgument("corruption severity " + std::to_string(severity) +
                                   " is outside [1, 5]");
  }
  const size_t level = static_cast<size_t>(severity - 1);
  Dataset out = source;
  std::mt19937_64 rng(seed);
  const int h = static_cast<int>(source.height), w = static_cast<int>(source.width);
  const size_t plane_size = static_cast<size_t>(h * w);
  for (size_t i = 0; i < out.size(); ++i) {
    // Per-image parameters, drawn once for all its channels.
    const double angle = std::uniform_real_distribution<double>(kRotationDegrees[level][0],
                                                                kRotationDegrees[level][1])(rng) *
                         (std::uniform_int_distribution<int>(0, 1)(rng) ? 1 : -1) *
                         std::numbers::pi / 180;
    const int side = std::max(1, static_cast<int>(std::lround(kOcclusionSide[level] * h)));
    const int top = std::uniform_int_distribution<int>(0, h - side)(rng);
    const int left = std::uniform_int_distribution<int>(0, w - side)(rng);
    float* image = out.images.data() + i * out.image_elements();
    for (int64_t ch = 0; ch < source.channels; ++ch) {
      Image plane(image + static_cast<size_t>(ch) * plane_size, plane_size);
      if (name == "noise") AddNoise(plane, kNoiseStd[level], rng);
      if (name == "blur") {
        for (int pass = 0; pass < kBlurPasses[level]; ++pass) BoxBlur(plane, h, w);
      }
      if (name == "rotation") Rotate(plane, h, w, angle);
      if (name == "contrast") {
        for (float& v : plane) v = 0.5f + (v - 0.5f) * kContrastFactor[level];
      }
      if (name == "occlusion") {
        for (int y = top; y < top + side; ++y) {
          for (int x = left; x < left + side; ++x) plane[static_cast<size_t>(y * w + x)] = 0;
        }
      }
      for (float& v : plane) v = std::clamp(v, 0.0f, 1.0f);
    }
  }
  return out;
}

}  // namespace hiedge
