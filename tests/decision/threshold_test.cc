#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hiedge/decision/decision.h"

namespace hiedge {
namespace {

// Hand-worked case (confidence, local correct, remote correct).
std::vector<SampleOutcome> FiveSamples() {
  return {{0.3f, false, true},
          {0.5f, false, false},
          {0.5f, true, true},
          {0.9f, true, true},
          {0.95f, false, true}};
}

TEST(SoftmaxTest, MatchesHandComputation) {
  const std::vector<float> p = Softmax(std::vector<float>{0.0f, std::log(3.0f)});
  EXPECT_NEAR(p[0], 0.25, 1e-6);
  EXPECT_NEAR(p[1], 0.75, 1e-6);
  EXPECT_TRUE(Softmax(std::vector<float>{}).empty());
  // Large logits must not overflow.
  const std::vector<float> big = Softmax(std::vector<float>{1000.0f, 1000.0f});
  EXPECT_NEAR(big[0], 0.5, 1e-6);
}

TEST(ArgMaxTest, TiesGoToLowestIndex) {
  const float v[] = {1, 3, 3, 2};
  EXPECT_EQ(FindArgMax(v, 4).index, 1);
  EXPECT_EQ(FindArgMax(v, 4).value, 3);
  EXPECT_EQ(FindArgMax(v, 0).index, -1);
}

TEST(ThresholdTest, EvaluateCountsOffloadsAndErrors) {
  const ThresholdPoint p = EvaluateThreshold(FiveSamples(), 0.5, CostModel{0.3, 1.0});
  EXPECT_EQ(p.offloaded, 1u);     // Only 0.3 < 0.5.
  EXPECT_EQ(p.local_errors, 2u);  // 0.5 (wrong) and 0.95 (wrong).
  EXPECT_EQ(p.remote_errors, 0u);
  EXPECT_NEAR(p.cost, 2.3, 1e-12);
  EXPECT_NEAR(p.accuracy(), 0.6, 1e-12);
  EXPECT_EQ(EvaluateThreshold(FiveSamples(), 0.0, {}).offloaded, 0u);
  EXPECT_EQ(EvaluateThreshold(FiveSamples(), kAlwaysOffload, {}).offloaded, 5u);
}

TEST(ThresholdTest, CurveVisitsEveryDistinctDecision) {
  const auto curve = ThresholdCurve(FiveSamples(), CostModel{0.3, 1.0});
  ASSERT_EQ(curve.size(), 5u);  // none, {0.3}, {..0.5}, {..0.9}, all
  const std::vector<size_t> offloads = {0, 1, 3, 4, 5};
  const std::vector<double> costs = {3.0, 2.3, 2.9, 3.2, 2.5};
  for (size_t i = 0; i < curve.size(); ++i) {
    EXPECT_EQ(curve[i].offloaded, offloads[i]) << i;
    EXPECT_NEAR(curve[i].cost, costs[i], 1e-12) << i;
  }
  EXPECT_DOUBLE_EQ(curve[1].theta, 0.5f);
  EXPECT_GT(curve.back().theta, 0.95f);
}

TEST(ThresholdTest, OptimalThresholdByHand) {
  const ThresholdPoint at_03 = OptimalThreshold(FiveSamples(), CostModel{0.3, 1.0});
  EXPECT_DOUBLE_EQ(at_03.theta, 0.5f);
  EXPECT_NEAR(at_03.cost, 2.3, 1e-12);
  // Cheap offloads: send everything (costs 3, 2.1, 2.3, 2.4, 1.5).
  const ThresholdPoint at_01 = OptimalThreshold(FiveSamples(), CostModel{0.1, 1.0});
  EXPECT_EQ(at_01.offloaded, 5u);
  EXPECT_NEAR(at_01.cost, 1.5, 1e-12);
  // Offloads dearer than an error: never offload.
  EXPECT_EQ(OptimalThreshold(FiveSamples(), CostModel{1.5, 1.0}).offloaded, 0u);
}

TEST(ThresholdTest, TiesPreferFewerOffloads) {
  // β = 1: offloading the one fixable error costs exactly what it saves.
  const std::vector<SampleOutcome> s = {{0.2f, false, true}, {0.8f, true, true}};
  EXPECT_EQ(OptimalThreshold(s, CostModel{1.0, 1.0}).offloaded, 0u);
}

TEST(ThresholdTest, MatchesBruteForceOnRandomData) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> level(0, 20);  // Coarse confidences force many ties.
  std::bernoulli_distribution coin(0.7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<SampleOutcome> s(60);
    for (auto& o : s) o = {level(rng) / 20.0f, coin(rng), coin(rng)};
    const CostModel cost{trial / 50.0, 1.0};
    double best = 1e300;
    for (int t = 0; t <= 22; ++t)
      best = std::min(best, EvaluateThreshold(s, t / 20.0 + 1e-4, cost).cost);
    best = std::min(best, EvaluateThreshold(s, 0.0, cost).cost);
    const ThresholdPoint opt = OptimalThreshold(s, cost);
    EXPECT_NEAR(opt.cost, best, 1e-9) << "trial " << trial;
    // The reported theta reproduces the reported decision.
    const ThresholdPoint again = EvaluateThreshold(s, opt.theta, cost);
    EXPECT_EQ(again.offloaded, opt.offloaded);
    EXPECT_NEAR(again.cost, opt.cost, 1e-9);
  }
}

TEST(ThresholdTest, AccuracyTarget) {
  const CostModel cost{0.3, 1.0};
  auto p = ThresholdForAccuracy(FiveSamples(), 0.6, cost);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offloaded, 1u);
  p = ThresholdForAccuracy(FiveSamples(), 0.8, cost);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offloaded, 5u);
  EXPECT_EQ(ThresholdForAccuracy(FiveSamples(), 0.9, cost).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ThresholdForAccuracy({}, 0.5, cost).status().code(), StatusCode::kInvalidArgument);
}

TEST(ThresholdTest, EdgeCases) {
  // Empty input: one point, nothing offloaded, zero cost.
  const auto empty = ThresholdCurve({}, {});
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(OptimalThreshold({}, {}).cost, 0);
  // All samples identical: only "none" or "all" are possible.
  const std::vector<SampleOutcome> same(4, SampleOutcome{0.7f, false, true});
  const auto curve = ThresholdCurve(same, {});
  ASSERT_EQ(curve.size(), 2u);
  EXPECT_EQ(curve[1].offloaded, 4u);
  EXPECT_EQ(OptimalThreshold(same, CostModel{0.1, 1.0}).offloaded, 4u);
  // Confidence exactly 0 still gets offloaded by a positive theta.
  EXPECT_EQ(EvaluateThreshold({{0.0f, false, true}}, 1e-9, {}).offloaded, 1u);
}

TEST(ThresholdTest, NegativeScoresStartFromOffloadingNothing) {
  // Scores below zero (negative entropy): the curve still starts at zero offloads and
  // never counts a sample twice.
  const std::vector<SampleOutcome> s = {
      {-2.0f, false, true}, {-0.5f, true, true}, {-0.1f, true, false}};
  const auto curve = ThresholdCurve(s, CostModel{0.1, 1.0});
  ASSERT_EQ(curve.size(), 4u);
  EXPECT_EQ(curve.front().offloaded, 0u);
  EXPECT_EQ(curve.front().local_errors, 1u);
  EXPECT_EQ(curve.back().offloaded, 3u);
  for (const ThresholdPoint& p : curve) {
    const ThresholdPoint again = EvaluateThreshold(s, p.theta, CostModel{0.1, 1.0});
    EXPECT_EQ(again.offloaded, p.offloaded) << p.theta;
    EXPECT_EQ(again.local_errors + again.remote_errors, p.local_errors + p.remote_errors);
    EXPECT_LE(p.offload_fraction(), 1.0);
  }
  EXPECT_EQ(OptimalThreshold(s, CostModel{0.1, 1.0}).offloaded, 1u);
}

TEST(BreakEvenTest, ByHand) {
  // Offloading {0.3} saves 1 error for 1 offload: ratio 1.
  EXPECT_NEAR(BreakEvenOffloadCost(FiveSamples()), 1.0, 1e-12);
  // Remote no better than local: offloading never pays.
  EXPECT_EQ(BreakEvenOffloadCost({{0.4f, false, false}, {0.9f, true, true}}), 0.0);
  EXPECT_EQ(BreakEvenOffloadCost({}), 0.0);
}

}  // namespace
}  // namespace hiedge
