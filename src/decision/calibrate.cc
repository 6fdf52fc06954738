#include "hiedge/calibrate.h"

namespace hiedge {
namespace {

DecisionConfig ConfigFor(const ThresholdPoint& p, const CostModel& cost) {
  DecisionConfig c;
  c.theta = p.theta;
  c.offload_cost = cost.offload_cost;
  c.calibration_samples = p.samples;
  c.calibration_accuracy = p.accuracy();
  c.calibration_offload_fraction = p.offload_fraction();
  c.calibration_mean_cost = p.mean_cost();
  return c;
}

}  // namespace

DecisionConfig CalibrateMinCost(const std::vector<SampleOutcome>& validation,
                                const CostModel& cost) {
  DecisionConfig c = ConfigFor(OptimalThreshold(validation, cost), cost);
  c.objective = "min_cost";
  return c;
}

Result<DecisionConfig> CalibrateAccuracyTarget(const std::vector<SampleOutcome>& validation,
                                               double target_accuracy, const CostModel& cost) {
  HIEDGE_ASSIGN_OR_RETURN(ThresholdPoint p,
                          ThresholdForAccuracy(validation, target_accuracy, cost));
  DecisionConfig c = ConfigFor(p, cost);
  c.objective = "accuracy_target";
  c.target_accuracy = target_accuracy;
  return c;
}

}  // namespace hiedge
