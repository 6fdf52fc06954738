#include "eval/two_level/two_level_eval.h"

#include <gtest/gtest.h>

#include "engine/features.h"
#include "hiedge/common/model_card.h"

namespace hiedge {
namespace {

// Four classes in two superclasses {0, 1} and {2, 3}; three samples whose routing
// outcome is worked out by hand (see each comment).
class TwoLevelSimulationTest : public ::testing::Test {
 protected:
  Superclasses superclasses_ = *MakeSuperclasses({0, 0, 1, 1});
  std::vector<TwoLevelSample> samples_ = {
      // Confident and right: C^L = (0.9, 0.1); expert 0 says class 0.
      {{0.6f, 0.3f, 0.05f, 0.05f}, 0, {{0, 0, 0.95}, {1, 2, 0.5}}, 0},
      // Wrong top superclass: C^L = (0.55, 0.45); only asking both experts finds class 2.
      {{0.4f, 0.15f, 0.35f, 0.1f}, 0, {{0, 1, 0.55}, {1, 2, 0.9}}, 2},
      // Right superclass, unsure expert (0.4): recall asks expert 0 too (0.3), still 3.
      {{0.05f, 0.05f, 0.5f, 0.4f}, 2, {{0, 0, 0.3}, {1, 3, 0.4}}, 3},
  };
};

TEST_F(TwoLevelSimulationTest, TopSuperclassOnly) {
  const TwoLevelOutcome o = SimulateTwoLevel(samples_, superclasses_, {0.0, 1.0, 0.0, 1});
  EXPECT_NEAR(o.accuracy, 2.0 / 3, 1e-12);
  EXPECT_NEAR(o.mean_expert_queries, 1.0, 1e-12);
  EXPECT_NEAR(o.superclass_accuracy, 2.0 / 3, 1e-12);
  EXPECT_NEAR(o.first_level_accuracy, 1.0 / 3, 1e-12);
  EXPECT_EQ(o.recall_fraction, 0.0);
}

TEST_F(TwoLevelSimulationTest, ParallelQueriesAndRecallFixTheErrors) {
  const TwoLevelOutcome o = SimulateTwoLevel(samples_, superclasses_, {0.9, 0.1, 0.6, 2});
  EXPECT_NEAR(o.accuracy, 1.0, 1e-12);
  EXPECT_NEAR(o.mean_expert_queries, 5.0 / 3, 1e-12);  // 1 + 2 (parallel) + 2 (recall).
  EXPECT_NEAR(o.recall_fraction, 1.0 / 3, 1e-12);
  EXPECT_NEAR(o.multi_query_fraction, 1.0 / 3, 1e-12);
}

TEST_F(TwoLevelSimulationTest, CalibrationRespectsTheQueryBudget) {
  const RoutingThresholds tight = CalibrateTwoLevel(samples_, superclasses_, 1.0);
  const TwoLevelOutcome at_tight = SimulateTwoLevel(samples_, superclasses_, tight);
  EXPECT_LE(at_tight.mean_expert_queries, 1.0);
  EXPECT_NEAR(at_tight.accuracy, 2.0 / 3, 1e-12);
  const RoutingThresholds loose = CalibrateTwoLevel(samples_, superclasses_, 2.0);
  const TwoLevelOutcome at_loose = SimulateTwoLevel(samples_, superclasses_, loose);
  EXPECT_NEAR(at_loose.accuracy, 1.0, 1e-12);
  EXPECT_LE(at_loose.mean_expert_queries, 2.0);
  EXPECT_EQ(SimulateTwoLevel({}, superclasses_, loose).samples, 0u);
  EXPECT_GT(loose.accept_locally, 1.0) << "answering locally only when asked to";
}

TEST_F(TwoLevelSimulationTest, AnsweringLocallyPutsHiInFrontOfTheExperts) {
  // Sample 0's first level is 0.6 sure and right; the others are below 0.5.
  RoutingThresholds t{0.0, 1.0, 0.0, 1, /*accept_locally=*/0.55};
  const TwoLevelOutcome o = SimulateTwoLevel(samples_, superclasses_, t);
  EXPECT_NEAR(o.local_fraction, 1.0 / 3, 1e-12);
  EXPECT_NEAR(o.mean_expert_queries, 2.0 / 3, 1e-12);
  EXPECT_NEAR(o.accuracy, 2.0 / 3, 1e-12);
  // A budget under one query per sample is met only by answering locally.
  const RoutingThresholds hi = CalibrateTwoLevel(samples_, superclasses_, 0.7, true);
  EXPECT_LE(hi.accept_locally, 1.0);
  EXPECT_LE(SimulateTwoLevel(samples_, superclasses_, hi).mean_expert_queries, 0.7);
  EXPECT_FALSE(AnswersLocally(std::vector<float>{}, t));
}

// The shipped two-level deployment: features, experts and routing end to end on part
// of the test split.
TEST(ShippedTwoLevelTest, ExpertsAnswerWithinTheirSuperclassAndRoutingBeatsChance) {
  auto models = LoadTwoLevelModels(std::string(HIEDGE_SOURCE_DIR) + "/models/two_level.json");
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  const TwoLevelConfig* config = &models->config;
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().ToString();
  const Dataset part = Head(*test, 1000);
  auto samples = ScoreTwoLevel(*models, part);
  ASSERT_TRUE(samples.ok()) << samples.status().ToString();
  ASSERT_EQ(samples->size(), 1000u);
  for (const TwoLevelSample& s : *samples) {
    for (size_t n = 0; n < s.expert_answers.size(); ++n) {
      EXPECT_EQ(config->superclasses.of_class[static_cast<size_t>(s.expert_answers[n].class_id)],
                static_cast<int>(n));
    }
  }
  const TwoLevelOutcome o = SimulateTwoLevel(*samples, config->superclasses, config->thresholds);
  EXPECT_GT(o.superclass_accuracy, 0.9);
  EXPECT_GT(o.accuracy, 0.85);
  EXPECT_GE(o.mean_expert_queries, 1.0);
  // Per-channel INT8 features: a quarter of FP32's bytes plus the scales, and nearly
  // every expert answer unchanged.
  auto int8 = ScoreTwoLevel(*models, part, FeatureCoding::kInt8PerChannel);
  ASSERT_TRUE(int8.ok()) << int8.status().ToString();
  size_t same = 0, answers = 0;
  for (size_t i = 0; i < part.size(); ++i) {
    for (size_t n = 0; n < (*samples)[i].expert_answers.size(); ++n, ++answers) {
      same += (*int8)[i].expert_answers[n].class_id == (*samples)[i].expert_answers[n].class_id;
    }
  }
  EXPECT_GE(static_cast<double>(same), 0.99 * static_cast<double>(answers));
  EXPECT_EQ(CodedFeatureBytes(FeatureCoding::kInt8PerChannel, 1568, 32), 1568 + 4 * 32);
  EXPECT_EQ(CodedFeatureBytes(FeatureCoding::kFp16, 1568, 32), 2 * 1568);
  EXPECT_EQ(CodedFeatureBytes(FeatureCoding::kFp32, 1568, 32), 4 * 1568);
  // Wrong inputs are refused, not crashed on.
  InferenceBackend& first = *models->first_level;
  EXPECT_EQ(ExtractFeatures(first, 0, part).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExtractFeatures(first, first.info().num_stages, part).status().code(),
            StatusCode::kInvalidArgument);
  models->experts.pop_back();
  EXPECT_EQ(ScoreTwoLevel(*models, part).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadTwoLevelModels("/nonexistent/two_level.json").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge
