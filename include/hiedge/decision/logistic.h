// Logistic-regression decision module (seed 001, §2): predicts from the top-2 softmax
// values whether the local answer is wrong. Pure functions, deterministic.
#pragma once

#include <vector>

#include "hiedge/decision/signals.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct LogisticModel {
  double weight_p1 = 0;
  double weight_p2 = 0;
  double bias = 0;

  // P(local answer wrong | p1, p2).
  double ProbabilityWrong(const TopTwo& t) const;
  // Score for the common rule "offload iff score < theta": 1 - P(wrong). Offloading
  // at theta is offloading when P(wrong) > 1 - theta.
  float Score(const TopTwo& t) const { return static_cast<float>(1.0 - ProbabilityWrong(t)); }
};

struct LogisticFitOptions {
  int max_iterations = 50;   // Newton steps.
  double l2 = 1e-3;          // Ridge penalty on the weights (not the bias).
  double tolerance = 1e-10;  // Stop when the step's max |change| is below this.
};

// Fits by Newton's method (iteratively reweighted least squares). InvalidArgument
// for empty or mismatched input. A single-class target (all right or all wrong) is
// fine: the ridge penalty keeps the weights finite.
Result<LogisticModel> FitLogistic(const std::vector<TopTwo>& features,
                                  const std::vector<bool>& wrong,
                                  const LogisticFitOptions& options = {});

}  // namespace hiedge
