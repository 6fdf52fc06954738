#include "hiedge/decision/temperature.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace hiedge {
namespace {

TEST(TemperatureTest, RecoversTheTemperatureThatGeneratedTheLabels) {
  // Labels drawn from softmax(z / 2.5): the NLL-optimal temperature is about 2.5.
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0, 4);
  std::uniform_real_distribution<double> u(0, 1);
  const int classes = 5;
  std::vector<float> logits;
  std::vector<int32_t> labels;
  for (int i = 0; i < 20000; ++i) {
    std::vector<float> z(classes);
    for (float& v : z) v = normal(rng);
    const std::vector<float> p = ScaledSoftmax(z, classes, 2.5);
    double r = u(rng), c = 0;
    int label = classes - 1;
    for (int k = 0; k < classes; ++k) {
      if (r < (c += p[k])) {
        label = k;
        break;
      }
    }
    logits.insert(logits.end(), z.begin(), z.end());
    labels.push_back(label);
  }
  auto t = FitTemperature(logits, classes, labels);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(*t, 2.5, 0.15);
  EXPECT_LT(NegativeLogLikelihood(logits, classes, labels, *t),
            NegativeLogLikelihood(logits, classes, labels, 1.0));
}

TEST(TemperatureTest, BadInput) {
  EXPECT_FALSE(FitTemperature({}, 3, {}).ok());
  EXPECT_FALSE(FitTemperature({1, 2, 3}, 3, {0, 1}).ok());
  EXPECT_FALSE(FitTemperature({1, 2, 3}, 3, {3}).ok());
}

TEST(CalibrationErrorTest, ByHand) {
  // Bin [0.8, 0.9): confidences 0.8, 0.8 with 1 of 2 right -> |0.5 - 0.8| = 0.3, weight 1/2.
  // Bin [0.9, 1]:   confidences 1.0, 1.0 both right -> 0.
  const std::vector<float> conf = {0.8f, 0.8f, 1.0f, 1.0f};
  const std::vector<bool> correct = {true, false, true, true};
  EXPECT_NEAR(ExpectedCalibrationError(conf, correct, 10), 0.15, 1e-6);
  const auto bins = ReliabilityDiagram(conf, correct, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[8].count, 2u);
  EXPECT_NEAR(bins[8].accuracy, 0.5, 1e-12);
  EXPECT_EQ(bins[9].count, 2u);  // 1.0 lands in the last bin.
  EXPECT_EQ(ExpectedCalibrationError({}, {}), 0);
  // Perfectly calibrated in every bin: zero.
  EXPECT_NEAR(ExpectedCalibrationError({0.5f, 0.5f}, {true, false}, 10), 0, 1e-9);
}

}  // namespace
}  // namespace hiedge
