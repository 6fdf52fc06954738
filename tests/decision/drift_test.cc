#include "hiedge/decision/drift.h"

#include <gtest/gtest.h>

#include <random>

#include "hiedge/decision/calibrate.h"

namespace hiedge {
namespace {

// A reference: 10% offloads, confidences mostly high, the L-ML disagreeing on 30% of
// offloads.
DecisionConfig Reference() {
  DecisionConfig c;
  c.calibration_offload_fraction = 0.1;
  c.confidence_histogram = {0, 0, 0, 0.01, 0.01, 0.02, 0.03, 0.03, 0.15, 0.75};  // 10% < 0.8
  c.offload_disagreement = 0.3;
  return c;
}

// Draws a sample's statistics: confidence bin from `histogram`, offloaded iff the
// confidence is below 0.8 (shares chosen so that matches `offload`), disagreement.
struct Stream {
  std::mt19937_64 rng;
  std::vector<double> histogram;
  double disagreement;
  explicit Stream(uint64_t seed, std::vector<double> h, double d)
      : rng(seed), histogram(std::move(h)), disagreement(d) {}
  void Feed(DriftDetector& detector, int n, int* alarms) {
    std::discrete_distribution<int> bin(histogram.begin(), histogram.end());
    std::uniform_real_distribution<double> unit(0, 1);
    for (int i = 0; i < n; ++i) {
      const float confidence = static_cast<float>((bin(rng) + unit(rng)) / 10.0);
      const bool offloaded = confidence < 0.8f;
      *alarms +=
          detector.Observe(confidence, offloaded, offloaded, offloaded && unit(rng) < disagreement);
    }
  }
};

TEST(DriftDetectorTest, CleanStreamsStayBelowTheStatedFalseAlarmRate) {
  const DecisionConfig ref = Reference();
  int alarms = 0;
  constexpr int kStreams = 20, kLength = 20000;
  for (int s = 0; s < kStreams; ++s) {
    auto detector = DriftDetector::FromConfig(ref, {1e-4});
    ASSERT_TRUE(detector.ok());
    Stream(100 + s, ref.confidence_histogram, ref.offload_disagreement)
        .Feed(*detector, kLength, &alarms);
  }
  // At most 1e-4 per sample on average: 40 over 400,000 samples.
  EXPECT_LE(alarms, 40) << "false alarms on in-distribution streams";
}

TEST(DriftDetectorTest, AShiftIsFlaggedWithinAFewHundredSamples) {
  const DecisionConfig ref = Reference();
  auto detector = DriftDetector::FromConfig(ref, {1e-4});
  ASSERT_TRUE(detector.ok());
  int alarms = 0;
  Stream(1, ref.confidence_histogram, 0.3).Feed(*detector, 5000, &alarms);
  const uint64_t clean = detector->observed();
  const int before = alarms;
  // Shifted: confidences spread lower (about 35% offloaded), the L-ML disagreeing more.
  Stream(2, {0.02, 0.05, 0.08, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.2}, 0.6)
      .Feed(*detector, 5000, &alarms);
  ASSERT_GT(alarms, before);
  ASSERT_TRUE(detector->drifted());
  const DriftAlarm& first_after = [&]() -> const DriftAlarm& {
    for (const DriftAlarm& a : detector->alarms())
      if (a.sample > clean) return a;
    return detector->alarms().back();
  }();
  EXPECT_LE(first_after.sample - clean, 500u) << first_after.statistic;
}

// Alarms count samples from 0, and every alarm is kept as an episode however long the
// drift lasts: the episodes' counts add up to the alarm count, in bounded state.
TEST(DriftDetectorTest, EveryAlarmIsKeptInBoundedEpisodes) {
  const DecisionConfig ref = Reference();
  auto detector = DriftDetector::FromConfig(ref, {1e-4});
  ASSERT_TRUE(detector.ok());
  int alarms = 0;
  Stream(3, {0.3, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01, 0.01, 0.005, 0.005}, 0.9)
      .Feed(*detector, 200'000, &alarms);
  ASSERT_GT(detector->alarm_count(), DriftDetector::kMaxAlarms) << "a long, strong drift";
  EXPECT_EQ(detector->alarms().size(), DriftDetector::kMaxAlarms);
  EXPECT_LE(detector->episodes().size(), DriftDetector::kMaxEpisodes);
  uint64_t counted = 0;
  for (const DriftEpisode& e : detector->episodes()) {
    counted += e.alarms;
    EXPECT_LE(e.first_sample, e.last_sample);
    EXPECT_LT(e.last_sample, detector->observed());
  }
  EXPECT_EQ(counted, detector->alarm_count());
  EXPECT_LT(detector->alarms().front().sample, detector->observed());
}

TEST(DriftDetectorTest, NeedsAReferenceAndAValidRate) {
  DecisionConfig old;  // A config written before drift references.
  EXPECT_EQ(DriftDetector::FromConfig(old).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(DriftDetector::FromConfig(Reference(), {0}).status().code(),
            StatusCode::kInvalidArgument);
  auto d = DriftDetector::FromConfig(Reference(), {1e-4});
  ASSERT_TRUE(d.ok());
  EXPECT_NEAR(d->threshold(), std::log(3e4), 1e-12);
}

}  // namespace
}  // namespace hiedge
