// Augmented copies for models trained on features: shifts and mirrors, seeded.
#include <gtest/gtest.h>

#include <numeric>

#include "hiedge/data/data.h"

namespace hiedge {
namespace {

// Two 1 x 5 x 5 images whose pixels are distinct: image i, pixel p = 100 i + p + 1.
Dataset Numbered() {
  Dataset d;
  d.channels = 1;
  d.height = 5;
  d.width = 5;
  d.num_classes = 3;
  for (int i = 0; i < 2; ++i) {
    for (int p = 0; p < 25; ++p) d.images.push_back(static_cast<float>(100 * i + p + 1));
    d.labels.push_back(i + 1);
  }
  d.soft_labels.assign(6, 1.0f / 3);
  return d;
}

TEST(AugmentTest, CopiesAreShiftedOrMirroredVersionsOfTheirOwnImage) {
  const Dataset source = Numbered();
  const Dataset out = WithAugmentedCopies(source, 3, /*seed=*/7, /*pad=*/1);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out.labels, (std::vector<int32_t>{1, 2, 1, 2, 1, 2, 1, 2}));
  EXPECT_TRUE(out.soft_labels.empty());  // A teacher must label the new images itself.
  // The originals come first, unchanged.
  EXPECT_TRUE(std::equal(source.images.begin(), source.images.end(), out.images.begin()));
  bool some_copy_differs = false;
  for (size_t i = 2; i < out.size(); ++i) {
    const int owner = out.labels[i] - 1;
    int kept = 0;
    for (size_t p = 0; p < 25; ++p) {
      const float v = out.image(i)[p];
      if (v == 0) continue;  // Padding.
      // Every pixel comes from the same image; a 1-pixel shift keeps >= 16 of 25.
      EXPECT_GE(v, 100 * owner + 1);
      EXPECT_LE(v, 100 * owner + 25);
      ++kept;
    }
    EXPECT_GE(kept, 16);
    some_copy_differs |= !std::equal(out.image(i), out.image(i) + 25, source.image(owner));
  }
  EXPECT_TRUE(some_copy_differs);
  // Seeded: the same copies again; another seed, others.
  EXPECT_EQ(WithAugmentedCopies(source, 3, 7, 1).images, out.images);
  EXPECT_NE(WithAugmentedCopies(source, 3, 8, 1).images, out.images);
  EXPECT_EQ(WithAugmentedCopies(source, 0, 7).images, source.images);
}

}  // namespace
}  // namespace hiedge
