// Online learning of the offload threshold on a stream without labels (after
// Moothedath, Champati and Gross, "Getting the Best Out of Both Worlds: Algorithms
// for Hierarchical Inference at the Edge"). Pure: randomness is injected.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct OnlineHedgeOptions {
  int grid = 101;             // Thresholds theta_k = k / (grid - 1), k = 0 .. grid-1.
  double offload_cost = 0.1;  // β: the loss of offloading (or auditing) a sample.
  double learning_rate = 0;   // η; 0 picks sqrt(2 ln(grid) / horizon).
  size_t horizon = 10000;     // Expected stream length, for the default η.
  double share = 0;           // Fixed-share mixing per step, for non-stationary streams.
  double audit_rate = 0;      // Probability of sending an accepted sample for feedback.
};

// One decision of the learner for one sample.
struct OnlineDecision {
  double theta = 0;                // Threshold drawn for this sample.
  bool offload = false;            // confidence < theta.
  bool audit = false;              // Accepted by theta but sent anyway for feedback.
  double observe_probability = 0;  // P(offload or audit) given the confidence.
  bool sent() const { return offload || audit; }
};

// Hedge over a grid of thresholds with partial feedback. The loss of threshold θ on a
// sample with confidence p is β if p < θ (offload), else 1 if the local answer is wrong.
// Whether the local answer was wrong is observed only for samples sent to the server
// (the L-ML's answer is the label); accept-losses are importance-weighted by the
// probability of observing them. Not thread-safe.
class OnlineThresholdLearner {
 public:
  // `uniform01` returns independent draws in [0, 1); e.g. a seeded std::mt19937 wrapper.
  OnlineThresholdLearner(const OnlineHedgeOptions& options, std::function<double()> uniform01);

  OnlineDecision Decide(float confidence);
  // Feedback for the sample just decided; `local_wrong` is read only if it was sent.
  void Update(float confidence, const OnlineDecision& decision, bool local_wrong);

  const std::vector<double>& thresholds() const { return thresholds_; }
  // Current probability of each threshold (sums to 1).
  std::vector<double> Distribution() const;
  double MeanThreshold() const;
  double learning_rate() const { return eta_; }

 private:
  OnlineHedgeOptions options_;
  std::function<double()> uniform01_;
  std::vector<double> thresholds_;
  std::vector<double> log_weights_;
  double eta_;
};

// Pseudo-loss of a fixed threshold on a labelled stream (β per offload, 1 per
// accepted local error): the comparator for regret.
double FixedThresholdLoss(const std::vector<float>& confidences,
                          const std::vector<bool>& local_wrong, double theta, double offload_cost);

// The best fixed grid threshold in hindsight over a stream, and its loss.
struct HindsightBest {
  double theta = 0;
  double loss = 0;
};
HindsightBest BestFixedThreshold(const std::vector<float>& confidences,
                                 const std::vector<bool>& local_wrong,
                                 const OnlineHedgeOptions& options);

}  // namespace hiedge
