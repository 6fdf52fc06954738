#include "hiedge/decision/calibrate.h"

#include <gtest/gtest.h>

#include <cmath>

namespace hiedge {
namespace {

// Five 3-class samples whose S-ML logits are [x, 0, 0] (prediction 0, max probability
// e^x / (e^x + 2)): (x, local right, remote right) = (0, no, yes), (1, no, no), (1, yes,
// yes), (3, yes, yes), (4, no, yes): max probabilities 0.33, 0.58, 0.58, 0.91, 0.96.
struct FiveSamples {
  std::vector<float> logits;
  std::vector<int32_t> labels, remote;
  FiveSamples() {
    const float xs[] = {0, 1, 1, 3, 4};
    const bool local_right[] = {false, false, true, true, false};
    const bool remote_right[] = {true, false, true, true, true};
    for (int i = 0; i < 5; ++i) {
      logits.insert(logits.end(), {xs[i], 0.0f, 0.0f});
      labels.push_back(local_right[i] ? 0 : 1);
      remote.push_back(remote_right[i] ? labels.back() : 2);
    }
  }
  LabelledLogits view() const { return {logits, 3, labels, remote}; }
};

TEST(CalibrateTest, MinCostConfigCarriesValidationFigures) {
  const FiveSamples five;
  auto c = CalibratePolicy(five.view(), {.cost = CostModel{0.3, 1.0}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->objective, "min_cost");
  EXPECT_EQ(c->module, "max_softmax");
  EXPECT_EQ(c->temperature, 1.0);
  EXPECT_NEAR(c->theta, std::exp(1.0) / (std::exp(1.0) + 2), 1e-6);  // Offloads x = 0 only.
  EXPECT_EQ(c->calibration_samples, 5u);
  EXPECT_NEAR(c->calibration_accuracy, 0.6, 1e-12);
  EXPECT_NEAR(c->calibration_offload_fraction, 0.2, 1e-12);
  EXPECT_NEAR(c->calibration_mean_cost, 2.3 / 5, 1e-12);
  // Drift reference: bins of 0.33, 0.58 x2, 0.91, 0.96; the one offload agreed? No: the
  // L-ML answered the label 1 where the S-ML said 0.
  ASSERT_EQ(c->confidence_histogram.size(), static_cast<size_t>(kConfidenceHistogramBins));
  EXPECT_NEAR(c->confidence_histogram[3], 0.2, 1e-12);
  EXPECT_NEAR(c->confidence_histogram[5], 0.4, 1e-12);
  EXPECT_NEAR(c->confidence_histogram[9], 0.4, 1e-12);
  EXPECT_NEAR(c->offload_disagreement, 1.0, 1e-12);
}

TEST(CalibrateTest, AccuracyTargetAndUnreachableTarget) {
  const FiveSamples five;
  auto c = CalibratePolicy(
      five.view(),
      {.objective = "accuracy_target", .cost = CostModel{0.3, 1.0}, .target_accuracy = 0.8});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->objective, "accuracy_target");
  EXPECT_NEAR(c->calibration_offload_fraction, 1.0, 1e-12);
  EXPECT_EQ(CalibratePolicy(five.view(), {.objective = "accuracy_target", .target_accuracy = 0.99})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(CalibratePolicy(five.view(), {.objective = "fastest"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CalibratePolicy(five.view(), {.module = "oracle"}).status().code(),
            StatusCode::kInvalidArgument);
  LabelledLogits short_remote = five.view();
  short_remote.remote_predictions = short_remote.remote_predictions.first(4);
  EXPECT_EQ(CalibratePolicy(short_remote, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(DecisionConfigTest, JsonRoundTrip) {
  const FiveSamples five;
  DecisionConfig c = *CalibratePolicy(five.view(), {.cost = CostModel{0.3, 1.0}});
  c.local_model = "models/sml.json";
  c.exit_thresholds = {0.9, 2.0};
  auto back = DecisionConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->version, kDecisionConfigVersion);
  EXPECT_DOUBLE_EQ(back->theta, c.theta);
  EXPECT_DOUBLE_EQ(back->offload_cost, 0.3);
  EXPECT_EQ(back->calibration_samples, 5u);
  EXPECT_EQ(back->local_model, "models/sml.json");
  EXPECT_EQ(back->exit_thresholds, c.exit_thresholds);
  EXPECT_EQ(back->confidence_histogram, c.confidence_histogram);
}

TEST(DecisionConfigTest, CostCurveReChoosesThetaForAnotherBeta) {
  // The five samples' thresholds: offloading 0..5 of them in confidence order (x = 0,
  // then the two x = 1 together, 3, 4) leaves 3, 2, 2, 2, 1 errors.
  const FiveSamples five;
  DecisionConfig c = *CalibratePolicy(five.view(), {.cost = CostModel{0.3, 1.0}});
  ASSERT_EQ(c.cost_curve.size(), 5u);
  const std::vector<double> offloaded = {0, 0.2, 0.6, 0.8, 1.0}, errors = {3, 2, 2, 2, 1};
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_NEAR(c.cost_curve[i].offload_fraction, offloaded[i], 1e-12) << i;
    EXPECT_NEAR(c.cost_curve[i].error_fraction, errors[i] / 5, 1e-12) << i;
  }
  // At the calibrated β the curve gives back the calibrated θ.
  EXPECT_DOUBLE_EQ(PointForOffloadCost(c, 0.3)->theta, c.theta);
  // β above 1 (one error saved per offload at best): offload nothing; tiny β: the
  // cheapest errors, offloading all (ties go to fewer offloads, so not at β = 0).
  EXPECT_DOUBLE_EQ(PointForOffloadCost(c, 1.5)->offload_fraction, 0.0);
  EXPECT_DOUBLE_EQ(PointForOffloadCost(c, 0.01)->offload_fraction, 1.0);
  EXPECT_DOUBLE_EQ(PointForOffloadCost(c, 0.0)->offload_fraction, 1.0);
  EXPECT_EQ(PointForOffloadCost(c, -0.1).status().code(), StatusCode::kInvalidArgument);
  // It survives the file, and a config without one says what to do.
  auto back = DecisionConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->cost_curve.size(), 5u);
  EXPECT_DOUBLE_EQ(back->cost_curve[2].theta, c.cost_curve[2].theta);
  const DecisionConfig bare;
  EXPECT_EQ(PointForOffloadCost(bare, 0.1).status().code(), StatusCode::kFailedPrecondition);
  // Out-of-order or out-of-range curves are refused.
  EXPECT_FALSE(
      DecisionConfig::FromJson(
          R"({"theta": 0.5, "calibration": {"cost_curve": {"points": [[0.5, 0, 0.1], [0.4, 1, 0]]}}})")
          .ok());
  EXPECT_FALSE(
      DecisionConfig::FromJson(
          R"({"theta": 0.5, "calibration": {"cost_curve": {"points": [[0.5, 1.5, 0.1]]}}})")
          .ok());
  EXPECT_FALSE(DecisionConfig::FromJson(
                   R"({"theta": 0.5, "calibration": {"cost_curve": {"points": [[1]]}}})")
                   .ok());
}

TEST(DecisionConfigTest, ACostCurveIsSampledToItsBound) {
  // 1,000 distinct confidences give 1,001 thresholds; the config keeps at most
  // kMaxCostCurvePoints, both ends and the chosen θ among them.
  std::vector<float> logits;
  std::vector<int32_t> labels, remote;
  for (int i = 0; i < 1000; ++i) {
    logits.insert(logits.end(), {static_cast<float>(i) / 200.0f, 0.0f, 0.0f});
    labels.push_back(i % 3 == 0 ? 1 : 0);
    remote.push_back(labels.back());
  }
  DecisionConfig c = *CalibratePolicy({logits, 3, labels, remote}, {.cost = CostModel{0.4, 1.0}});
  ASSERT_LE(c.cost_curve.size(), kMaxCostCurvePoints);
  EXPECT_GE(c.cost_curve.size(), kMaxCostCurvePoints - 2);
  EXPECT_DOUBLE_EQ(c.cost_curve.front().offload_fraction, 0.0);
  EXPECT_DOUBLE_EQ(c.cost_curve.back().offload_fraction, 1.0);
  EXPECT_DOUBLE_EQ(PointForOffloadCost(c, 0.4)->theta, c.theta);
  EXPECT_TRUE(DecisionConfig::FromJson(c.ToJson()).ok());
}

TEST(DecisionConfigTest, ReadsVersionOneConfigs) {
  auto v1 = DecisionConfig::FromJson(R"({"rule": "max_softmax", "theta": 0.7})");
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->module, "max_softmax");
  EXPECT_EQ(v1->temperature, 1.0);
}

TEST(DecisionConfigTest, RejectsBadConfigs) {
  EXPECT_FALSE(DecisionConfig::FromJson("not json").ok());
  EXPECT_FALSE(DecisionConfig::FromJson("[1]").ok());
  EXPECT_FALSE(DecisionConfig::FromJson("{}").ok());                    // No theta.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": "high"})").ok());  // Wrong type.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "rule": "x"})").ok());
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "version": 3})").ok());  // Newer.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "temperature": 0})").ok());
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "exit_thresholds": [-1]})").ok());
  // logistic_top2 needs its three parameters, and no others.
  EXPECT_FALSE(DecisionConfig::FromJson(R"({"theta": 0.5, "module": "logistic_top2"})").ok());
  EXPECT_FALSE(DecisionConfig::FromJson(
                   R"({"theta": 0.5, "module": "max_softmax", "parameters": {"bias": 1}})")
                   .ok());
  const std::string no_bias =
      DecisionConfig::FromJson(
          R"({"theta": 0.5, "module": "logistic_top2", "parameters": {"weight_p1": 1, "weight_p2": 1}})")
          .status()
          .message();
  EXPECT_NE(no_bias.find("needs parameter 'bias'"), std::string::npos) << no_bias;
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
