#include "hiedge/calibrate.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

const std::vector<SampleOutcome> kSamples = {{0.3f, false, true},
                                             {0.5f, false, false},
                                             {0.5f, true, true},
                                             {0.9f, true, true},
                                             {0.95f, false, true}};

TEST(CalibrateTest, MinCostConfigCarriesValidationFigures) {
  const DecisionConfig c = CalibrateMinCost(kSamples, CostModel{0.3, 1.0});
  EXPECT_EQ(c.objective, "min_cost");
  EXPECT_DOUBLE_EQ(c.theta, 0.5f);
  EXPECT_EQ(c.calibration_samples, 5u);
  EXPECT_NEAR(c.calibration_accuracy, 0.6, 1e-12);
  EXPECT_NEAR(c.calibration_offload_fraction, 0.2, 1e-12);
  EXPECT_NEAR(c.calibration_mean_cost, 2.3 / 5, 1e-12);
}

TEST(CalibrateTest, AccuracyTargetAndUnreachableTarget) {
  auto c = CalibrateAccuracyTarget(kSamples, 0.8, CostModel{0.3, 1.0});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->objective, "accuracy_target");
  EXPECT_NEAR(c->calibration_offload_fraction, 1.0, 1e-12);
  EXPECT_FALSE(CalibrateAccuracyTarget(kSamples, 0.99, CostModel{}).ok());
}

TEST(DecisionConfigTest, JsonRoundTrip) {
  DecisionConfig c = CalibrateMinCost(kSamples, CostModel{0.3, 1.0});
  c.local_model = "models/sml.json";
  auto back = DecisionConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_DOUBLE_EQ(back->theta, c.theta);
  EXPECT_DOUBLE_EQ(back->offload_cost, 0.3);
  EXPECT_EQ(back->calibration_samples, 5u);
  EXPECT_EQ(back->local_model, "models/sml.json");
}

TEST(DecisionConfigTest, RejectsBadConfigs) {
  EXPECT_FALSE(DecisionConfig::FromJson("not json").ok());
  EXPECT_FALSE(DecisionConfig::FromJson("[1]").ok());
  EXPECT_FALSE(DecisionConfig::FromJson("{}").ok());                    // No theta.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": "high"})").ok());  // Wrong type.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": -1})").ok());      // Out of range.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "rule": "x"})").ok());
  EXPECT_EQ(ReadDecisionConfig("/nonexistent/decision.json").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

TEST(DecisionConfigTest, RecordsAndChecksTheModelItWasCalibratedFor) {
  DecisionConfig config;
  config.theta = 0.5;
  config.local_model_id = "sml@00000000000000aa";
  auto back = DecisionConfig::FromJson(config.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->local_model_id, "sml@00000000000000aa");
  EXPECT_TRUE(CheckCalibratedFor(*back, "sml@00000000000000aa").ok());
  const Status other = CheckCalibratedFor(*back, "sml@00000000000000bb");
  EXPECT_EQ(other.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(other.message().find("--force"), std::string::npos);
  config.local_model_id.clear();  // Older configs say nothing: accepted.
  EXPECT_TRUE(CheckCalibratedFor(config, "anything@0").ok());
}

}  // namespace
}  // namespace hiedge
