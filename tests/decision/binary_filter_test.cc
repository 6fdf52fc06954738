#include "hiedge/decision/binary_filter.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hiedge
