// Calibration: fit an offload policy on the validation split and choose its threshold
// under an objective; the same functions score samples for the study and the device's
// reference statistics. Pure functions on plain data.
// Thread-safety: reentrant; inputs are borrowed for the call only, results are values.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "hiedge/decision/decision.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/offload_policy.h"
#include "hiedge/common/status.h"

namespace hiedge {

// Local logits and the truth on one split. `remote_predictions` are the L-ML's answers
// (its correctness prices an offload; its disagreement with the S-ML is a drift signal).
struct LabelledLogits {
  std::span<const float> local_logits;  // Row-major [samples, classes].
  int classes = 0;
  std::span<const int32_t> labels;
  std::span<const int32_t> remote_predictions;
  size_t samples() const { return labels.size(); }
};

struct CalibrationOptions {
  std::string module = "max_softmax";  // ConfidenceModuleNames()
  bool fit_temperature = false;        // Temperature scaling (NLL on validation) first.
  // min_cost | accuracy_target | certified_accuracy (see DecisionConfig::objective).
  std::string objective = "min_cost";
  CostModel cost;
  double target_accuracy = 0;  // accuracy_target / certified_accuracy.
  double delta = 0.05;         // certified_accuracy: 1 - confidence.
};

// Fits the module (and temperature) on `validation`, picks theta, and fills the
// config's calibration figures and drift reference. InvalidArgument for inconsistent
// input or an unknown module/objective; FailedPrecondition when an accuracy target
// cannot be reached (or certified) even by offloading everything.
Result<DecisionConfig> CalibratePolicy(const LabelledLogits& validation,
                                       const CalibrationOptions& options);

// Per sample: the policy's score and whether the local and remote answers are right.
// The outcomes thresholds are evaluated on (SampleOutcome::confidence holds the score).
std::vector<SampleOutcome> PolicyOutcomes(const OffloadPolicy& policy, const LabelledLogits& split);

// The share of samples per max-probability bin (kConfidenceHistogramBins equal-width
// bins over [0, 1]; a probability of 1 falls in the last).
int ConfidenceBin(float confidence);

}  // namespace hiedge
