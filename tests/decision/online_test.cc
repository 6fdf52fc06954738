#include "hiedge/decision/online.h"

#include <gtest/gtest.h>

#include <random>

namespace hiedge {
namespace {

// A stream where confidence is uniform and the local answer is wrong with
// probability min(1, scale * (1 - p)). With β = 0.3 the best threshold is
// 1 - β / scale.
struct Stream {
  std::vector<float> confidence;
  std::vector<bool> wrong;
};

void Append(Stream* s, std::mt19937& rng, size_t n, double scale) {
  std::uniform_real_distribution<float> u(0, 1);
  for (size_t i = 0; i < n; ++i) {
    const float p = u(rng);
    s->confidence.push_back(p);
    s->wrong.push_back(u(rng) < std::min(1.0, scale * (1 - p)));
  }
}

struct LearnerRun {
  std::vector<double> cumulative_loss;  // Learner's pseudo-loss after each sample.
  double final_mean_threshold = 0;
};

LearnerRun Learn(const Stream& s, OnlineHedgeOptions options, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  OnlineThresholdLearner learner(options, [&] { return u(rng); });
  LearnerRun run;
  double total = 0;
  for (size_t t = 0; t < s.confidence.size(); ++t) {
    const OnlineDecision d = learner.Decide(s.confidence[t]);
    total += d.sent() ? options.offload_cost : (s.wrong[t] ? 1.0 : 0.0);
    learner.Update(s.confidence[t], d, s.wrong[t]);
    run.cumulative_loss.push_back(total);
  }
  run.final_mean_threshold = learner.MeanThreshold();
  return run;
}

TEST(OnlineHedgeTest, RegretGrowsSublinearlyOnAStationaryStream) {
  std::mt19937 rng(21);
  Stream s;
  Append(&s, rng, 40000, 1.0);
  OnlineHedgeOptions options;
  options.offload_cost = 0.3;
  options.horizon = s.confidence.size();
  const LearnerRun run = Learn(s, options, 99);
  auto regret_at = [&](size_t t) {
    const Stream prefix{{s.confidence.begin(), s.confidence.begin() + t},
                        {s.wrong.begin(), s.wrong.begin() + t}};
    return run.cumulative_loss[t - 1] -
           BestFixedThreshold(prefix.confidence, prefix.wrong, options).loss;
  };
  const double r10k = regret_at(10000), r40k = regret_at(40000);
  // Average regret per sample shrinks as the stream grows...
  EXPECT_LT(r40k / 40000, r10k / 10000);
  // ...and is small against the loss scale (best fixed loss per sample is about 0.255).
  EXPECT_LT(r40k / 40000, 0.03);
  EXPECT_NEAR(run.final_mean_threshold, 0.7, 0.1);
}

TEST(OnlineHedgeTest, ReAdaptsAfterADistributionShift) {
  std::mt19937 rng(8);
  Stream s;
  Append(&s, rng, 20000, 0.5);  // Reliable device: best θ = 1 - 0.3/0.5 = 0.4.
  Append(&s, rng, 20000, 2.0);  // Shift: device gets worse, best θ = 0.85.
  OnlineHedgeOptions options;
  options.offload_cost = 0.3;
  options.horizon = 10000;
  options.share = 1e-3;
  const LearnerRun run = Learn(s, options, 4);
  EXPECT_NEAR(run.final_mean_threshold, 0.85, 0.1);
  // Over the last quarter the learner pays close to the best fixed θ for that quarter.
  const size_t from = 30000, to = 40000;
  const std::vector<float> c(s.confidence.begin() + from, s.confidence.end());
  const std::vector<bool> w(s.wrong.begin() + from, s.wrong.end());
  const double best = BestFixedThreshold(c, w, options).loss;
  const double learner = run.cumulative_loss[to - 1] - run.cumulative_loss[from - 1];
  EXPECT_LT(learner, best * 1.12) << "best " << best;
  // The θ that was best before the shift is clearly worse after it.
  const double stale = FixedThresholdLoss(c, w, 0.4, options.offload_cost);
  EXPECT_GT(stale, learner * 1.1) << "stale " << stale;
}

TEST(OnlineHedgeTest, AuditingGivesFeedbackOnAcceptedSamples) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<double> u(0, 1);
  OnlineHedgeOptions options;
  options.audit_rate = 0.5;
  OnlineThresholdLearner learner(options, [&] { return u(rng); });
  int audits = 0;
  for (int i = 0; i < 1000; ++i) {
    const OnlineDecision d = learner.Decide(1.0f);  // Never offloaded by any θ <= 1.
    EXPECT_FALSE(d.offload);
    EXPECT_NEAR(d.observe_probability, 0.5, 1e-12);
    audits += d.audit ? 1 : 0;
  }
  EXPECT_NEAR(audits, 500, 60);
}

TEST(OnlineHedgeTest, DistributionIsValidAndStartsUniform) {
  OnlineThresholdLearner learner({}, [] { return 0.5; });
  const auto p = learner.Distribution();
  ASSERT_EQ(p.size(), 101u);
  for (double v : p) EXPECT_NEAR(v, 1.0 / 101, 1e-12);
  EXPECT_NEAR(learner.MeanThreshold(), 0.5, 1e-12);
  EXPECT_GT(learner.learning_rate(), 0);
}

TEST(OnlineHedgeTest, HindsightBestByHand) {
  // β = 0.3; wrong at p=0.2 and 0.5, right at 0.9: offload below 0.9 costs 0.6 < 2.
  OnlineHedgeOptions options;
  options.offload_cost = 0.3;
  options.grid = 11;
  const auto best = BestFixedThreshold({0.2f, 0.5f, 0.9f}, {true, true, false}, options);
  EXPECT_NEAR(best.loss, 0.6, 1e-12);
  EXPECT_GT(best.theta, 0.5);
  EXPECT_LE(best.theta, 0.9);
  EXPECT_EQ(BestFixedThreshold({}, {}, options).loss, 0);
}

}  // namespace
}  // namespace hiedge
