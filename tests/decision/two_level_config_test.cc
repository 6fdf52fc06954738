#include "hiedge/decision/two_level_config.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

TEST(TwoLevelConfigTest, RoundTrips) {
  TwoLevelConfig c;
  c.feature_model = "sml.json";
  c.feature_stages = 2;
  c.superclasses = *MakeSuperclasses({0, 1, 0, 1, 2});
  c.experts = {"e0.json", "e1.json", "e2.json"};
  c.thresholds = {0.8, 0.1, 0.5, 2, 0.95};
  auto back = TwoLevelConfig::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->superclasses.of_class, c.superclasses.of_class);
  EXPECT_EQ(back->experts, c.experts);
  EXPECT_EQ(back->feature_stages, 2);
  EXPECT_DOUBLE_EQ(back->thresholds.accept_top, 0.8);
  EXPECT_EQ(back->thresholds.max_parallel, 2);
  EXPECT_DOUBLE_EQ(back->thresholds.accept_locally, 0.95);
}

TEST(TwoLevelConfigTest, RejectsBadConfigs) {
  auto code = [](const std::string& text) {
    return TwoLevelConfig::FromJson(text).status().code();
  };
  const StatusCode bad = StatusCode::kInvalidArgument;
  EXPECT_EQ(code("{"), bad);
  EXPECT_EQ(code("[]"), bad);
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2})"), bad) << "no superclasses";
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":0,"superclasses":[[0,1]]})"), bad);
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0,1],[1]]})"), bad)
      << "class 1 twice";
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0,2]]})"), bad)
      << "class 1 missing";
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0],[]]})"), bad)
      << "empty superclass";
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0],[1]],
                     "experts":["a.json"]})"),
            bad)
      << "experts not one per superclass";
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0],[1]],
                     "thresholds":{"accept_top":1.5}})"),
            bad);
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0],[-1]]})"), bad);
  EXPECT_EQ(code(R"({"feature_model":7,"feature_stages":2,"superclasses":[[0]]})"), bad);
  // Floats where integers belong (found by the config fuzzer).
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":1e300,"superclasses":[[0]]})"), bad);
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0.5]]})"), bad);
  EXPECT_EQ(code(R"({"feature_model":"m","feature_stages":2,"superclasses":[[0]],
                     "thresholds":{"max_parallel":1e300}})"),
            bad);
  EXPECT_TRUE(TwoLevelConfig::FromJson(
                  R"({"feature_model":"m","feature_stages":2,"superclasses":[[1],[0]]})")
                  .ok());
}

}  // namespace
}  // namespace hiedge
