#include "hiedge/data/vibration.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace hiedge {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;

// The defect's impulse rate and its load-zone modulation, in Hz, for one window.
struct Defect {
  double impulse_hz = 0;     // 0: healthy.
  double modulation_hz = 0;  // 0: not modulated.
};

Defect DefectOf(BearingCondition condition, const DefectOrders& orders, double shaft_hz) {
  switch (condition) {
    case kInnerRace:
      return {orders.inner_race * shaft_hz, shaft_hz};
    case kOuterRace:
      return {orders.outer_race * shaft_hz, 0};
    case kBall:
      return {2 * orders.ball_spin * shaft_hz, orders.cage * shaft_hz};
    case kHealthy:
      break;
  }
  return {};
}

}  // namespace

DefectOrders BearingDefectOrders(const BearingGeometry& b) {
  const double r = b.ball_diameter_mm / b.pitch_diameter_mm *
                   std::cos(b.contact_angle_deg * std::numbers::pi / 180.0);
  const double n = static_cast<double>(b.balls);
  return {n / 2 * (1 - r), n / 2 * (1 + r),
          b.pitch_diameter_mm / (2 * b.ball_diameter_mm) * (1 - r * r), 0.5 * (1 - r)};
}

Dataset GenerateVibrationWindows(size_t per_condition, const VibrationOptions& o, uint64_t seed) {
  Dataset out;
  out.channels = 1;
  out.height = 1;
  out.width = o.window;
  out.num_classes = kBearingConditions;
  const size_t n = static_cast<size_t>(std::max<int64_t>(o.window, 0));
  out.images.reserve(per_condition * kBearingConditions * n);
  const DefectOrders orders = BearingDefectOrders(o.bearing);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double dt = 1.0 / o.sample_rate_hz;
  // An impulse has rung out after 8 time constants.
  const auto ring = static_cast<size_t>(8.0 / o.resonance_decay_per_s * o.sample_rate_hz);
  for (int c = 0; c < kBearingConditions; ++c) {
    const auto condition = static_cast<BearingCondition>(c);
    for (size_t w = 0; w < per_condition; ++w) {
      const double shaft_hz = o.shaft_hz * (1 + o.shaft_speed_jitter * gauss(rng));
      const double phase = kTwoPi * unit(rng);
      std::vector<double> x(n);
      for (size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) * dt;
        x[i] = o.imbalance_amplitude * (std::sin(kTwoPi * shaft_hz * t + phase) +
                                        0.3 * std::sin(2 * kTwoPi * shaft_hz * t + 2 * phase)) +
               o.noise_std * gauss(rng);
      }
      const Defect defect = DefectOf(condition, orders, shaft_hz);
      if (defect.impulse_hz > 0) {
        const double period = 1.0 / defect.impulse_hz;
        const double modulation_phase = kTwoPi * unit(rng);
        // The first impact falls anywhere in the first period.
        for (double at = -period * unit(rng); at < static_cast<double>(n) * dt;
             at += period * (1 + o.impulse_jitter * gauss(rng))) {
          double amplitude = o.impulse_amplitude * (0.8 + 0.4 * unit(rng));
          if (defect.modulation_hz > 0) {
            amplitude *=
                0.5 * (1 + std::cos(kTwoPi * defect.modulation_hz * at + modulation_phase));
          }
          const auto first = static_cast<size_t>(std::max(0.0, std::ceil(at / dt)));
          for (size_t i = first; i < n && i < first + ring; ++i) {
            const double since = static_cast<double>(i) * dt - at;
            x[i] += amplitude * std::exp(-o.resonance_decay_per_s * since) *
                    std::sin(kTwoPi * o.resonance_hz * since);
          }
        }
      }
      for (double v : x) out.images.push_back(static_cast<float>(v));
      out.labels.push_back(c);
    }
  }
  return out;
}

VibrationStatistics ComputeVibrationStatistics(std::span<const float> window) {
  VibrationStatistics s;
  if (window.empty()) return s;
  const auto n = static_cast<double>(window.size());
  double mean = 0, peak = 0, square_sum = 0;
  for (float v : window) {
    mean += v;
    square_sum += static_cast<double>(v) * v;
    peak = std::max(peak, std::abs(static_cast<double>(v)));
  }
  mean /= n;
  double m2 = 0, m4 = 0;
  for (float v : window) {
    const double d = v - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  s.rms = std::sqrt(square_sum / n);
  s.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0;
  s.crest_factor = s.rms > 0 ? peak / s.rms : 0;
  return s;
}

}  // namespace hiedge
