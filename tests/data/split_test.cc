#include <gtest/gtest.h>

#include <set>

#include "hiedge/data/data.h"

namespace hiedge {
namespace {

Dataset Numbered(size_t n) {
  Dataset ds;
  ds.channels = 1;
  ds.height = 1;
  ds.width = 2;
  ds.num_classes = 10;
  for (size_t i = 0; i < n; ++i) {
    ds.images.push_back(static_cast<float>(i));
    ds.images.push_back(-static_cast<float>(i));
    ds.labels.push_back(static_cast<int32_t>(i % 10));
  }
  return ds;
}

TEST(SplitTest, PartitionsWithoutOverlapAndKeepsPairs) {
  const Dataset full = Numbered(100);
  const TrainValidation split = SplitTrainValidation(full, 30, 7);
  ASSERT_EQ(split.validation.size(), 30u);
  ASSERT_EQ(split.train.size(), 70u);
  std::set<float> seen;
  for (const Dataset* part : {&split.train, &split.validation}) {
    for (size_t i = 0; i < part->size(); ++i) {
      const float id = part->image(i)[0];
      EXPECT_EQ(part->image(i)[1], -id);                          // Pixels stay together.
      EXPECT_EQ(part->labels[i], static_cast<int32_t>(id) % 10);  // Labels follow images.
      EXPECT_TRUE(seen.insert(id).second) << "sample " << id << " appears twice";
    }
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(SplitTest, DeterministicPerSeedAndDifferentAcrossSeeds) {
  const Dataset full = Numbered(200);
  const auto a = SplitTrainValidation(full, 50, 1);
  const auto b = SplitTrainValidation(full, 50, 1);
  const auto c = SplitTrainValidation(full, 50, 2);
  EXPECT_EQ(a.validation.images, b.validation.images);
  EXPECT_NE(a.validation.images, c.validation.images);
}

TEST(SplitTest, ValidationLargerThanDataTakesAll) {
  const auto split = SplitTrainValidation(Numbered(5), 50, 1);
  EXPECT_EQ(split.validation.size(), 5u);
  EXPECT_EQ(split.train.size(), 0u);
}

TEST(SplitTest, HeadAndSubset) {
  const Dataset full = Numbered(10);
  EXPECT_EQ(Head(full, 3).size(), 3u);
  EXPECT_EQ(Head(full, 30).size(), 10u);
  const Dataset picked = Subset(full, {9, 2});
  EXPECT_EQ(picked.labels, (std::vector<int32_t>{9, 2}));
  EXPECT_EQ(picked.image(0)[0], 9.0f);
}

}  // namespace
}  // namespace hiedge
