// The shift benchmark's shifts: every kind is defined, deterministic, keeps images in
// [0, 1] and the labels' count, and does what its name says.
#include "eval/shift/shift_streams.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

namespace hiedge {
namespace {

Dataset Half() {
  Dataset d;
  d.channels = 1;
  d.height = d.width = 8;
  d.num_classes = 10;
  for (int i = 0; i < 200; ++i) {
    d.labels.push_back(i % 10);
    for (int p = 0; p < 64; ++p) d.images.push_back(static_cast<float>((p * 7 + i) % 11) / 10.0f);
  }
  return d;
}

double Mean(const Dataset& d, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from * d.image_elements(); i < to * d.image_elements(); ++i) sum += d.images[i];
  return sum / static_cast<double>((to - from) * d.image_elements());
}

TEST(ShiftStreamsTest, AtLeastTwelveShiftsAndAControlAllWellFormedAndSeeded) {
  const Dataset half = Half();
  std::set<std::string> kinds;
  int shifts = 0;
  for (const ShiftKind& k : ShiftBenchKinds()) {
    kinds.insert(k.kind);
    shifts += k.kind != "control";
    auto a = MakeShiftedHalf(half, k.name, 5);
    auto b = MakeShiftedHalf(half, k.name, 5);
    ASSERT_TRUE(a.ok()) << k.name;
    EXPECT_EQ(a->images, b->images) << k.name << " is not deterministic";
    EXPECT_EQ(a->size(), half.size()) << k.name;
    for (float v : a->images) ASSERT_TRUE(v >= 0 && v <= 1) << k.name;
    if (k.kind != "control" && k.kind != "label") EXPECT_NE(a->images, half.images) << k.name;
  }
  EXPECT_GE(shifts, 12);
  EXPECT_EQ(kinds, (std::set<std::string>{"image", "label", "gradual", "control"}));
  EXPECT_EQ(MakeShiftedHalf(half, "sepia", 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(ShiftStreamsTest, LabelShiftFavoursTheUpperBodyClasses) {
  const auto shifted = MakeShiftedHalf(Half(), "label_shift", 1);
  ASSERT_TRUE(shifted.ok());
  int favoured = 0;
  for (int32_t l : shifted->labels) favoured += l == 0 || l == 2 || l == 4 || l == 6;
  EXPECT_NEAR(favoured / 200.0, 0.8, 0.08);
}

TEST(ShiftStreamsTest, SlowDimmingGrowsOverTheHalf) {
  const Dataset half = Half();
  const auto dimmed = MakeShiftedHalf(half, "slow_dimming", 1);
  ASSERT_TRUE(dimmed.ok());
  EXPECT_NEAR(Mean(*dimmed, 0, 20), Mean(half, 0, 20), 0.05);
  EXPECT_LT(Mean(*dimmed, 180, 200), 0.5 * Mean(half, 180, 200));
}

}  // namespace
}  // namespace hiedge
