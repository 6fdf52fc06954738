// `hiedge train --arch statistical_rule`: fits the threshold rule S-ML of seed 000's
// vibration use case (hiedge/decision/statistical_rule.h) and writes it as a model: weights
// <out>/<name>.rule.json and its card, loaded by the engine's statistical_rule backend.
#pragma once

#include "hiedge/data/data.h"
#include "hiedge/common/model_card.h"
#include "hiedge/torch/train.h"

namespace hiedge {

inline constexpr const char* kStatisticalRuleArchitecture = "statistical_rule";

// Fits on `train` (band coverage 0.8), measures accuracy on `validation` and `test`
// through the loaded model, writes rule and card, returns the card.
Result<ModelCard> FitRuleModel(const TrainOptions& options, const Dataset& train,
                               const Dataset& validation, const Dataset& test);

}  // namespace hiedge
