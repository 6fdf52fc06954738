#include "hiedge/decision/binary_filter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace hiedge {
namespace {

TEST(BinaryFilterTest, CountsAndCostsByHand) {
  // (P(interest), of interest, L-ML right)
  const std::vector<FilterSample> s = {
      {0.9f, true, true},   // TP, fine right
      {0.8f, true, false},  // TP, fine wrong
      {0.3f, true, true},   // FN: dropped
      {0.7f, false, true},  // FP: costs 1
      {0.1f, false, true},  // TN
  };
  const BinaryFilterResult r = EvaluateBinaryFilter(s, 0.5, 0.2);
  EXPECT_EQ(r.positives, 3u);
  EXPECT_EQ(r.offloaded, 3u);
  EXPECT_EQ(r.true_positives, 2u);
  EXPECT_EQ(r.false_positives, 1u);
  EXPECT_EQ(r.false_negatives, 1u);
  EXPECT_EQ(r.fine_correct, 1u);
  EXPECT_DOUBLE_EQ(r.accuracy(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(r.full_offload_accuracy(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(r.cost, 2 * 0.2 + 1);
  EXPECT_DOUBLE_EQ(r.full_offload_cost, 3 * 0.2 + 2);
  EXPECT_DOUBLE_EQ(r.cost_reduction(), 1 - 1.4 / 2.6);
}

TEST(BinaryFilterTest, EdgeCases) {
  const BinaryFilterResult empty = EvaluateBinaryFilter({}, 0.5, 0.1);
  EXPECT_EQ(empty.accuracy(), 0);
  EXPECT_EQ(empty.cost_reduction(), 0);
  // Threshold 0 offloads everything: the same as full offload.
  const std::vector<FilterSample> s(4, FilterSample{0.2f, false, true});
  const BinaryFilterResult all = EvaluateBinaryFilter(s, 0.0, 0.1);
  EXPECT_EQ(all.offloaded, 4u);
  EXPECT_DOUBLE_EQ(all.cost, all.full_offload_cost);
}

// The chosen false-positive rate is a bound on any samples: never more negatives
// offloaded than the rate allows, and the lowest such threshold (one step lower would
// offload one more). Ties at the boundary stay below it.
TEST(BinaryFilterTest, ThresholdForAFalsePositiveRateBoundsTheFalsePositives) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> p(0.0f, 1.0f);
  std::vector<FilterSample> samples;
  size_t negatives = 0;
  for (int i = 0; i < 1000; ++i) {
    const bool positive = i % 4 == 0;
    negatives += positive ? 0 : 1;
    samples.push_back({p(rng), positive, true});
  }
  for (double rate : {0.0, 0.05, 0.391, 0.5, 0.999}) {
    const double threshold = ThresholdForFalsePositiveRate(samples, rate);
    const size_t allowed = static_cast<size_t>(std::floor(rate * static_cast<double>(negatives)));
    const BinaryFilterResult r = EvaluateBinaryFilter(samples, threshold, 0.5);
    EXPECT_EQ(r.false_positives, allowed) << rate;  // Distinct draws: the bound is met exactly.
    const BinaryFilterResult lower =
        EvaluateBinaryFilter(samples, std::nextafter(threshold, 0.0), 0.5);
    EXPECT_GT(lower.false_positives, allowed) << rate;
  }
  EXPECT_EQ(ThresholdForFalsePositiveRate(samples, 1.0), 0.0);
  EXPECT_EQ(ThresholdForFalsePositiveRate({{0.9f, true, true}}, 0.1), 0.5) << "no negatives";
  const std::vector<FilterSample> tied(10, FilterSample{0.3f, false, true});
  EXPECT_EQ(
      EvaluateBinaryFilter(tied, ThresholdForFalsePositiveRate(tied, 0.5), 0.5).false_positives,
      0u);
}

}  // namespace
}  // namespace hiedge
