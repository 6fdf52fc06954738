// `hiedge train --arch statistical_rule`: fits the threshold rule S-ML of seed 000's
// vibration use case (hiedge/decision/statistical_rule.h) and writes it as a model: weights
// <out>/<name>.rule.json and its card, loaded by the engine's statistical_rule backend.
#pragma once

#include <cstdint>
#include <string>

#include "hiedge/common/model_card.h"
#include "hiedge/data/data.h"

namespace hiedge {

inline constexpr const char* kStatisticalRuleArchitecture = "statistical_rule";

// What the fit needs of `hiedge train`'s options (no torch: the rule is not a network).
struct RuleFitOptions {
  std::string name;  // Of the model: <output_dir>/<name>.json and .rule.json.
  std::string output_dir;
  std::string dataset;           // Recorded on the card.
  uint64_t seed = 0;             // Recorded on the card (the fit itself is deterministic).
  std::string training_command;  // Recorded on the card.
};

// Fits on `train` (band coverage 0.8), measures accuracy on `validation` and `test`
// through the loaded model, writes rule and card, returns the card.
Result<ModelCard> FitRuleModel(const RuleFitOptions& options, const Dataset& train,
                               const Dataset& validation, const Dataset& test);

}  // namespace hiedge
