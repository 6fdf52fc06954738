// The S-ML of seed 000's vibration use case: not a neural network but a threshold rule
// on window statistics (RMS, kurtosis, crest factor), fitted on training windows.
// Served through the same InferenceBackend seam as any model (card format
// "statistical_rule"), so the device, its decision modules and the server run it
// unchanged. Pure: fitting and scoring do no I/O.
#pragma once

#include <array>
#include <span>
#include <string>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/common/status.h"

namespace hiedge {

// The statistics a rule looks at, in this order.
inline constexpr int kRuleStatistics = 3;  // rms, kurtosis, crest factor
const std::array<const char*, kRuleStatistics>& RuleStatisticNames();

// One class's thresholds on one statistic: the central `coverage` share of its
// training windows lies in [low, high]; `median` breaks ties inside the band.
struct StatisticBand {
  double low = 0;
  double high = 0;
  double median = 0;
};

struct StatisticalRule {
  int num_classes = 0;
  // bands[k][s]: class k, statistic s (RuleStatisticNames order).
  std::vector<std::array<StatisticBand, kRuleStatistics>> bands;
  // Logit per unit of band width a statistic lies outside a class's band.
  double gain = 4;

  std::string ToJson() const;
  // Bounded parse; InvalidArgument for a malformed rule (bands out of order, not finite).
  static Result<StatisticalRule> FromJson(const std::string& text);
};

// Fits one band per class and statistic to `windows` (labels in [0, num_classes), each
// class present): the [(1 - coverage) / 2, (1 + coverage) / 2] quantiles.
Result<StatisticalRule> FitStatisticalRule(const Dataset& windows, double coverage = 0.8);

// Class scores (logits) of one window: for class k, minus gain times the sum over the
// statistics of how far outside k's band the window's value lies, in units of the
// band's width, minus a tenth of its distance from the band's median in the same units
// (so that the class whose bands it sits deepest in wins when several fit).
std::vector<float> ScoreWindow(const StatisticalRule& rule, std::span<const float> window);

}  // namespace hiedge
