#include "hiedge/data/corruptions.h"

#include <gtest/gtest.h>

#include <cmath>
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
    auto a = ApplyCorruption(clean, name, kDefaultCorruptionSeverity, 7);
    auto b = ApplyCorruption(clean, name, kDefaultCorruptionSeverity, 7);
    ASSERT_TRUE(a.ok() && b.ok()) << name;
    EXPECT_EQ(a->images, b->images) << name << ": same seed, same images";
    EXPECT_EQ(a->labels, clean.labels) << name;
    EXPECT_NE(a->images, clean.images) << name;
    for (float v : a->images) {
      EXPECT_GE(v, 0.0f) << name;
      EXPECT_LE(v, 1.0f) << name;
    }
  }
  EXPECT_NE(ApplyCorruption(clean, "noise", 3, 7)->images,
            ApplyCorruption(clean, "noise", 3, 8)->images);
  // Contrast pulls towards 0.5: the spread shrinks to 0.85 (severity 1) .. 0.35 (5).
  auto mild = ApplyCorruption(clean, "contrast", 1, 1);
  auto low = ApplyCorruption(clean, "contrast", 5, 1);
  EXPECT_NEAR(mild->images[63] - mild->images[0], 0.85f * (clean.images[63] - clean.images[0]),
              1e-5);
  EXPECT_NEAR(low->images[63] - low->images[0], 0.35f * (clean.images[63] - clean.images[0]), 1e-5);
  // Occlusion at severity 5 zeroes a square of side H/2: at least a quarter of the pixels.
  auto occluded = ApplyCorruption(clean, "occlusion", 5, 1);
  size_t zeros = 0;
  for (int p = 0; p < 64; ++p) zeros += occluded->images[p] == 0.0f;
  EXPECT_GE(zeros, 16u);
  EXPECT_EQ(ApplyCorruption(clean, "snow", 3, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyCorruption(clean, "noise", 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyCorruption(clean, "noise", 6, 1).status().code(), StatusCode::kInvalidArgument);
}

// Higher severity moves the images further from the clean ones, for every corruption.
TEST(CorruptionsTest, SeverityOrdersTheDistanceFromTheCleanImages) {
  const Dataset clean = Ramp();
  auto distance = [&](const Dataset& d) {
    double sum = 0;
    for (size_t i = 0; i < d.images.size(); ++i) sum += std::abs(d.images[i] - clean.images[i]);
    return sum;
  };
  for (const std::string& name : CorruptionNames()) {
    if (name == "rotation" || name == "occlusion") continue;  // Random placement: not monotone
    double previous = 0;
    for (int severity = 1; severity <= 5; ++severity) {
      auto d = ApplyCorruption(clean, name, severity, 7);
      ASSERT_TRUE(d.ok());
      EXPECT_GT(distance(*d), previous) << name << " severity " << severity;
      previous = distance(*d);
    }
  }
}

}  // namespace
}  // namespace hiedge
