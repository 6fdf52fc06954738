// Calibration: choose the device's decision config from validation outcomes.
// Pure functions on plain data.
#pragma once

#include <vector>

#include "hiedge/decision.h"
#include "hiedge/decision_config.h"

namespace hiedge {

// θ* minimising total cost for `cost` on `validation`.
DecisionConfig CalibrateMinCost(const std::vector<SampleOutcome>& validation,
                                const CostModel& cost);

// The fewest-offload θ whose validation accuracy reaches `target_accuracy`.
Result<DecisionConfig> CalibrateAccuracyTarget(const std::vector<SampleOutcome>& validation,
                                               double target_accuracy, const CostModel& cost);

}  // namespace hiedge
