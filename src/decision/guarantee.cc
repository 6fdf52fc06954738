#include "hiedge/decision/guarantee.h"

#include <cmath>
#include <string>

namespace hiedge {
namespace {

// Continued fraction for I_x(a, b) by the modified Lentz method.
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < kEpsilon) break;
  }
  return h;
}

}  // namespace

double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front =
      a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  const double front = std::exp(log_front);
  if (x < (a + 1) / (a + b + 2)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
}

double ClopperPearsonUpper(size_t errors, size_t n, double delta) {
  if (n == 0 || errors >= n) return 1;
  // The rate p at which P(Binomial(n, p) <= errors) = delta, where
  // P(Binomial(n, p) <= k) = 1 - I_p(k + 1, n - k).
  const double a = static_cast<double>(errors) + 1, b = static_cast<double>(n - errors);
  double lo = static_cast<double>(errors) / static_cast<double>(n), hi = 1;
  for (int it = 0; it < 200; ++it) {
    const double mid = (lo + hi) / 2;
    if (1 - RegularizedIncompleteBeta(a, b, mid) > delta) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

double HoeffdingUpper(size_t errors, size_t n, double delta) {
  if (n == 0) return 1;
  const double rate = static_cast<double>(errors) / static_cast<double>(n);
  return std::min(1.0, rate + std::sqrt(std::log(1 / delta) / (2.0 * static_cast<double>(n))));
}

Result<ThresholdPoint> ThresholdWithGuarantee(const std::vector<SampleOutcome>& samples,
                                              const GuaranteeOptions& o, const CostModel& cost) {
  if (samples.empty()) return Status::InvalidArgument("no samples to certify a threshold on");
  if (!(o.delta > 0 && o.delta < 1) || !(o.target_accuracy > 0 && o.target_accuracy <= 1) ||
      o.grid < 1 || !(o.score_max > o.score_min)) {
    return Status::InvalidArgument(
        "need 0 < delta < 1, 0 < target accuracy <= 1, grid >= 1, score_max > score_min");
  }
  auto certified = [&](const ThresholdPoint& p) {
    const size_t errors = p.local_errors + p.remote_errors;
    const double upper = o.bound == Bound::kClopperPearson
                             ? ClopperPearsonUpper(errors, p.samples, o.delta)
                             : HoeffdingUpper(errors, p.samples, o.delta);
    return upper <= 1 - o.target_accuracy + 1e-12;
  };
  ThresholdPoint best = EvaluateThreshold(samples, kAlwaysOffload, cost);
  if (!certified(best)) {
    return Status::FailedPrecondition(
        "accuracy " + std::to_string(o.target_accuracy) + " cannot be certified at confidence " +
        std::to_string(1 - o.delta) + " even when offloading every sample");
  }
  for (int j = o.grid; j >= 0; --j) {
    const double theta = o.score_min + (o.score_max - o.score_min) * j / o.grid;
    const ThresholdPoint p = EvaluateThreshold(samples, theta, cost);
    if (!certified(p)) break;
    best = p;
  }
  return best;
}

}  // namespace hiedge
