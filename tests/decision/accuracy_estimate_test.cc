// The label-free accuracy estimate: a calibrated S-ML's estimate tracks its real accuracy
// window by window, windows with drift say they are untrustworthy, memory is bounded.
#include "hiedge/decision/accuracy_estimate.h"

#include <gtest/gtest.h>

#include <random>

#include "hiedge/decision/calibrate.h"

namespace hiedge {
namespace {

TEST(ReliabilityTableTest, PerBinAccuracyWithACentrePseudoSample) {
  // Bin 9 (confidence 0.95): 3 right of 4; bin 5: none seen.
  const std::vector<float> confidences = {0.95f, 0.95f, 0.97f, 0.99f};
  const std::vector<bool> correct = {true, true, true, false};
  const std::vector<double> table = ReliabilityTable(confidences, correct);
  ASSERT_EQ(table.size(), static_cast<size_t>(kConfidenceHistogramBins));
  EXPECT_DOUBLE_EQ(table[9], (3 + 0.95) / 5);
  EXPECT_DOUBLE_EQ(table[5], 0.55);
}

TEST(AccuracyEstimatorTest, TracksACalibratedModelAndFlagsDriftWindows) {
  // A calibrated model: right with probability equal to its confidence.
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<float> confidences(20000);
  std::vector<bool> correct(20000);
  for (size_t i = 0; i < confidences.size(); ++i) {
    confidences[i] = static_cast<float>(0.5 + 0.5 * unit(rng));
    correct[i] = unit(rng) < confidences[i];
  }
  auto estimator = AccuracyEstimator::Create(ReliabilityTable(confidences, correct), 1000);
  ASSERT_TRUE(estimator.ok());
  for (int i = 0; i < 5000; ++i) {
    // Fewer sure samples in the second half: the estimate must fall with the accuracy.
    const double top = i < 2500 ? 1.0 : 0.7;
    const auto c = static_cast<float>(0.5 + (top - 0.5) * unit(rng));
    estimator->Add(c, c < 0.6f, /*drift_alarm=*/i == 2600, unit(rng) < c);
  }
  const std::vector<EstimateWindow> w = estimator->Windows();
  ASSERT_EQ(w.size(), 5u);
  for (const EstimateWindow& window : w) {
    EXPECT_NEAR(window.estimated_local_accuracy, window.observed_local_accuracy, 0.05)  // ~3 sigma
        << "window from " << window.first_sample;
  }
  EXPECT_LT(w[4].estimated_local_accuracy, w[0].estimated_local_accuracy - 0.1);
  EXPECT_EQ(w[2].first_sample, 2000u);
  EXPECT_TRUE(w[1].trustworthy);
  EXPECT_FALSE(w[2].trustworthy);  // The alarm's window...
  EXPECT_FALSE(w[3].trustworthy);  // ...and the next.
  EXPECT_TRUE(w[4].trustworthy);
}

TEST(AccuracyEstimatorTest, BoundedAndRefusesBadTables) {
  auto estimator = AccuracyEstimator::Create(std::vector<double>(kConfidenceHistogramBins, 0.9), 1);
  ASSERT_TRUE(estimator.ok());
  for (size_t i = 0; i < AccuracyEstimator::kMaxWindows + 10; ++i) estimator->Add(0.9f, false, false, -1);
  EXPECT_EQ(estimator->Windows().size(), AccuracyEstimator::kMaxWindows);
  EXPECT_EQ(estimator->dropped_windows(), 10u);
  EXPECT_LT(estimator->Windows().back().observed_local_accuracy, 0);  // No labels.
  EXPECT_FALSE(AccuracyEstimator::Create({0.5}, 10).ok());
  EXPECT_FALSE(AccuracyEstimator::Create(std::vector<double>(kConfidenceHistogramBins, 1.5), 10).ok());
  EXPECT_FALSE(AccuracyEstimator::Create(std::vector<double>(kConfidenceHistogramBins, 0.5), 0).ok());
}

}  // namespace
}  // namespace hiedge
