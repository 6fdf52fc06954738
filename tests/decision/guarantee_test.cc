#include "hiedge/decision/guarantee.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace hiedge {
namespace {

TEST(IncompleteBetaTest, KnownValues) {
  EXPECT_NEAR(RegularizedIncompleteBeta(1, 1, 0.3), 0.3, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(4, 4, 0.5), 0.5, 1e-12);
  EXPECT_NEAR(RegularizedIncompleteBeta(2, 1, 0.6), 0.36, 1e-12);  // x^2
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 0), 0);
  EXPECT_EQ(RegularizedIncompleteBeta(2, 3, 1), 1);
}

TEST(BoundsTest, ClopperPearsonAndHoeffdingByHand) {
  // Zero errors in 10: the upper bound solves (1 - p)^10 = delta.
  EXPECT_NEAR(ClopperPearsonUpper(0, 10, 0.05), 1 - std::pow(0.05, 0.1), 1e-9);
  EXPECT_EQ(ClopperPearsonUpper(10, 10, 0.05), 1);
  EXPECT_EQ(ClopperPearsonUpper(0, 0, 0.05), 1);
  // Cross-check against the binomial tail it inverts: P(X <= 3 | n=50, p=ub) = delta.
  const double ub = ClopperPearsonUpper(3, 50, 0.1);
  double tail = 0;
  for (int k = 0; k <= 3; ++k) {
    tail += std::exp(std::lgamma(51) - std::lgamma(k + 1) - std::lgamma(51 - k)) * std::pow(ub, k) *
            std::pow(1 - ub, 50 - k);
  }
  EXPECT_NEAR(tail, 0.1, 1e-9);
  // Large n, as in calibration on thousands of images.
  for (size_t k : {0u, 7u, 120u, 1500u}) {
    const size_t n = 2000;
    const double upper = ClopperPearsonUpper(k, n, 0.1);
    double cdf = 0;
    for (size_t i = 0; i <= k; ++i) {
      cdf += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) +
                      i * std::log(upper) + (n - i) * std::log1p(-upper));
    }
    EXPECT_NEAR(cdf, 0.1, 1e-6) << k;
  }
  EXPECT_NEAR(HoeffdingUpper(5, 100, 0.05), 0.05 + std::sqrt(std::log(20.0) / 200), 1e-12);
  EXPECT_LT(ClopperPearsonUpper(5, 100, 0.05), HoeffdingUpper(5, 100, 0.05));
}

// A population where confidence p is uniform, the local answer is right with
// probability p and the remote with probability 0.97.
std::vector<SampleOutcome> Draw(std::mt19937& rng, size_t n) {
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<SampleOutcome> s(n);
  for (auto& o : s) {
    o.confidence = u(rng);
    o.local_correct = u(rng) < o.confidence;
    o.remote_correct = u(rng) < 0.97f;
  }
  return s;
}

TEST(GuaranteeTest, MeetsTheTargetAtTheStatedRateOnResamples) {
  std::mt19937 rng(17);
  const std::vector<SampleOutcome> population = Draw(rng, 200000);
  const GuaranteeOptions options{0.93, 0.1, Bound::kClopperPearson, 200};
  int met = 0, rounds = 100;
  double offload_sum = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto validation = Draw(rng, 3000);
    auto p = ThresholdWithGuarantee(validation, options, {});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    const ThresholdPoint truth = EvaluateThreshold(population, p->theta, {});
    met += truth.accuracy() >= options.target_accuracy ? 1 : 0;
    offload_sum += truth.offload_fraction();
  }
  EXPECT_GE(met, static_cast<int>((1 - options.delta) * rounds) - 3);  // >= 90% up to noise
  EXPECT_LT(offload_sum / rounds, 0.95);  // And it does not just offload everything.
}

TEST(GuaranteeTest, HoeffdingIsMoreConservative) {
  std::mt19937 rng(3);
  const auto validation = Draw(rng, 5000);
  auto cp = ThresholdWithGuarantee(validation, {0.93, 0.05, Bound::kClopperPearson, 500}, {});
  auto h = ThresholdWithGuarantee(validation, {0.93, 0.05, Bound::kHoeffding, 500}, {});
  ASSERT_TRUE(cp.ok() && h.ok());
  EXPECT_GE(h->offloaded, cp->offloaded);
}

TEST(GuaranteeTest, ImpossibleTargetsAndBadInput) {
  std::mt19937 rng(1);
  const auto validation = Draw(rng, 1000);
  EXPECT_EQ(ThresholdWithGuarantee(validation, {0.995, 0.05}, {}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ThresholdWithGuarantee({}, {}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ThresholdWithGuarantee(validation, {0.9, 0.0}, {}).status().code(),
            StatusCode::kInvalidArgument);
  // All samples identical and all right: certified without offloading.
  const std::vector<SampleOutcome> same(2000, SampleOutcome{0.9f, true, true});
  auto p = ThresholdWithGuarantee(same, {0.99, 0.05}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offloaded, 0u);
}

}  // namespace
}  // namespace hiedge
