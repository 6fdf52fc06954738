#include "hiedge/corruptions.h"

#include <gtest/gtest.h>

#include <numeric>

namespace hiedge {
namespace {

Dataset Ramp() {
  Dataset d;
  d.channels = 1;
  d.height = 8;
  d.width = 8;
  d.num_classes = 2;
  for (int i = 0; i < 4; ++i) {
    for (int p = 0; p < 64; ++p) d.images.push_back(static_cast<float>((p + i) % 64) / 63.0f);
    d.labels.push_back(i % 2);
  }
  return d;
}

TEST(CorruptionsTest, EveryCorruptionIsSeededClampedAndChangesTheImages) {
  const Dataset clean = Ramp();
  for (const std::string& name : CorruptionNames()) {
    auto a = ApplyCorruption(clean, name, 7);
    auto b = ApplyCorruption(clean, name, 7);
    ASSERT_TRUE(a.ok() && b.ok()) << name;
    EXPECT_EQ(a->images, b->images) << name << ": same seed, same images";
    EXPECT_EQ(a->labels, clean.labels) << name;
    EXPECT_NE(a->images, clean.images) << name;
    for (float v : a->images) {
      EXPECT_GE(v, 0.0f) << name;
      EXPECT_LE(v, 1.0f) << name;
    }
  }
  EXPECT_NE(ApplyCorruption(clean, "noise", 7)->images, ApplyCorruption(clean, "noise", 8)->images);
  // Contrast pulls towards 0.5: the spread shrinks to 0.35 of the clean one.
  auto low = ApplyCorruption(clean, "contrast", 1);
  EXPECT_NEAR(low->images[63] - low->images[0], 0.35f * (clean.images[63] - clean.images[0]), 1e-5);
  // Occlusion zeroes a quarter of the pixels (a square of side H/2).
  auto occluded = ApplyCorruption(clean, "occlusion", 1);
  size_t zeros = 0;
  for (int p = 0; p < 64; ++p) zeros += occluded->images[p] == 0.0f;
  EXPECT_GE(zeros, 16u);
  EXPECT_EQ(ApplyCorruption(clean, "snow", 1).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
