#include "hiedge/decision/ee_search.h"

#include <gtest/gtest.h>

#include <random>

namespace hiedge {
namespace {

// One early exit after stage 0 of a 2-stage model: stages cost 1 each, the head 0.1,
// an offload 10. Four samples: (exit conf, exit right, final conf, final right, remote right).
ExitOutcomes Four() {
  ExitOutcomes o;
  o.confidence = {{0.95f, 0.6f, 0.5f, 0.9f}, {0.99f, 0.9f, 0.4f, 0.95f}};
  o.correct = {{1, 0, 0, 1}, {1, 1, 0, 1}};
  o.remote_correct = {1, 1, 1, 0};
  return o;
}
const EeCostModel kCost{{0}, {1.0, 1.0}, {0.1}, 10.0};

TEST(EeSearchTest, EvaluatesRoutesAndCosts) {
  const ExitOutcomes o = Four();
  auto whole = EvaluateEe(o, kCost, std::vector<double>{2.0}, 0.0);  // Plain S-ML.
  ASSERT_TRUE(whole.ok());
  EXPECT_DOUBLE_EQ(whole->cost, 2.0);
  EXPECT_DOUBLE_EQ(whole->accuracy, 0.75);
  auto all_exit = EvaluateEe(o, kCost, std::vector<double>{0.0}, 0.0);
  EXPECT_DOUBLE_EQ(all_exit->cost, 1.1);
  EXPECT_DOUBLE_EQ(all_exit->accuracy, 0.5);
  EXPECT_DOUBLE_EQ(all_exit->exit_fraction[0], 1.0);
  // Exit at 0.85: samples 0 and 3 stop (cost 1.1), 1 and 2 run on (2.1); theta 0.45
  // offloads sample 2 (+10), which the L-ML gets right.
  auto ee_hi = EvaluateEe(o, kCost, std::vector<double>{0.85}, 0.45);
  EXPECT_DOUBLE_EQ(ee_hi->cost, (1.1 + 2.1 + 12.1 + 1.1) / 4);
  EXPECT_DOUBLE_EQ(ee_hi->accuracy, 1.0);
  EXPECT_DOUBLE_EQ(ee_hi->offload_fraction, 0.25);
  EXPECT_EQ(EvaluateEe(o, kCost, std::vector<double>{0.5, 0.5}, 0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(EeSearchTest, FindsTheCheapestPointReachingTheTarget) {
  const ExitOutcomes o = Four();
  auto full = SearchEe(o, kCost, {.target_accuracy = 1.0});
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_DOUBLE_EQ(full->accuracy, 1.0);
  EXPECT_DOUBLE_EQ(full->cost, (1.1 + 2.1 + 12.1 + 1.1) / 4);  // The point above.
  auto cheap = SearchEe(o, kCost, {.target_accuracy = 0.5});
  ASSERT_TRUE(cheap.ok());
  EXPECT_DOUBLE_EQ(cheap->cost, 1.1);  // Everything at the exit.
  EXPECT_EQ(SearchEe(o, kCost, {.target_accuracy = 1.0, .allow_offload = false}).status().code(),
            StatusCode::kFailedPrecondition);
}

// Two exits on a seeded stream where later exits are surer and more often right: the
// pruned grid finds a point no costlier than plain HI at the same target.
TEST(EeSearchTest, TwoExitSearchBeatsPlainHiOnASeededStream) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(0, 1);
  ExitOutcomes o;
  o.confidence.assign(3, {});
  o.correct.assign(3, {});
  for (int i = 0; i < 3000; ++i) {
    const float difficulty = unit(rng);
    for (int e = 0; e < 3; ++e) {
      const float conf =
          std::clamp(1.0f - difficulty * (1.0f - 0.2f * e) + 0.1f * (unit(rng) - 0.5f), 0.1f, 1.0f);
      o.confidence[e].push_back(conf);
      o.correct[e].push_back(unit(rng) < conf ? 1 : 0);
    }
    o.remote_correct.push_back(unit(rng) < 0.97f ? 1 : 0);
  }
  const EeCostModel cost{{0, 1}, {1, 1, 1}, {0.05, 0.05}, 5.0};
  auto hi = SearchEe(o, cost, {.target_accuracy = 0.85});
  ASSERT_TRUE(hi.ok());
  auto plain = EvaluateEe(o, cost, std::vector<double>{2, 2}, 0);
  ASSERT_TRUE(plain.ok());
  // Plain HI at the target: exits disabled, the fewest offloads.
  auto hi_only = SearchEe(o, cost, {.target_accuracy = 0.85, .lowest = 1.5});
  ASSERT_TRUE(hi_only.ok());
  EXPECT_GE(hi->accuracy, 0.85);
  EXPECT_LE(hi->cost, hi_only->cost);
  EXPECT_GT(hi->exit_fraction[0] + hi->exit_fraction[1], 0.0);
}

}  // namespace
}  // namespace hiedge
