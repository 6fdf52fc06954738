// The decision config that `hiedge calibrate` writes and the device loads (JSON).
#pragma once

#include <string>

#include "hiedge/status.h"

namespace hiedge {

struct DecisionConfig {
  std::string rule = "max_softmax";  // Offload iff max softmax < theta.
  double theta = 0;
  double offload_cost = 0.1;           // β the threshold was chosen for.
  std::string objective = "min_cost";  // min_cost | accuracy_target
  double target_accuracy = 0;          // With objective accuracy_target.
  // Figures on the calibration (validation) split at this theta.
  size_t calibration_samples = 0;
  double calibration_accuracy = 0;
  double calibration_offload_fraction = 0;
  double calibration_mean_cost = 0;
  std::string local_model;  // Card paths the calibration used.
  std::string remote_model;
  // ModelIdentity of the local model the threshold was calibrated for ("" in configs
  // written before it was recorded). A device running another model refuses the config.
  std::string local_model_id;

  std::string ToJson() const;
  static Result<DecisionConfig> FromJson(const std::string& text);
};

Result<DecisionConfig> ReadDecisionConfig(const std::string& path);

// OK when `config` was calibrated for the model whose identity is `model_id` (or does
// not say); InvalidArgument naming both otherwise: a threshold fitted to one model's
// confidences means nothing for another's.
Status CheckCalibratedFor(const DecisionConfig& config, const std::string& model_id);
Status WriteDecisionConfig(const DecisionConfig& config, const std::string& path);

}  // namespace hiedge
