#include "hiedge/decision/statistical_rule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "hiedge/data/vibration.h"

namespace hiedge {
namespace {

int Argmax(const std::vector<float>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(StatisticalRuleTest, FittedBandsSeparateHealthyFromFaultyWindows) {
  const Dataset train = GenerateVibrationWindows(60, {}, 1);
  Result<StatisticalRule> rule = FitStatisticalRule(train);
  ASSERT_TRUE(rule.ok()) << rule.status().ToString();
  ASSERT_EQ(rule->bands.size(), 4u);
  // Healthy windows are Gaussian-like: their kurtosis band sits below every fault's.
  for (int fault = 1; fault < 4; ++fault) {
    EXPECT_LT(rule->bands[kHealthy][1].median, rule->bands[fault][1].median);
  }
  const Dataset test = GenerateVibrationWindows(40, {}, 2);
  size_t healthy_right = 0, fault_detected = 0, healthy = 0, faulty = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    const int predicted = Argmax(ScoreWindow(*rule, test.sample(i).data));
    if (test.labels[i] == kHealthy) {
      ++healthy;
      healthy_right += predicted == kHealthy;
    } else {
      ++faulty;
      fault_detected += predicted != kHealthy;
    }
  }
  EXPECT_GE(healthy_right, healthy * 9 / 10);
  EXPECT_GE(fault_detected, faulty * 9 / 10);
}

TEST(StatisticalRuleTest, ScoresPenaliseDistanceOutsideABand) {
  StatisticalRule rule;
  rule.num_classes = 2;
  rule.gain = 4;
  // Class 0: quiet (rms about 1); class 1: loud (rms about 10). Other statistics wide.
  rule.bands = {{{{0.5, 1.5, 1}, {0, 100, 3}, {0, 100, 3}}},
                {{{5, 15, 10}, {0, 100, 3}, {0, 100, 3}}}};
  const std::vector<float> quiet(64, 1.0f), loud(64, 10.0f);
  EXPECT_EQ(Argmax(ScoreWindow(rule, quiet)), 0);
  EXPECT_EQ(Argmax(ScoreWindow(rule, loud)), 1);
  const std::vector<float> scores = ScoreWindow(rule, loud);
  // rms 10 lies (10 - 1.5) / 1 band widths above class 0's band.
  EXPECT_LT(scores[0], -4 * 8.5 + 1e-3);
  // A constant zero window (the loader's dry run) scores finitely.
  for (float s : ScoreWindow(rule, std::vector<float>(64, 0.0f))) EXPECT_TRUE(std::isfinite(s));
}

TEST(StatisticalRuleTest, JsonRoundTripsAndMalformedRulesAreRefused) {
  const Dataset train = GenerateVibrationWindows(20, {}, 3);
  Result<StatisticalRule> rule = FitStatisticalRule(train);
  ASSERT_TRUE(rule.ok());
  Result<StatisticalRule> back = StatisticalRule::FromJson(rule->ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->bands[2][1].high, rule->bands[2][1].high);
  const std::vector<float> window(train.sample(5).data.begin(), train.sample(5).data.end());
  EXPECT_EQ(ScoreWindow(*back, window), ScoreWindow(*rule, window));
  for (const std::string bad :
       {"{}", R"({"num_classes": 2, "gain": 1, "bands": []})",
        R"({"num_classes": 2, "gain": 1, "bands": [[{"low": 1, "high": 0, "median": 0},
           {"low": 0, "high": 1, "median": 0}, {"low": 0, "high": 1, "median": 0}],
           [{"low": 0, "high": 1, "median": 0}, {"low": 0, "high": 1, "median": 0},
           {"low": 0, "high": 1, "median": 0}]]})",
        "[[[[[[[[[[[[]]]]]]]]]]]]"}) {
    EXPECT_EQ(StatisticalRule::FromJson(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  Dataset one_class = train;
  std::fill(one_class.labels.begin(), one_class.labels.end(), 0);
  EXPECT_EQ(FitStatisticalRule(one_class).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FitStatisticalRule(train, 1.5).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
