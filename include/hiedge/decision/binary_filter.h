// The binary-filter use case of HI (seed 000, §4): a binary S-ML keeps only the
// samples of interest and offloads them for fine classification. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

namespace hiedge {

struct FilterSample {
  float positive_probability = 0;  // S-ML's P(sample of interest).
  bool is_positive = false;        // Truly a sample of interest.
  bool remote_correct = false;     // The L-ML classifies it correctly (fine class).
};

struct BinaryFilterResult {
  double threshold = 0.5;   // Offload iff positive_probability >= threshold.
  double offload_cost = 0;  // β per offloaded sample of interest; 1 per offloaded other.
  size_t samples = 0;
  size_t positives = 0;
  size_t offloaded = 0;
  size_t true_positives = 0;   // Of interest and offloaded.
  size_t false_positives = 0;  // Not of interest but offloaded (cost 1 each).
  size_t false_negatives = 0;  // Of interest but dropped (never classified).
  size_t fine_correct = 0;     // Of interest, offloaded and classified right.
  size_t full_offload_fine_correct = 0;
  double cost = 0;
  double full_offload_cost = 0;  // Offload everything: β per positive + 1 per other.

  // Fraction of samples of interest that end up correctly classified.
  double accuracy() const { return positives ? double(fine_correct) / positives : 0; }
  double full_offload_accuracy() const {
    return positives ? double(full_offload_fine_correct) / positives : 0;
  }
  double cost_reduction() const { return full_offload_cost > 0 ? 1 - cost / full_offload_cost : 0; }
};

BinaryFilterResult EvaluateBinaryFilter(const std::vector<FilterSample>& samples, double threshold,
                                        double offload_cost);

// The operating point with a chosen false-positive rate: the lowest threshold at which
// at most `rate` (in [0, 1]) of the negatives in `samples` are offloaded (probability >=
// threshold; ties at the boundary stay below it). 0 when every negative may be
// offloaded; 0.5 when `samples` holds no negative. Fit it on validation samples.
double ThresholdForFalsePositiveRate(const std::vector<FilterSample>& samples, double rate);

}  // namespace hiedge
