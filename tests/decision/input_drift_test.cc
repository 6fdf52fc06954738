// The input-side statistics and the drift tests built on them: a shift that leaves the
// S-ML's confidence and offloads exactly as calibrated (confidently wrong) is seen only
// from the inputs, and in-distribution streams stay within the stated false-alarm rate.
#include <gtest/gtest.h>

#include <random>

#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/drift.h"
#include "hiedge/decision/input_statistics.h"

namespace hiedge {
namespace {

constexpr size_t kElements = 64;
constexpr int kClasses = 4;

// In-distribution inputs: a random brightness and texture per image. `invert` maps
// x -> 1 - x (a negative), `noise` adds uniform pixel noise of that amplitude.
std::vector<float> Image(std::mt19937_64& rng, bool invert = false, double noise = 0) {
  std::uniform_real_distribution<double> unit(0, 1);
  const double brightness = 0.2 + 0.3 * unit(rng);
  std::vector<float> x(kElements);
  for (size_t i = 0; i < kElements; ++i) {
    double v = brightness * (i % 8 < 4 ? 1.0 : 0.3) + 0.05 * unit(rng);
    v += noise * (unit(rng) - 0.5);
    v = std::clamp(v, 0.0, 1.0);
    x[i] = static_cast<float>(invert ? 1 - v : v);
  }
  return x;
}

DecisionConfig ReferenceFrom(uint64_t seed, size_t samples) {
  std::mt19937_64 rng(seed);
  std::vector<float> inputs;
  std::vector<int32_t> predictions;
  for (size_t i = 0; i < samples; ++i) {
    const std::vector<float> x = Image(rng);
    inputs.insert(inputs.end(), x.begin(), x.end());
    predictions.push_back(static_cast<int32_t>(i % kClasses));
  }
  DecisionConfig c;
  c.calibration_offload_fraction = 0.1;
  c.confidence_histogram = {0, 0, 0, 0.01, 0.01, 0.02, 0.03, 0.03, 0.15, 0.75};
  c.offload_disagreement = 0.3;
  c.input_reference = BuildInputReference(inputs, kElements, predictions, kClasses);
  return c;
}

// Feeds `n` samples whose confidence, offloads and classes follow the calibration
// exactly; only the inputs may be shifted. Returns the index of the first alarm or -1.
int64_t FirstAlarm(DriftDetector& detector, std::mt19937_64& rng, int n, bool invert,
                   double noise, int* alarms = nullptr) {
  std::uniform_real_distribution<double> unit(0, 1);
  int64_t first = -1;
  for (int i = 0; i < n; ++i) {
    const float confidence = unit(rng) < 0.9 ? 0.95f : 0.5f;
    const std::vector<float> x = Image(rng, invert, noise);
    const int predicted = static_cast<int>(rng() % kClasses);
    if (detector.ObserveSample(confidence, confidence < 0.8f, x, predicted)) {
      if (alarms != nullptr) ++*alarms;
      if (first < 0) first = i;
    }
  }
  return first;
}

TEST(InputFeaturesTest, MeanStdRoughnessAndMax) {
  const std::vector<float> x = {0, 1, 0, 1};
  const auto f = InputFeatures(x);
  EXPECT_DOUBLE_EQ(f[0], 0.5);
  EXPECT_DOUBLE_EQ(f[1], 0.5);
  EXPECT_DOUBLE_EQ(f[2], 1.0);
  EXPECT_DOUBLE_EQ(f[3], 1.0);
  EXPECT_DOUBLE_EQ(InputFeatures({})[0], 0.0);
}

TEST(InputReferenceTest, QuantileBinsWithSharesAndConstantFeaturesDropped) {
  const DecisionConfig c = ReferenceFrom(1, 4000);
  const InputReference& r = c.input_reference;
  EXPECT_EQ(CheckInputReference(r), "");
  ASSERT_EQ(r.class_shares.size(), static_cast<size_t>(kClasses));
  for (const InputFeatureReference& f : r.features) {
    EXPECT_GE(f.edges.size(), 8u) << f.name;  // Continuous: about kInputBins bins.
    for (double s : f.shares) EXPECT_NEAR(s, 1.0 / (f.edges.size() + 1), 0.03) << f.name;
  }
  // A feature that never varies gives no bins: all-zero inputs have nothing to compare.
  const std::vector<float> zeros(kElements * 100, 0.0f);
  EXPECT_TRUE(BuildInputReference(zeros, kElements, {}, 0).features.empty());
  // Wrong sizes give an empty reference rather than a wrong one.
  EXPECT_TRUE(BuildInputReference(zeros, kElements + 1, {}, 0).empty());
}

TEST(InputReferenceTest, SurvivesTheDecisionConfigAndBadOnesAreRefused) {
  DecisionConfig c = ReferenceFrom(2, 1000);
  c.theta = 0.8;
  auto back = DecisionConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->input_reference.features.size(), c.input_reference.features.size());
  EXPECT_EQ(back->input_reference.features[0].edges, c.input_reference.features[0].edges);
  EXPECT_EQ(back->input_reference.class_shares, c.input_reference.class_shares);

  c.input_reference.features[0].shares[0] += 0.5;  // No longer sums to 1.
  auto bad = DecisionConfig::FromJson(c.ToJson());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("sum to 1"), std::string::npos);
}

TEST(InputDriftTest, ConfidentlyWrongShiftSeenOnlyFromTheInputs) {
  const DecisionConfig c = ReferenceFrom(3, 5000);
  auto both = DriftDetector::FromConfig(c, {1e-4});
  auto output_only = DriftDetector::FromConfig(c, {.false_alarm_rate = 1e-4, .input_tests = false});
  ASSERT_TRUE(both.ok() && output_only.ok());
  EXPECT_TRUE(both->has_input_tests());
  std::mt19937_64 a(7), b(7);
  const int64_t seen = FirstAlarm(*both, a, 2000, /*invert=*/true, 0);
  const int64_t unseen = FirstAlarm(*output_only, b, 2000, /*invert=*/true, 0);
  EXPECT_GE(seen, 0);
  EXPECT_LT(seen, 200) << "inverted inputs should be flagged within 200 samples";
  EXPECT_EQ(unseen, -1) << "the confidence-side tests cannot see this shift";
  EXPECT_EQ(both->alarms()[0].statistic.rfind("input_", 0), 0u) << both->alarms()[0].statistic;
}

TEST(InputDriftTest, NoiseIsFlaggedThroughRoughness) {
  const DecisionConfig c = ReferenceFrom(4, 5000);
  auto detector = DriftDetector::FromConfig(c, {.false_alarm_rate = 1e-4, .output_tests = false});
  ASSERT_TRUE(detector.ok());
  std::mt19937_64 rng(9);
  const int64_t first = FirstAlarm(*detector, rng, 2000, false, /*noise=*/0.3);
  EXPECT_GE(first, 0);
  EXPECT_LT(first, 200);
}

TEST(InputDriftTest, InDistributionStreamsStayWithinTheStatedRate) {
  // The reference from one draw, the streams from others: the quantiles' own sampling
  // error is part of what is tested.
  const DecisionConfig c = ReferenceFrom(5, 20000);
  int alarms = 0;
  constexpr int kStreams = 10, kLength = 20000;
  for (int s = 0; s < kStreams; ++s) {
    auto detector = DriftDetector::FromConfig(c, {1e-3});
    ASSERT_TRUE(detector.ok());
    std::mt19937_64 rng(100 + s);
    FirstAlarm(*detector, rng, kLength, false, 0, &alarms);
  }
  // At most 1e-3 per sample on average: 200 over 200,000 samples.
  EXPECT_LE(alarms, 200);
}

TEST(InputDriftTest, NothingToTestIsAnError) {
  DecisionConfig c;  // No histogram, no input reference.
  EXPECT_EQ(DriftDetector::FromConfig(c, {.false_alarm_rate = 1e-4, .output_tests = false})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hiedge
