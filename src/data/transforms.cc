#include <algorithm>
#include <random>

#include "hiedge/data/data.h"

namespace hiedge {

Dataset Corrupt(const Dataset& source, float noise_std, float contrast, uint64_t seed) {
  Dataset out = source;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, noise_std);
  for (float& v : out.images) {
    v = std::clamp(0.5f + (v - 0.5f) * contrast + (noise_std > 0 ? noise(rng) : 0.0f), 0.0f, 1.0f);
  }
  return out;
}

Dataset RestrictClasses(const Dataset& source, const std::vector<int>& classes, bool keep_others) {
  std::vector<size_t> kept;
  std::vector<int32_t> labels;
  for (size_t i = 0; i < source.size(); ++i) {
    auto it = std::find(classes.begin(), classes.end(), source.labels[i]);
    if (it == classes.end() && !keep_others) continue;
    kept.push_back(i);
    labels.push_back(static_cast<int32_t>(it - classes.begin()));  // end: "other".
  }
  Dataset out = Subset(source, kept);
  out.labels = std::move(labels);
  out.num_classes = static_cast<int>(classes.size()) + (keep_others ? 1 : 0);
  if (!source.soft_labels.empty()) {
    // Each kept class keeps its probability; "other" gets the rest. Without "other"
    // the kept classes' probabilities are renormalised to sum to 1.
    const size_t from = static_cast<size_t>(source.num_classes);
    const size_t to = static_cast<size_t>(out.num_classes);
    std::vector<float> mapped(kept.size() * to, 0.0f);
    for (size_t row = 0; row < kept.size(); ++row) {
      const float* p = source.soft_labels.data() + kept[row] * from;
      float* q = mapped.data() + row * to;
      float mass = 0;
      for (size_t k = 0; k < classes.size(); ++k) {
        const size_t c = static_cast<size_t>(classes[k]);
        mass += (q[k] = c < from ? p[c] : 0.0f);
      }
      if (keep_others) {
        q[classes.size()] = std::max(0.0f, 1.0f - mass);
      } else if (mass > 0) {
        for (size_t k = 0; k < to; ++k) q[k] /= mass;
      }
    }
    out.soft_labels = std::move(mapped);
  }
  return out;
}

Dataset RelabelBinary(const Dataset& source, const std::vector<int>& positive) {
  Dataset out = source;
  out.num_classes = 2;
  for (int32_t& label : out.labels) {
    label = std::find(positive.begin(), positive.end(), label) != positive.end() ? 1 : 0;
  }
  if (!source.soft_labels.empty()) {
    // p(positive) is the sum over the positive classes; p(negative) the rest.
    const size_t from = static_cast<size_t>(source.num_classes);
    out.soft_labels.assign(source.size() * 2, 0.0f);
    for (size_t row = 0; row < source.size(); ++row) {
      float positive_mass = 0;
      for (int c : positive) {
        if (c >= 0 && static_cast<size_t>(c) < from) {
          positive_mass += source.soft_labels[row * from + static_cast<size_t>(c)];
        }
      }
      out.soft_labels[row * 2 + 1] = std::min(1.0f, positive_mass);
      out.soft_labels[row * 2] = std::max(0.0f, 1.0f - positive_mass);
    }
  }
  return out;
}

Dataset WithAugmentedCopies(const Dataset& source, int copies, uint64_t seed, int pad) {
  Dataset out = source;
  out.soft_labels.clear();
  if (copies <= 0) return out;
  const int64_t h = source.height, w = source.width, per_image = h * w;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> shift(-pad, pad);
  out.images.reserve(source.images.size() * static_cast<size_t>(copies + 1));
  out.labels.reserve(source.size() * static_cast<size_t>(copies + 1));
  for (int copy = 0; copy < copies; ++copy) {
    for (size_t i = 0; i < source.size(); ++i) {
      const int dy = shift(rng), dx = shift(rng);
      const bool mirror = (rng() & 1) != 0;
      const float* image = source.image(i);
      for (int64_t c = 0; c < source.channels; ++c) {
        for (int64_t y = 0; y < h; ++y) {
          for (int64_t x = 0; x < w; ++x) {
            const int64_t from_x = (mirror ? w - 1 - x : x) + dx, from_y = y + dy;
            const bool inside = from_x >= 0 && from_x < w && from_y >= 0 && from_y < h;
            out.images.push_back(inside ? image[c * per_image + from_y * w + from_x] : 0.0f);
          }
        }
      }
      out.labels.push_back(source.labels[i]);
    }
  }
  return out;
}

}  // namespace hiedge
