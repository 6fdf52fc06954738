#include "eval/shift/shift_streams.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>

#include "hiedge/data/corruptions.h"

namespace hiedge {
namespace {

// One image plane-by-plane: f(plane, h, w, index of the image in the half, rng).
using PlaneFn = std::function<void(std::span<float>, int64_t, int64_t, size_t, std::mt19937_64&)>;

Dataset MapImages(const Dataset& half, uint64_t seed, const PlaneFn& f) {
  Dataset out = half;
  std::mt19937_64 rng(seed);
  const size_t plane = static_cast<size_t>(half.height * half.width);
  for (size_t i = 0; i < out.size(); ++i) {
    for (int64_t c = 0; c < out.channels; ++c) {
      std::span<float> p(
          out.images.data() + i * out.image_elements() + static_cast<size_t>(c) * plane, plane);
      f(p, out.height, out.width, i, rng);
      for (float& v : p) v = std::clamp(v, 0.0f, 1.0f);
    }
  }
  return out;
}

// out(y, x) = in(source(y, x)) with zero outside; source in pixels, bilinear.
void Resample(std::span<float> p, int64_t h, int64_t w,
              const std::function<std::pair<double, double>(double, double)>& source) {
  const std::vector<float> src(p.begin(), p.end());
  auto at = [&](int64_t y, int64_t x) -> double {
    return (y < 0 || y >= h || x < 0 || x >= w) ? 0.0 : src[static_cast<size_t>(y * w + x)];
  };
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      const auto [sy, sx] = source(static_cast<double>(y), static_cast<double>(x));
      const auto y0 = static_cast<int64_t>(std::floor(sy)),
                 x0 = static_cast<int64_t>(std::floor(sx));
      const double fy = sy - static_cast<double>(y0), fx = sx - static_cast<double>(x0);
      p[static_cast<size_t>(y * w + x)] =
          static_cast<float>((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) +
                             fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)));
    }
  }
}

Dataset LabelShift(const Dataset& half, uint64_t seed) {
  std::vector<size_t> favoured, rest;
  for (size_t i = 0; i < half.size(); ++i) {
    const int32_t l = half.labels[i];
    (l == 0 || l == 2 || l == 4 || l == 6 ? favoured : rest).push_back(i);
  }
  if (favoured.empty() || rest.empty()) return half;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<size_t> picks(half.size());
  for (size_t& pick : picks) {
    const std::vector<size_t>& from = unit(rng) < 0.8 ? favoured : rest;
    pick = from[rng() % from.size()];
  }
  return Subset(half, picks);
}

}  // namespace

const std::vector<ShiftKind>& ShiftBenchKinds() {
  static const std::vector<ShiftKind> kinds = [] {
    std::vector<ShiftKind> k;
    for (const std::string& name : CorruptionNames()) k.push_back({name, "image"});
    for (const char* name : {"invert", "brightness", "gamma", "pixelate", "posterize",
                             "salt_pepper", "translate", "zoom_out"})
      k.push_back({name, "image"});
    k.push_back({"label_shift", "label"});
    k.push_back({"slow_noise", "gradual"});
    k.push_back({"slow_dimming", "gradual"});
    k.push_back({"clean", "control"});
    return k;
  }();
  return kinds;
}

Result<Dataset> MakeShiftedHalf(const Dataset& half, const std::string& name, uint64_t seed) {
  const auto& corruptions = CorruptionNames();
  if (std::find(corruptions.begin(), corruptions.end(), name) != corruptions.end())
    return ApplyCorruption(half, name, kDefaultCorruptionSeverity, seed);
  const double n = static_cast<double>(std::max<size_t>(half.size(), 1));
  if (name == "clean") return half;
  if (name == "label_shift") return LabelShift(half, seed);
  if (name == "invert")
    return MapImages(half, seed, [](auto p, auto, auto, size_t, auto&) {
      for (float& v : p) v = 1 - v;
    });
  if (name == "brightness")
    return MapImages(half, seed, [](auto p, auto, auto, size_t, auto&) {
      for (float& v : p) v += 0.3f;
    });
  if (name == "gamma")
    return MapImages(half, seed, [](auto p, auto, auto, size_t, auto&) {
      for (float& v : p) v = std::sqrt(std::max(v, 0.0f));
    });
  if (name == "posterize")
    return MapImages(half, seed, [](auto p, auto, auto, size_t, auto&) {
      for (float& v : p) v = std::round(v * 3) / 3;
    });
  if (name == "pixelate")
    return MapImages(half, seed, [](auto p, int64_t h, int64_t w, size_t, auto&) {
      for (int64_t y = 0; y < h; y += 2) {
        for (int64_t x = 0; x < w; x += 2) {
          double sum = 0;
          int count = 0;
          for (int64_t dy = 0; dy < 2 && y + dy < h; ++dy)
            for (int64_t dx = 0; dx < 2 && x + dx < w; ++dx, ++count)
              sum += p[static_cast<size_t>((y + dy) * w + x + dx)];
          for (int64_t dy = 0; dy < 2 && y + dy < h; ++dy)
            for (int64_t dx = 0; dx < 2 && x + dx < w; ++dx)
              p[static_cast<size_t>((y + dy) * w + x + dx)] = static_cast<float>(sum / count);
        }
      }
    });
  if (name == "salt_pepper")
    return MapImages(half, seed, [](auto p, auto, auto, size_t, std::mt19937_64& rng) {
      std::uniform_real_distribution<double> unit(0, 1);
      for (float& v : p) {
        const double u = unit(rng);
        if (u < 0.04)
          v = 0;
        else if (u < 0.08)
          v = 1;
      }
    });
  if (name == "translate")
    return MapImages(half, seed, [](auto p, int64_t h, int64_t w, size_t, auto&) {
      Resample(p, h, w, [](double y, double x) { return std::pair{y - 3, x - 3}; });
    });
  if (name == "zoom_out")
    return MapImages(half, seed, [](auto p, int64_t h, int64_t w, size_t, auto&) {
      const double cy = static_cast<double>(h - 1) / 2, cx = static_cast<double>(w - 1) / 2;
      Resample(p, h, w, [&](double y, double x) {
        return std::pair{cy + (y - cy) / 0.7, cx + (x - cx) / 0.7};
      });
    });
  if (name == "slow_noise")
    return MapImages(half, seed, [n](auto p, auto, auto, size_t i, std::mt19937_64& rng) {
      std::normal_distribution<float> noise(
          0.0f, static_cast<float>(std::max(1e-6, 0.3 * static_cast<double>(i) / n)));
      for (float& v : p) v += noise(rng);
    });
  if (name == "slow_dimming")
    return MapImages(half, seed, [n](auto p, auto, auto, size_t i, auto&) {
      const float keep = static_cast<float>(1 - 0.7 * static_cast<double>(i) / n);
      for (float& v : p) v *= keep;
    });
  return Status::InvalidArgument("unknown shift '" + name + "'");
}

}  // namespace hiedge
