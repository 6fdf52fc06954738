#include "hiedge/decision/two_level.h"

#include <gtest/gtest.h>

#include <random>

#include "hiedge/decision/endpoint_selector.h"

namespace hiedge {
namespace {

TEST(ExpertCallBudgetTest, RunningCallsNeverExceedTheBudget) {
  ExpertCallBudget budget(1.5);
  // Wants 3 experts every image: allowed 1, then 2 (3 - 1), then 1 (4.5 - 3 = 1.5), ...
  int calls = 0;
  for (int image = 1; image <= 10; ++image) {
    const int allowed = budget.BeginImage();
    const int asked = std::min(3, allowed);
    budget.EndImage(asked, asked < 3);
    calls += asked;
    EXPECT_LE(calls, 1.5 * image + 1e-9) << image;
    EXPECT_GE(calls, 1.5 * image - 1) << image << ": the budget is used, not hoarded";
  }
  EXPECT_EQ(budget.calls(), static_cast<uint64_t>(calls));
  EXPECT_EQ(budget.images(), 10u);
  EXPECT_EQ(budget.limited_images(), 10u);
  // Images that ask nothing save budget for later ones.
  ExpertCallBudget thrifty(0.3);
  EXPECT_EQ(thrifty.BeginImage(), 0);
  thrifty.EndImage(0, false);
  EXPECT_EQ(thrifty.BeginImage(), 0);
  thrifty.EndImage(0, false);
  EXPECT_EQ(thrifty.BeginImage(), 0);
  thrifty.EndImage(0, false);
  EXPECT_EQ(thrifty.BeginImage(), 1) << "0.3 x 4 = 1.2";
  EXPECT_TRUE(ExpertCallBudget(0).unlimited());
  EXPECT_GT(ExpertCallBudget(0).BeginImage(), 1000);
}

TEST(SuperclassesTest, MakeDerivesMembersAndRejectsGaps) {
  auto s = MakeSuperclasses({1, 0, 1, 2});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->count(), 3);
  EXPECT_EQ(s->members[1], (std::vector<int>{0, 2}));
  EXPECT_EQ(MakeSuperclasses({0, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSuperclasses({0, -1}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSuperclasses({}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SuperclassesTest, ClassMediansAreCoordinateWise) {
  // Class 0: rows (1,10), (3,30), (2,20) -> (2,20). Class 1: (5,0), (7,4) -> (6,2).
  const std::vector<float> rows{1, 10, 5, 0, 3, 30, 7, 4, 2, 20};
  const std::vector<int32_t> labels{0, 1, 0, 1, 0};
  auto medians = ClassMedians(rows, 2, labels, 2);
  ASSERT_TRUE(medians.ok()) << medians.status().ToString();
  EXPECT_EQ((*medians)[0], (std::vector<float>{2, 20}));
  EXPECT_EQ((*medians)[1], (std::vector<float>{6, 2}));
  EXPECT_EQ(ClassMedians(rows, 3, labels, 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClassMedians(rows, 2, labels, 3).status().code(), StatusCode::kInvalidArgument)
      << "class 2 has no sample";
  const std::vector<int32_t> bad{0, 1, 0, 5, 0};
  EXPECT_EQ(ClassMedians(rows, 2, bad, 2).status().code(), StatusCode::kInvalidArgument);
}

TEST(SuperclassesTest, KMeansRecoversWellSeparatedGroups) {
  // Three tight blobs of classes in 2-D, classes interleaved across blobs.
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0, 0.05f);
  const float centre[3][2] = {{0, 0}, {5, 5}, {-5, 5}};
  const std::vector<int> blob_of_class{2, 0, 1, 0, 2, 1, 1, 0, 2, 0};
  std::vector<std::vector<float>> points;
  for (int blob : blob_of_class) {
    points.push_back({centre[blob][0] + noise(rng), centre[blob][1] + noise(rng)});
  }
  auto s = ClusterIntoSuperclasses(points, 3, 42);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // Canonical numbering: class 0's group is superclass 0, and so on.
  EXPECT_EQ(s->of_class, (std::vector<int>{0, 1, 2, 1, 0, 2, 2, 1, 0, 1}));
  auto again = ClusterIntoSuperclasses(points, 3, 42);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->of_class, s->of_class) << "deterministic for a seed";
}

TEST(SuperclassesTest, KMeansEdgeCasesAndBadInput) {
  const std::vector<std::vector<float>> same(4, std::vector<float>{1, 1});
  auto s = ClusterIntoSuperclasses(same, 4, 1);
  ASSERT_TRUE(s.ok()) << "identical points still give k non-empty superclasses";
  EXPECT_EQ(s->count(), 4);
  auto one = ClusterIntoSuperclasses(same, 1, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->of_class, (std::vector<int>{0, 0, 0, 0}));
  EXPECT_EQ(ClusterIntoSuperclasses(same, 5, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClusterIntoSuperclasses(same, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ClusterIntoSuperclasses({{1, 2}, {1}}, 1, 1).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SuperclassesTest, ConfidenceIsProbabilityMassPerSuperclass) {
  auto s = MakeSuperclasses({0, 1, 0, 1});
  ASSERT_TRUE(s.ok());
  const std::vector<float> p{0.1f, 0.2f, 0.3f, 0.4f};
  const auto c = SuperclassConfidences(p, *s);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NEAR(c[0], 0.4, 1e-6);
  EXPECT_NEAR(c[1], 0.6, 1e-6);
}

TEST(PlacementTest, EachModelGoesWhereItIsNeededMostThenReplicates) {
  // Two clusters, three superclasses; room for 2 models on each server.
  PlacementInput in;
  in.demand = {{0.7, 0.2, 0.1}, {0.1, 0.3, 0.6}};
  in.memory_left = {2, 2};
  in.model_memory = 1;
  auto placed = PlaceSecondLevelModels(in);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  // Pass 1: n0 -> c0 (0.7), n1 -> c1 (0.3), n2 -> c1 (0.6); c1 is full, so the
  // while-condition ends the replication.
  EXPECT_EQ((*placed)[0], (std::vector<int>{0}));
  EXPECT_EQ((*placed)[1], (std::vector<int>{1, 2}));
}

TEST(PlacementTest, ReplicasFollowDemandWhileEveryServerHasRoom) {
  PlacementInput in;
  in.demand = {{0.7, 0.2, 0.1}, {0.1, 0.3, 0.6}};
  in.memory_left = {10, 10};
  auto placed = PlaceSecondLevelModels(in);
  ASSERT_TRUE(placed.ok());
  // Pass 1 as above; pass 2 puts each model on the cluster that lacks it.
  EXPECT_EQ((*placed)[0], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ((*placed)[1], (std::vector<int>{1, 2, 0}));
}

TEST(PlacementTest, TooLittleRoomAndBadInputAreErrors) {
  PlacementInput in;
  in.demand = {{0.5, 0.5, 0.0}, {0.2, 0.2, 0.6}};
  in.memory_left = {1.5, 0.9};
  EXPECT_EQ(PlaceSecondLevelModels(in).status().code(), StatusCode::kResourceExhausted);
  in.memory_left = {3, 0.5};  // One full server: every model still loads once.
  auto placed = PlaceSecondLevelModels(in);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)[0], (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE((*placed)[1].empty());
  in.demand[1].pop_back();
  EXPECT_EQ(PlaceSecondLevelModels(in).status().code(), StatusCode::kInvalidArgument);
  in.demand = {{0.5, -1}};
  in.memory_left = {3};
  EXPECT_EQ(PlaceSecondLevelModels(in).status().code(), StatusCode::kInvalidArgument);
  in.demand = {{0.5, 0.5}};
  in.model_memory = 0;
  EXPECT_EQ(PlaceSecondLevelModels(in).status().code(), StatusCode::kInvalidArgument);
}

TEST(RoutingTest, ConfidentSampleAsksTheTopSuperclassWithRecallBehind) {
  RoutingThresholds t;
  t.accept_top = 0.8;
  t.consider = 0.05;
  t.max_parallel = 3;
  const std::vector<double> confident{0.02, 0.85, 0.1, 0.03};
  auto plan = PlanSecondLevel(confident, t);
  EXPECT_EQ(plan.first, (std::vector<int>{1}));
  EXPECT_EQ(plan.recall, (std::vector<int>{2}));
}

TEST(RoutingTest, UnsureSampleAsksEveryPlausibleSuperclassUpToTheCap) {
  RoutingThresholds t;
  t.accept_top = 0.8;
  t.consider = 0.1;
  t.max_parallel = 2;
  const std::vector<double> unsure{0.3, 0.35, 0.25, 0.1};
  auto plan = PlanSecondLevel(unsure, t);
  EXPECT_EQ(plan.first, (std::vector<int>{1, 0}));
  EXPECT_TRUE(plan.recall.empty());
  t.consider = 0.9;  // Nothing passes: the top superclass is still asked.
  EXPECT_EQ(PlanSecondLevel(unsure, t).first, (std::vector<int>{1}));
  EXPECT_TRUE(PlanSecondLevel(std::vector<double>{}, t).first.empty());
}

TEST(RoutingTest, RecallRunsOnlyBelowTheSecondLevelThreshold) {
  RoutingThresholds t;
  t.recall_below = 0.6;
  SecondLevelPlan plan{{1}, {2}};
  const std::vector<SecondLevelAnswer> sure{{1, 4, 0.9}};
  const std::vector<SecondLevelAnswer> unsure{{1, 4, 0.4}};
  EXPECT_FALSE(NeedsRecall(sure, plan, t));
  EXPECT_TRUE(NeedsRecall(unsure, plan, t));
  EXPECT_FALSE(NeedsRecall(unsure, SecondLevelPlan{{1}, {}}, t)) << "nothing to recall";
  const std::vector<SecondLevelAnswer> both{{1, 4, 0.4}, {2, 6, 0.7}, {0, 0, 0.7}};
  EXPECT_EQ(BestAnswer(both).class_id, 6) << "highest confidence, earliest on ties";
}

TEST(RoutingTest, ExpertAnswerNeverPicksTheOtherOutput) {
  const std::vector<int> classes{2, 5};
  // Own classes 2 and 5, then "other" with most of the mass.
  const std::vector<float> p{0.1f, 0.3f, 0.6f};
  const SecondLevelAnswer a = ExpertAnswer(1, p, classes);
  EXPECT_EQ(a.superclass, 1);
  EXPECT_EQ(a.class_id, 5);
  EXPECT_FLOAT_EQ(static_cast<float>(a.confidence), 0.3f);
  const std::vector<float> without_other{0.7f, 0.3f};
  EXPECT_EQ(ExpertAnswer(1, without_other, classes).class_id, 2);
}

TEST(RoutingTest, ServerChoicePrefersLocalThenTheSelectorsChoice) {
  const std::vector<std::vector<int>> models_on{{0, 1}, {1, 2}, {2}};
  EndpointSelector servers(
      3, {.ewma_weight = 1.0, .probe_interval_us = 1'000'000'000, .down_cooldown_us = 500});
  EXPECT_EQ(ChooseSecondLevelServer(2, models_on, 0, servers, 0), 1) << "unmeasured first";
  servers.RecordSuccess(0, 100, 0);
  servers.RecordSuccess(1, 50, 0);
  servers.RecordSuccess(2, 20, 0);
  EXPECT_EQ(ChooseSecondLevelServer(1, models_on, 0, servers, 0), 0) << "local holds it";
  EXPECT_EQ(ChooseSecondLevelServer(2, models_on, 0, servers, 0), 2) << "shortest round trip";
  EXPECT_EQ(ChooseSecondLevelServer(0, models_on, 2, servers, 0), 0) << "the only holder";
  EXPECT_EQ(ChooseSecondLevelServer(3, models_on, 0, servers, 0), -1) << "no holder";
  // A failed holder is avoided through its cooldown, then tried again.
  servers.RecordFailure(2, 10);
  EXPECT_EQ(ChooseSecondLevelServer(2, models_on, 0, servers, 100), 1);
  EXPECT_EQ(ChooseSecondLevelServer(2, models_on, 0, servers, 600), 2);
}

TEST(EndpointSelectorTest, ChoosesAmongCandidatesOnly) {
  EndpointSelector s(4, {.ewma_weight = 1.0});
  for (size_t i = 0; i < 4; ++i) s.RecordSuccess(i, 100.0 - 10.0 * static_cast<double>(i), 0);
  const std::vector<size_t> first_two{0, 1};
  EXPECT_EQ(s.ChooseAmong(first_two, 0), 1u);
  EXPECT_EQ(s.Choose(0), 3u);
  EXPECT_EQ(s.ChooseAmong({}, 0), s.endpoints()) << "no candidate";
}

}  // namespace
}  // namespace hiedge
