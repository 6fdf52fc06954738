// Early-exit HI (seed 001 §5) priced offline: which exit answers each sample, whether
// the rest is offloaded, the accuracy that gives and the expected device cost (latency
// or energy per sample). The threshold search minimises that cost subject to an
// accuracy target. Pure functions on recorded outputs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

// One split as the exits saw it: per exit (the early exits in order, then the final
// exit) and sample, the max softmax and whether that exit's answer is right; and
// whether the L-ML's answer is right.
struct ExitOutcomes {
  std::vector<std::vector<float>> confidence;  // [exit][sample]
  std::vector<std::vector<uint8_t>> correct;   // [exit][sample]
  std::vector<uint8_t> remote_correct;         // [sample]
  size_t samples() const { return remote_correct.size(); }
  size_t early_exits() const { return confidence.empty() ? 0 : confidence.size() - 1; }
};

// Cost per sample of each part, in one unit (ms or mJ).
struct EeCostModel {
  std::vector<int> exit_after_stage;  // Per early exit.
  std::vector<double> stage;          // Per stage of the S-ML.
  std::vector<double> head;           // Per early-exit head.
  double offload = 0;                 // One offload, waited for by the device.
};

// An operating point: exit thresholds (> 1 = exit disabled) and the HI threshold
// theta on the final exit's max softmax (0 = never offload, > 1 = always).
struct EePoint {
  std::vector<double> thresholds;
  double theta = 0;
  double accuracy = 0;
  double cost = 0;  // Expected per sample.
  double offload_fraction = 0;
  std::vector<double> exit_fraction;  // Answered at each early exit.
};

// InvalidArgument when the sizes disagree.
Result<EePoint> EvaluateEe(const ExitOutcomes& outcomes, const EeCostModel& cost,
                           std::span<const double> thresholds, double theta);

struct EeSearchOptions {
  double target_accuracy = 0;
  bool allow_offload = true;  // false: EE alone (theta = 0).
  // One exit: every threshold from `lowest` to 1 in steps of `fine_step` (and
  // disabled). Two or more: a coarse grid in `coarse_step`, then `fine_step` around the
  // best coarse point (pruning the rest).
  double lowest = 0.3;
  double fine_step = 0.005;
  double coarse_step = 0.05;
};

// The cheapest point reaching the target on `outcomes` (validation): for each exit
// threshold combination, the fewest offloads reaching the target (HI's theta),
// FailedPrecondition when no point reaches it.
Result<EePoint> SearchEe(const ExitOutcomes& outcomes, const EeCostModel& cost,
                         const EeSearchOptions& options);

}  // namespace hiedge
