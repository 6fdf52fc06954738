#include <algorithm>
#include <random>

#include "hiedge/data.h"

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
  return out;
}

}  // namespace hiedge

namespace hiedge {

Dataset RelabelBinary(const Dataset& source, const std::vector<int>& positive) {
  Dataset out = source;
  out.num_classes = 2;
  for (int32_t& label : out.labels) {
    label = std::find(positive.begin(), positive.end(), label) != positive.end() ? 1 : 0;
  }
  return out;
}

}  // namespace hiedge
