#include "hiedge/decision/offload_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/decision_config.h"

namespace hiedge {
namespace {

TEST(ConfidenceModuleTest, RegistryMakesEveryModuleAndNamesTheKnownOnes) {
  EXPECT_EQ(ConfidenceModuleNames(),
            (std::vector<std::string>{"max_softmax", "margin", "neg_entropy", "logistic_top2"}));
  for (const std::string& name : ConfidenceModuleNames()) {
    auto module = MakeConfidenceModule(name);
    ASSERT_TRUE(module.ok()) << name;
    EXPECT_EQ((*module)->name(), name);
  }
  const Status unknown = MakeConfidenceModule("oracle").status();
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("known: max_softmax, margin"), std::string::npos);
}

TEST(ConfidenceModuleTest, SharperDistributionsScoreHigherAndStayInRange) {
  const std::vector<float> sure = {0.9f, 0.05f, 0.05f}, unsure = {0.4f, 0.35f, 0.25f};
  for (const std::string& name : {"max_softmax", "margin", "neg_entropy"}) {
    auto module = std::move(MakeConfidenceModule(name)).value();
    EXPECT_GT(module->Score(sure), module->Score(unsure)) << name;
    const auto [lo, hi] = module->ScoreRange(3);
    for (const auto& p : {sure, unsure}) {
      EXPECT_GE(module->Score(p), lo - 1e-6) << name;
      EXPECT_LE(module->Score(p), hi + 1e-6) << name;
    }
  }
}

// Seeded 4-class logits where a small top-2 gap means a likely wrong answer.
LabelledLogits MakeSplit(uint64_t seed, std::vector<float>* logits, std::vector<int32_t>* labels,
                         std::vector<int32_t>* remote) {
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::uniform_real_distribution<float> gap(0.0f, 4.0f), unit(0.0f, 1.0f);
  for (int i = 0; i < 2000; ++i) {
    const float g = gap(rng);
    logits->insert(logits->end(), {g, 0.0f, -1.0f, -1.0f});
    const bool right = unit(rng) < 0.4f + 0.15f * g;
    labels->push_back(right ? 0 : 1);
    remote->push_back(unit(rng) < 0.9f ? labels->back() : 3);
  }
  return {*logits, 4, *labels, *remote};
}

TEST(OffloadPolicyTest, EveryModuleAndObjectiveRoundTripsThroughTheConfig) {
  std::vector<float> logits;
  std::vector<int32_t> labels, remote;
  const LabelledLogits split = MakeSplit(7, &logits, &labels, &remote);
  for (const std::string& module : ConfidenceModuleNames()) {
    for (bool temperature : {false, true}) {
      for (const std::string objective : {"min_cost", "accuracy_target", "certified_accuracy"}) {
        CalibrationOptions o{module, temperature, objective, CostModel{0.1, 1.0}, 0.8, 0.05};
        auto config = CalibratePolicy(split, o);
        ASSERT_TRUE(config.ok()) << module << " " << objective << ": "
                                 << config.status().ToString();
        EXPECT_EQ(temperature, config->temperature != 1.0) << module;
        EXPECT_GT(config->calibration_offload_fraction, 0.0) << module << " " << objective;
        if (objective != "min_cost") EXPECT_GE(config->calibration_accuracy, 0.8 - 1e-12);
        // The config, written and read back, decides every sample as the fitted policy did.
        auto reread = DecisionConfig::FromJson(config->ToJson());
        ASSERT_TRUE(reread.ok()) << reread.status().ToString();
        auto policy = OffloadPolicy::FromConfig(*reread);
        ASSERT_TRUE(policy.ok());
        const std::vector<SampleOutcome> outcomes = PolicyOutcomes(*policy, split);
        const ThresholdPoint replay = EvaluateThreshold(outcomes, policy->theta(), o.cost);
        EXPECT_EQ(replay.offload_fraction(), config->calibration_offload_fraction) << module;
        EXPECT_EQ(replay.accuracy(), config->calibration_accuracy) << module;
      }
    }
  }
}

TEST(OffloadPolicyTest, LogisticModuleLearnsThatASmallGapMeansWrong) {
  std::vector<float> logits;
  std::vector<int32_t> labels, remote;
  const LabelledLogits split = MakeSplit(3, &logits, &labels, &remote);
  auto config = CalibratePolicy(split, {.module = "logistic_top2"});
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->parameters.size(), 3u);
  auto policy = OffloadPolicy::FromConfig(*config);
  ASSERT_TRUE(policy.ok());
  const std::vector<float> gap_small = {0.2f, 0.0f, -1.0f, -1.0f},
                           gap_large = {3.5f, 0.0f, -1.0f, -1.0f};
  EXPECT_LT(policy->Decide(gap_small).score, policy->Decide(gap_large).score);
  EXPECT_NE(policy->Describe().find("logistic_top2"), std::string::npos);
}

TEST(OffloadPolicyTest, TemperatureChangesConfidenceNotThePrediction) {
  const std::vector<float> logits = {2.0f, 1.0f, 0.0f};
  DecisionConfig config;
  config.temperature = 2.0;
  config.theta = 0.55;
  auto hot = OffloadPolicy::FromConfig(config);
  ASSERT_TRUE(hot.ok());
  const PolicyDecision raw = OffloadPolicy::MaxSoftmax(0.55).Decide(logits);
  const PolicyDecision scaled = hot->Decide(logits);
  EXPECT_EQ(raw.prediction, 0);
  EXPECT_EQ(scaled.prediction, 0);
  EXPECT_NEAR(raw.confidence, std::exp(2.0) / (std::exp(2.0) + std::exp(1.0) + 1), 1e-6);
  EXPECT_LT(scaled.confidence, raw.confidence);
  EXPECT_FALSE(raw.offload);    // 0.665 >= 0.55
  EXPECT_TRUE(scaled.offload);  // e^1 / (e^1 + e^0.5 + 1) = 0.506 < 0.55
}

}  // namespace
}  // namespace hiedge
