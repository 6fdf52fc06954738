#include "hiedge/corruptions.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace hiedge {
namespace {

using Image = std::span<float>;  // One channel plane, row-major H x W.

void AddNoise(Image plane, std::mt19937_64& rng) {
  std::normal_distribution<float> noise(0.0f, 0.3f);
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

Result<Dataset> ApplyCorruption(const Dataset& source, const std::string& name, uint64_t seed) {
  const auto& names = CorruptionNames();
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return Status::InvalidArgument("unknown corruption '" + name +
                                   "' (noise, blur, rotation, contrast, occlusion)");
  }
  Dataset out = source;
  std::mt19937_64 rng(seed);
  const int h = static_cast<int>(source.height), w = static_cast<int>(source.width);
  const size_t plane_size = static_cast<size_t>(h * w);
  for (size_t i = 0; i < out.size(); ++i) {
    // Per-image parameters, drawn once for all its channels.
    const double angle = std::uniform_real_distribution<double>(25, 45)(rng) *
                         (std::uniform_int_distribution<int>(0, 1)(rng) ? 1 : -1) *
                         std::numbers::pi / 180;
    const int side = h / 2;
    const int top = std::uniform_int_distribution<int>(0, h - side)(rng);
    const int left = std::uniform_int_distribution<int>(0, w - side)(rng);
    float* image = out.images.data() + i * out.image_elements();
    for (int64_t ch = 0; ch < source.channels; ++ch) {
      Image plane(image + static_cast<size_t>(ch) * plane_size, plane_size);
      if (name == "noise") AddNoise(plane, rng);
      if (name == "blur") {
        BoxBlur(plane, h, w);
        BoxBlur(plane, h, w);
      }
      if (name == "rotation") Rotate(plane, h, w, angle);
      if (name == "contrast") {
        for (float& v : plane) v = 0.5f + (v - 0.5f) * 0.35f;
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
