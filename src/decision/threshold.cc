#include <algorithm>
#include <cmath>

#include "hiedge/decision/decision.h"

namespace hiedge {

std::vector<float> Softmax(const float* logits, size_t count) {
  std::vector<float> out(count);
  if (count == 0) return out;
  const float max = *std::max_element(logits, logits + count);
  double sum = 0;
  for (size_t i = 0; i < count; ++i) {
    out[i] = std::exp(logits[i] - max);
    sum += out[i];
  }
  for (float& v : out) v = static_cast<float>(v / sum);
  return out;
}

std::vector<float> Softmax(const std::vector<float>& logits) {
  return Softmax(logits.data(), logits.size());
}

ArgMax FindArgMax(const float* values, size_t count) {
  ArgMax best;
  for (size_t i = 0; i < count; ++i) {
    if (best.index < 0 || values[i] > best.value) {
      best.index = static_cast<int>(i);
      best.value = values[i];
    }
  }
  return best;
}

ThresholdPoint EvaluateThreshold(const std::vector<SampleOutcome>& samples, double theta,
                                 const CostModel& cost) {
  ThresholdPoint p;
  p.theta = theta;
  p.samples = samples.size();
  for (const SampleOutcome& s : samples) {
    if (ShouldOffload(s.confidence, theta)) {
      ++p.offloaded;
      p.remote_errors += s.remote_correct ? 0 : 1;
    } else {
      p.local_errors += s.local_correct ? 0 : 1;
    }
  }
  p.cost = p.offloaded * cost.offload_cost +
           (p.local_errors + p.remote_errors) * cost.misclassification_cost;
  return p;
}

std::vector<ThresholdPoint> ThresholdCurve(const std::vector<SampleOutcome>& samples,
                                           const CostModel& cost) {
  std::vector<SampleOutcome> sorted = samples;
  std::sort(sorted.begin(), sorted.end(), [](const SampleOutcome& a, const SampleOutcome& b) {
    return a.confidence < b.confidence;
  });
  // Start by offloading nothing (theta 0, or the lowest score if scores go negative),
  // then move samples to the server in score order; a point is emitted only where a
  // whole group of equal scores has moved.
  const double none =
      sorted.empty() ? 0.0 : std::min(0.0, static_cast<double>(sorted.front().confidence));
  ThresholdPoint point = EvaluateThreshold(sorted, none, cost);
  std::vector<ThresholdPoint> curve;
  size_t i = 0;
  curve.push_back(point);
  while (i < sorted.size()) {
    const float group = sorted[i].confidence;
    while (i < sorted.size() && sorted[i].confidence == group) {
      const SampleOutcome& s = sorted[i];
      ++point.offloaded;
      point.local_errors -= s.local_correct ? 0 : 1;
      point.remote_errors += s.remote_correct ? 0 : 1;
      ++i;
    }
    // Offloading every sample with confidence <= group needs theta just above it: the
    // next distinct confidence, or just above the largest.
    point.theta = i < sorted.size() ? static_cast<double>(sorted[i].confidence)
                                    : std::nextafter(static_cast<double>(group), 3.0);
    point.cost = point.offloaded * cost.offload_cost +
                 (point.local_errors + point.remote_errors) * cost.misclassification_cost;
    curve.push_back(point);
  }
  return curve;
}

ThresholdPoint OptimalThreshold(const std::vector<SampleOutcome>& samples, const CostModel& cost) {
  std::vector<ThresholdPoint> curve = ThresholdCurve(samples, cost);
  // min_element keeps the first minimum: the one with the fewest offloads.
  return *std::min_element(
      curve.begin(), curve.end(),
      [](const ThresholdPoint& a, const ThresholdPoint& b) { return a.cost < b.cost - 1e-12; });
}

Result<ThresholdPoint> ThresholdForAccuracy(const std::vector<SampleOutcome>& samples,
                                            double target_accuracy, const CostModel& cost) {
  if (samples.empty()) return Status::InvalidArgument("no samples to choose a threshold on");
  for (const ThresholdPoint& p : ThresholdCurve(samples, cost)) {
    if (p.accuracy() >= target_accuracy - 1e-12) return p;
  }
  return Status::FailedPrecondition("accuracy target " + std::to_string(target_accuracy) +
                                    " is not reachable even when offloading every sample");
}

double BreakEvenOffloadCost(const std::vector<SampleOutcome>& samples) {
  // Pricing offloads at 0 isolates error counts on the curve.
  const std::vector<ThresholdPoint> curve = ThresholdCurve(samples, CostModel{0.0, 1.0});
  const double errors_kept_local = static_cast<double>(curve.front().local_errors);
  double best = 0;
  for (const ThresholdPoint& p : curve) {
    if (p.offloaded == 0) continue;
    const double saved = errors_kept_local - static_cast<double>(p.local_errors + p.remote_errors);
    best = std::max(best, saved / static_cast<double>(p.offloaded));
  }
  return best;
}

}  // namespace hiedge
