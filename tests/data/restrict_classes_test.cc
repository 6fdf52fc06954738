#include <gtest/gtest.h>

#include "hiedge/data/data.h"

namespace hiedge {
namespace {

TEST(RestrictClassesTest, KeepsListedClassesRelabelledInListOrder) {
  Dataset d;
  d.channels = 1;
  d.height = 1;
  d.width = 2;
  d.num_classes = 4;
  d.labels = {3, 0, 1, 3, 2};
  d.images = {30, 31, 0, 1, 10, 11, 32, 33, 20, 21};
  const Dataset r = RestrictClasses(d, {3, 1});
  EXPECT_EQ(r.num_classes, 2);
  EXPECT_EQ(r.labels, (std::vector<int32_t>{0, 1, 0}));
  EXPECT_EQ(r.images, (std::vector<float>{30, 31, 10, 11, 32, 33}));
  EXPECT_EQ(RestrictClasses(d, {}).size(), 0u);
  const Dataset with_other = RestrictClasses(d, {3, 1}, /*keep_others=*/true);
  EXPECT_EQ(with_other.num_classes, 3);
  EXPECT_EQ(with_other.labels, (std::vector<int32_t>{0, 2, 1, 0, 2}));
  EXPECT_EQ(with_other.images, d.images);
}

// Three samples of 4 classes with a teacher's probabilities (rows sum to 1).
Dataset WithSoftLabels() {
  Dataset d;
  d.channels = 1;
  d.height = 1;
  d.width = 1;
  d.num_classes = 4;
  d.labels = {3, 0, 1};
  d.images = {30, 0, 10};
  d.soft_labels = {0.1f, 0.1f, 0.2f, 0.6f,  //
                   0.7f, 0.1f, 0.1f, 0.1f,  //
                   0.2f, 0.5f, 0.2f, 0.1f};
  return d;
}

TEST(RestrictClassesTest, SoftLabelsFollowTheirSamplesIntoTheNewClasses) {
  const Dataset d = WithSoftLabels();
  // Classes {3, 1} plus "other": "other" gets what the listed classes leave.
  const Dataset with_other = RestrictClasses(d, {3, 1}, /*keep_others=*/true);
  ASSERT_EQ(with_other.soft_labels.size(), 9u);
  const std::vector<float> expected_other = {0.6f, 0.1f, 0.3f, 0.1f, 0.1f, 0.8f, 0.1f, 0.5f, 0.4f};
  for (size_t i = 0; i < expected_other.size(); ++i) {
    EXPECT_NEAR(with_other.soft_labels[i], expected_other[i], 1e-6) << i;
  }
  // Without "other" only samples of {3, 1} stay, renormalised over the two classes.
  const Dataset only = RestrictClasses(d, {3, 1});
  ASSERT_EQ(only.labels, (std::vector<int32_t>{0, 1}));
  ASSERT_EQ(only.soft_labels.size(), 4u);
  EXPECT_NEAR(only.soft_labels[0], 0.6f / 0.7f, 1e-6);
  EXPECT_NEAR(only.soft_labels[1], 0.1f / 0.7f, 1e-6);
  EXPECT_NEAR(only.soft_labels[2], 0.1f / 0.6f, 1e-6);
  EXPECT_NEAR(only.soft_labels[3], 0.5f / 0.6f, 1e-6);
}

TEST(RestrictClassesTest, BinaryRelabellingAndSubsetsCarrySoftLabels) {
  const Dataset binary = RelabelBinary(WithSoftLabels(), {0, 3});
  ASSERT_EQ(binary.soft_labels.size(), 6u);
  EXPECT_NEAR(binary.soft_labels[0], 0.3f, 1e-6);  // p(negative) = 1 - p(0) - p(3)
  EXPECT_NEAR(binary.soft_labels[1], 0.7f, 1e-6);
  EXPECT_NEAR(binary.soft_labels[5], 0.3f, 1e-6);
  const Dataset picked = Subset(WithSoftLabels(), {2, 0});
  EXPECT_EQ(picked.soft_labels, (std::vector<float>{0.2f, 0.5f, 0.2f, 0.1f,  //
                                                    0.1f, 0.1f, 0.2f, 0.6f}));
  Dataset plain = WithSoftLabels();
  plain.soft_labels.clear();
  EXPECT_TRUE(RestrictClasses(plain, {3, 1}, true).soft_labels.empty());
}

}  // namespace
}  // namespace hiedge
