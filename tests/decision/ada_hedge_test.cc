// AdaHedge's guarantee checked on the streams that break simpler learners: the pathwise
// bound (regret <= 2Δ <= 2 sqrt(V ln K) + S (4/3 ln K + 2)) on every prefix, sublinear
// regret where follow-the-leader's is linear, and constant regret on easy streams.
#include "hiedge/decision/ada_hedge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace hiedge {
namespace {

void ExpectBoundHolds(const AdaHedge& h, const std::string& what) {
  EXPECT_LE(h.regret(), 2 * h.gap() + 1e-9) << what;
  EXPECT_LE(2 * h.gap(), h.Bound() + 1e-9) << what;
  double total = 0;
  for (double w : h.weights()) {
    EXPECT_GE(w, 0);
    total += w;
  }
  EXPECT_NEAR(total, 1.0, 1e-9) << what;
}

TEST(AdaHedgeTest, SublinearRegretWhereFollowTheLeaderIsLinear) {
  // Two experts; after a half round the leader always loses the next round.
  AdaHedge hedge(2);
  double ftl_loss = 0, cumulative[2] = {0, 0};
  constexpr int kRounds = 20000;
  for (int t = 0; t < kRounds; ++t) {
    const std::vector<double> loss = t == 0 ? std::vector<double>{0.5, 0}
                                     : t % 2 ? std::vector<double>{0, 1}
                                             : std::vector<double>{1, 0};
    const int leader = cumulative[0] <= cumulative[1] ? 0 : 1;
    ftl_loss += loss[static_cast<size_t>(leader)];
    cumulative[0] += loss[0];
    cumulative[1] += loss[1];
    hedge.Update(loss);
    if (t % 997 == 0) ExpectBoundHolds(hedge, "round " + std::to_string(t));
  }
  const double best = std::min(cumulative[0], cumulative[1]);
  EXPECT_GT(ftl_loss - best, 0.9 * kRounds / 2) << "follow the leader: linear regret";
  EXPECT_LT(hedge.regret(), 4 * std::sqrt(kRounds)) << "AdaHedge: O(sqrt(T))";
  ExpectBoundHolds(hedge, "end");
}

TEST(AdaHedgeTest, BoundHoldsOnImportanceWeightedSignedLossesWithSwitchingBest) {
  // 65 experts (thresholds), sparse losses with weights up to 1/p = 50, the best expert
  // moving every 2,000 rounds: what the field learner feeds it.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0, 1);
  AdaHedge hedge(65);
  for (int t = 0; t < 10000; ++t) {
    const size_t best = static_cast<size_t>(t / 2000) * 13 % 65;
    std::vector<double> loss(65);
    const double weight = unit(rng) < 0.02 ? 50.0 : (unit(rng) < 0.5 ? 1.0 : 0.0);
    for (size_t k = 0; k < 65; ++k) {
      const double distance = std::abs(static_cast<double>(k) - static_cast<double>(best)) / 65;
      loss[k] = weight * ((unit(rng) < 0.3 + distance ? 1.0 : 0.0) - 0.2);  // Signed.
    }
    hedge.Update(loss);
    if (t % 101 == 0) ExpectBoundHolds(hedge, "round " + std::to_string(t));
  }
  ExpectBoundHolds(hedge, "end");
  EXPECT_GT(hedge.range(), 40.0);
}

TEST(AdaHedgeTest, EasyStreamsCostAConstantAndResetStartsOver) {
  AdaHedge hedge(10);
  for (int t = 0; t < 5000; ++t) {
    std::vector<double> loss(10, 1.0);
    loss[3] = 0;  // One expert is always best.
    hedge.Update(loss);
  }
  EXPECT_LT(hedge.regret(), 5.0);
  EXPECT_GT(hedge.weights()[3], 0.999);
  ExpectBoundHolds(hedge, "easy");
  hedge.Reset();
  EXPECT_EQ(hedge.rounds(), 0u);
  EXPECT_DOUBLE_EQ(hedge.weights()[0], 0.1);
  EXPECT_FALSE(hedge.Restore({1.0}, 0, 0, 0, 0, 0)) << "wrong size";
  EXPECT_FALSE(hedge.Restore(std::vector<double>(10, 0.0), 0, -1, 0, 0, 0)) << "negative gap";
}

}  // namespace
}  // namespace hiedge
