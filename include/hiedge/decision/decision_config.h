// The decision config that `hiedge calibrate` writes and the device loads (JSON): the
// offload policy (module, temperature, parameters, theta), the early-exit thresholds,
// and the calibration's own statistics, which drift detection compares live ones with.
// DecisionConfig is a value; reading and writing are reentrant and hold no state.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hiedge/decision/input_statistics.h"
#include "hiedge/common/status.h"

namespace hiedge {

inline constexpr int kDecisionConfigVersion = 2;
inline constexpr int kConfidenceHistogramBins = 10;  // Equal-width over [0, 1].

// One threshold on the calibration split: what offloading below it costs. A config's
// cost curve lets a tier re-choose θ for another β without the validation data.
struct CostCurvePoint {
  double theta = 0;
  double offload_fraction = 0;  // Share of samples offloaded, in [0, 1].
  double error_fraction = 0;  // Share answered wrongly (accepted and wrong + offloaded and wrong).
};
inline constexpr size_t kMaxCostCurvePoints = 129;

struct DecisionConfig {
  int version = kDecisionConfigVersion;      // Files without one are version 1 (max_softmax only).
  std::string module = "max_softmax";        // A ConfidenceModuleNames() entry.
  double temperature = 1;                    // Probabilities = softmax(logits / temperature).
  std::map<std::string, double> parameters;  // The module's fitted parameters.
  double theta = 0;                          // Offload iff the module's score < theta.
  double offload_cost = 0.1;                 // β the threshold was chosen for.
  // min_cost | accuracy_target (empirical, on validation) | certified_accuracy (the
  // Clopper-Pearson fixed-sequence bound at confidence 1 - delta) | manual.
  std::string objective = "min_cost";
  double target_accuracy = 0;  // With accuracy_target / certified_accuracy.
  double delta = 0;            // With certified_accuracy.
  // Early exits (EE-HI): per early exit of the local model, in order, the max-softmax
  // confidence at or above which a sample stops there. Empty: exits are not used; a
  // value > 1 disables that exit.
  std::vector<double> exit_thresholds;

  // Figures on the calibration (validation) split at this policy.
  size_t calibration_samples = 0;
  double calibration_accuracy = 0;
  double calibration_offload_fraction = 0;
  double calibration_mean_cost = 0;
  // Drift reference: the share of validation samples per max-probability bin
  // (kConfidenceHistogramBins, summing to 1), and how often the L-ML disagreed with the
  // S-ML on the samples the policy offloads.
  std::vector<double> confidence_histogram;
  double offload_disagreement = 0;
  // The S-ML's accuracy on validation per max-probability bin (the same bins; empty in
  // configs written before it was recorded): the reliability table the device's
  // label-free accuracy estimate reads (hiedge/decision/accuracy_estimate.h).
  std::vector<double> confidence_accuracy;
  // Input-side drift reference (hiedge/decision/input_statistics.h): empty in configs calibrated
  // without the inputs (CalibratePolicy sees logits only; `hiedge calibrate` adds it).
  InputReference input_reference;
  uint64_t validation_seed = 0;  // Seed of the train/validation split.
  // The policy's thresholds on the calibration split, increasing in theta and offload
  // fraction, from offloading none to all (at most kMaxCostCurvePoints; empty in
  // configs written before it was recorded).
  std::vector<CostCurvePoint> cost_curve;

  std::string local_model;  // Card paths the calibration used.
  std::string remote_model;
  // ModelIdentity of the local model the policy was calibrated for ("" in configs
  // written before it was recorded). A device running another model refuses the config.
  std::string local_model_id;

  std::string ToJson() const;
  // Bounded parse; InvalidArgument for an unknown module, bad parameters, a non-finite
  // number or a newer version.
  static Result<DecisionConfig> FromJson(const std::string& text);
};

Result<DecisionConfig> ReadDecisionConfig(const std::string& path);

// The cost-curve point minimising error_fraction + offload_cost * offload_fraction
// (ties to fewer offloads): θ re-chosen for another β, e.g. one derived live from the
// next tier's round trip. FailedPrecondition when the config has no cost curve;
// InvalidArgument for a negative or non-finite β.
Result<CostCurvePoint> PointForOffloadCost(const DecisionConfig& config, double offload_cost);

// OK when `config` was calibrated for the model whose identity is `model_id` (or does
// not say); InvalidArgument naming both otherwise: a threshold fitted to one model's
// confidences means nothing for another's.
Status CheckCalibratedFor(const DecisionConfig& config, const std::string& model_id);
Status WriteDecisionConfig(const DecisionConfig& config, const std::string& path);

}  // namespace hiedge
