#include "hiedge/decision/binary_filter.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace hiedge {

BinaryFilterResult EvaluateBinaryFilter(const std::vector<FilterSample>& samples, double threshold,
                                        double offload_cost) {
  BinaryFilterResult r;
  r.threshold = threshold;
  r.offload_cost = offload_cost;
  r.samples = samples.size();
  for (const FilterSample& s : samples) {
    const bool offload = s.positive_probability >= threshold;
    r.offloaded += offload ? 1 : 0;
    if (s.is_positive) {
      ++r.positives;
      r.full_offload_fine_correct += s.remote_correct ? 1 : 0;
      if (offload) {
        ++r.true_positives;
        r.fine_correct += s.remote_correct ? 1 : 0;
      } else {
        ++r.false_negatives;
      }
    } else if (offload) {
      ++r.false_positives;
    }
  }
  r.cost =
      offload_cost * static_cast<double>(r.true_positives) + static_cast<double>(r.false_positives);
  r.full_offload_cost = offload_cost * static_cast<double>(r.positives) +
                        static_cast<double>(r.samples - r.positives);
  return r;
}

double ThresholdForFalsePositiveRate(const std::vector<FilterSample>& samples, double rate) {
  std::vector<float> negatives;
  for (const FilterSample& s : samples) {
    if (!s.is_positive) negatives.push_back(s.positive_probability);
  }
  if (negatives.empty()) return 0.5;
  const double allowed_fraction = std::clamp(rate, 0.0, 1.0);
  const size_t allowed =
      static_cast<size_t>(std::floor(allowed_fraction * static_cast<double>(negatives.size())));
  if (allowed >= negatives.size()) return 0;
  std::sort(negatives.begin(), negatives.end(), std::greater<>());
  // Just above the first negative that must stay below: at most `allowed` are >= it.
  return std::nextafter(static_cast<double>(negatives[allowed]),
                        std::numeric_limits<double>::infinity());
}

}  // namespace hiedge
