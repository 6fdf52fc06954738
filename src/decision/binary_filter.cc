#include "hiedge/decision/binary_filter.h"

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

}  // namespace hiedge
