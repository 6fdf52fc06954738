#include "hiedge/decision/signals.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hiedge/decision/logistic.h"

namespace hiedge {
namespace {

TEST(SignalsTest, ScoresByHand) {
  const float p[] = {0.1f, 0.6f, 0.3f};
  EXPECT_FLOAT_EQ(SignalScore(Signal::kMaxSoftmax, p, 3), 0.6f);
  EXPECT_FLOAT_EQ(SignalScore(Signal::kMargin, p, 3), 0.3f);
  EXPECT_NEAR(SignalScore(Signal::kNegativeEntropy, p, 3),
              0.1 * std::log(0.1) + 0.6 * std::log(0.6) + 0.3 * std::log(0.3), 1e-6);
  const float one_hot[] = {0, 1, 0};
  EXPECT_FLOAT_EQ(SignalScore(Signal::kNegativeEntropy, one_hot, 3), 0.0f);
  EXPECT_FLOAT_EQ(SignalScore(Signal::kMargin, one_hot, 3), 1.0f);
  const float uniform[] = {0.25f, 0.25f, 0.25f, 0.25f};
  EXPECT_NEAR(SignalScore(Signal::kNegativeEntropy, uniform, 4), -std::log(4.0), 1e-6);
  EXPECT_FLOAT_EQ(SignalScore(Signal::kMargin, uniform, 4), 0.0f);
}

TEST(SignalsTest, NamesRoundTripAndUnknownFails) {
  for (Signal s : AllSignals()) {
    auto parsed = ParseSignal(SignalName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(ParseSignal("vibes").status().code(), StatusCode::kInvalidArgument);
}

TEST(DetectionTest, ConfusionCountsAndScores) {
  // offloaded:   1 1 0 0 1
  // local wrong: 1 0 1 0 1
  const auto s = DetectOffloads({true, true, false, false, true}, {true, false, true, false, true});
  EXPECT_EQ(s.true_positives, 2u);
  EXPECT_EQ(s.false_positives, 1u);
  EXPECT_EQ(s.false_negatives, 1u);
  EXPECT_EQ(s.true_negatives, 1u);
  EXPECT_DOUBLE_EQ(s.precision(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.recall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.f1(), 2.0 / 3);
  const auto none = DetectOffloads({}, {});
  EXPECT_EQ(none.f1(), 0);
}

TEST(LogisticTest, LearnsThatLowConfidenceMeansWrong) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<TopTwo> x;
  std::vector<bool> wrong;
  for (int i = 0; i < 4000; ++i) {
    const float p1 = 0.3f + 0.7f * u(rng);
    const float p2 = (1 - p1) * u(rng);
    x.push_back({p1, p2});
    // Truth: P(wrong) = sigmoid(6 - 10 p1 + 4 p2).
    const double z = 6 - 10 * p1 + 4 * p2;
    wrong.push_back(u(rng) < 1 / (1 + std::exp(-z)));
  }
  auto model = FitLogistic(x, wrong, {50, 0.0, 1e-12});
  ASSERT_TRUE(model.ok());
  EXPECT_NEAR(model->weight_p1, -10, 1.5);
  EXPECT_NEAR(model->weight_p2, 4, 1.5);
  EXPECT_NEAR(model->bias, 6, 1.2);
  EXPECT_GT(model->ProbabilityWrong({0.4f, 0.35f}), model->ProbabilityWrong({0.95f, 0.02f}));
  EXPECT_LT(model->Score({0.4f, 0.35f}), model->Score({0.95f, 0.02f}));
}

TEST(LogisticTest, GradientVanishesAtTheFit) {
  const std::vector<TopTwo> x = {
      {0.9f, 0.05f}, {0.5f, 0.4f}, {0.6f, 0.3f}, {0.99f, 0.0f}, {0.45f, 0.44f}};
  const std::vector<bool> wrong = {false, true, false, false, true};
  const LogisticFitOptions options{100, 1e-3, 1e-14};
  auto m = FitLogistic(x, wrong, options);
  ASSERT_TRUE(m.ok());
  double g1 = options.l2 * m->weight_p1, g2 = options.l2 * m->weight_p2, g0 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double r = (m->ProbabilityWrong(x[i]) - (wrong[i] ? 1 : 0)) / x.size();
    g1 += r * x[i].p1;
    g2 += r * x[i].p2;
    g0 += r;
  }
  EXPECT_NEAR(g1, 0, 1e-8);
  EXPECT_NEAR(g2, 0, 1e-8);
  EXPECT_NEAR(g0, 0, 1e-8);
}

TEST(LogisticTest, EdgeCases) {
  EXPECT_EQ(FitLogistic({}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FitLogistic({{0.5f, 0.2f}}, {}).status().code(), StatusCode::kInvalidArgument);
  // A single class: finite weights, and it predicts that class.
  auto all_right = FitLogistic(std::vector<TopTwo>(10, {0.8f, 0.1f}), std::vector<bool>(10, false));
  ASSERT_TRUE(all_right.ok());
  EXPECT_TRUE(std::isfinite(all_right->bias));
  EXPECT_LT(all_right->ProbabilityWrong({0.8f, 0.1f}), 0.01);
}

}  // namespace
}  // namespace hiedge
