// Accuracy targets with a finite-sample guarantee. Pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "hiedge/decision/decision.h"
#include "hiedge/common/status.h"

namespace hiedge {

// Regularised incomplete beta function I_x(a, b), a, b > 0, x in [0, 1].
double RegularizedIncompleteBeta(double a, double b, double x);

// One-sided upper confidence bounds on a binomial error rate from `errors` of `n`:
// the true rate is below the bound with probability >= 1 - delta.
double ClopperPearsonUpper(size_t errors, size_t n, double delta);
double HoeffdingUpper(size_t errors, size_t n, double delta);

enum class Bound { kClopperPearson, kHoeffding };

struct GuaranteeOptions {
  double target_accuracy = 0.93;  // A*: the HI system's accuracy to guarantee.
  double delta = 0.05;            // 1 - confidence level.
  Bound bound = Bound::kClopperPearson;
  // Thresholds tested: offload all, then score_min + (score_max - score_min) * j/grid
  // for j = grid down to 0: a grid fixed before seeing the data, over the module's
  // score range.
  int grid = 1000;
  double score_min = 0;
  double score_max = 1;
};

// The threshold offloading the fewest samples whose HI error rate on `samples`
// (validation) has an upper confidence bound <= 1 - A*. Thresholds are tested in a
// fixed order from "offload everything" downwards and testing stops at the first
// failure (fixed-sequence testing), so the guarantee holds for the returned one
// without a multiple-testing correction. FailedPrecondition when even offloading
// everything cannot be certified; InvalidArgument for empty samples or bad options.
Result<ThresholdPoint> ThresholdWithGuarantee(const std::vector<SampleOutcome>& samples,
                                              const GuaranteeOptions& options,
                                              const CostModel& cost);

}  // namespace hiedge
