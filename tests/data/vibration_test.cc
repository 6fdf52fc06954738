// The bearing vibration generator's physics and the threshold rule's statistics.
#include "hiedge/data/vibration.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace hiedge {
namespace {

TEST(VibrationTest, DefectOrdersOfThe6205MatchItsPublishedValues) {
  const DefectOrders o = BearingDefectOrders(BearingGeometry{});
  // The CWRU bearing data's table for the drive-end 6205 (multiples of shaft speed).
  EXPECT_NEAR(o.inner_race, 5.4152, 1e-3);
  EXPECT_NEAR(o.outer_race, 3.5848, 1e-3);
  EXPECT_NEAR(o.cage, 0.39828, 1e-4);
  EXPECT_NEAR(2 * o.ball_spin, 4.7135, 1e-3);
}

TEST(VibrationTest, WindowsAreSeededAndLabelledInBlocks) {
  VibrationOptions o;
  o.window = 512;
  const Dataset a = GenerateVibrationWindows(3, o, 7);
  EXPECT_EQ(a.size(), 12u);
  EXPECT_EQ(a.image_elements(), 512u);
  EXPECT_EQ(a.num_classes, kBearingConditions);
  EXPECT_EQ(a.labels, (std::vector<int32_t>{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3}));
  EXPECT_EQ(GenerateVibrationWindows(3, o, 7).images, a.images);
  EXPECT_NE(GenerateVibrationWindows(3, o, 8).images, a.images);
}

// The lag in [from, to] where the squared signal (its envelope) correlates best.
int64_t EnvelopePeriod(std::span<const float> x, int64_t from, int64_t to) {
  std::vector<double> e(x.size());
  double mean = 0;
  for (size_t i = 0; i < x.size(); ++i) mean += (e[i] = static_cast<double>(x[i]) * x[i]);
  mean /= static_cast<double>(x.size());
  for (double& v : e) v -= mean;
  int64_t best = from;
  double best_value = -1e300;
  for (int64_t lag = from; lag <= to; ++lag) {
    double sum = 0;
    for (size_t i = 0; i + static_cast<size_t>(lag) < e.size(); ++i) sum += e[i] * e[i + lag];
    sum /= static_cast<double>(e.size() - static_cast<size_t>(lag));
    if (sum > best_value) best_value = sum, best = lag;
  }
  return best;
}

TEST(VibrationTest, DefectsStrikeAtTheirCharacteristicFrequencies) {
  const VibrationOptions o;
  const Dataset d = GenerateVibrationWindows(10, o, 1);
  const DefectOrders orders = BearingDefectOrders(o.bearing);
  // Expected impulse periods in samples: 12000 / (order * 29.95 Hz).
  const double outer = o.sample_rate_hz / (orders.outer_race * o.shaft_hz);  // ~112
  const double inner = o.sample_rate_hz / (orders.inner_race * o.shaft_hz);  // ~74
  int outer_hits = 0, inner_hits = 0;
  for (size_t w = 0; w < 10; ++w) {
    const size_t in = 10 + w, out = 20 + w;  // Blocks: inner race, then outer race.
    ASSERT_EQ(d.labels[in], kInnerRace);
    ASSERT_EQ(d.labels[out], kOuterRace);
    const auto window = [&](size_t i) {
      return std::span<const float>(d.image(i), d.image_elements());
    };
    // Ranges that hold the period but not its half or double.
    outer_hits += std::abs(static_cast<double>(EnvelopePeriod(window(out), 60, 170)) - outer) < 6;
    inner_hits += std::abs(static_cast<double>(EnvelopePeriod(window(in), 45, 110)) - inner) < 5;
  }
  EXPECT_GE(outer_hits, 8);
  EXPECT_GE(inner_hits, 8);
}

TEST(VibrationTest, FaultsRaiseKurtosisAndCrestFactorAboveHealthy) {
  const Dataset d = GenerateVibrationWindows(40, VibrationOptions{}, 3);
  std::vector<double> kurtosis(kBearingConditions, 0), crest(kBearingConditions, 0);
  for (size_t i = 0; i < d.size(); ++i) {
    const VibrationStatistics s =
        ComputeVibrationStatistics(std::span<const float>(d.image(i), d.image_elements()));
    kurtosis[static_cast<size_t>(d.labels[i])] += s.kurtosis / 40;
    crest[static_cast<size_t>(d.labels[i])] += s.crest_factor / 40;
  }
  // Healthy: tones and Gaussian noise, kurtosis at most that of noise.
  EXPECT_GT(kurtosis[kHealthy], 2.0);
  EXPECT_LT(kurtosis[kHealthy], 3.3);
  for (int c : {kInnerRace, kOuterRace, kBall}) {
    EXPECT_GT(kurtosis[static_cast<size_t>(c)], kurtosis[kHealthy] + 0.5) << c;
    EXPECT_GT(crest[static_cast<size_t>(c)], crest[kHealthy]) << c;
  }
}

TEST(VibrationTest, StatisticsOfHandMadeWindows) {
  const std::vector<float> spike = {0, 0, 0, 4};
  const VibrationStatistics s = ComputeVibrationStatistics(spike);
  EXPECT_DOUBLE_EQ(s.rms, 2.0);
  EXPECT_NEAR(s.kurtosis, 21.0 / 9.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.crest_factor, 2.0);
  const std::vector<float> square = {1, -1, 1, -1};
  EXPECT_DOUBLE_EQ(ComputeVibrationStatistics(square).kurtosis, 1.0);
  EXPECT_DOUBLE_EQ(ComputeVibrationStatistics(square).crest_factor, 1.0);
  const std::vector<float> flat = {2, 2, 2};
  EXPECT_DOUBLE_EQ(ComputeVibrationStatistics(flat).kurtosis, 0.0);
  EXPECT_EQ(ComputeVibrationStatistics({}).rms, 0.0);
}

}  // namespace
}  // namespace hiedge
