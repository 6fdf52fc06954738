// Offload decisions and the cost model of hierarchical inference (seed 000, §3).
// Pure functions on plain data: no torch, no I/O, no threads.
#pragma once

#include <cstddef>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

// Softmax of `logits` (numerically stable). Empty in, empty out.
std::vector<float> Softmax(const std::vector<float>& logits);
std::vector<float> Softmax(const float* logits, size_t count);

// Index and value of the largest entry; ties go to the lowest index. Requires count > 0.
struct ArgMax {
  int index = -1;
  float value = 0;
};
ArgMax FindArgMax(const float* values, size_t count);

// What HI needs to know of one sample to price a decision.
struct SampleOutcome {
  float confidence = 0;         // S-ML max softmax probability, in [0, 1].
  bool local_correct = false;   // S-ML's answer is right.
  bool remote_correct = false;  // L-ML's answer is right.
};

// β per offload; `misclassification` per wrong answer, at the device or the server.
struct CostModel {
  double offload_cost = 0.1;
  double misclassification_cost = 1.0;
};

// The rule: offload a sample iff its confidence < theta. theta = 0 never offloads;
// theta > 1 always offloads.
inline bool ShouldOffload(float confidence, double theta) { return confidence < theta; }
inline constexpr double kAlwaysOffload = 2.0;

// Outcome of applying one threshold to a set of samples.
struct ThresholdPoint {
  double theta = 0;
  size_t samples = 0;
  size_t offloaded = 0;
  size_t local_errors = 0;   // Accepted at the device and wrong.
  size_t remote_errors = 0;  // Offloaded and wrong at the server.
  double cost = 0;           // Total: offloads * β + errors * misclassification cost.

  double offload_fraction() const { return samples ? double(offloaded) / samples : 0; }
  double accuracy() const {
    return samples ? 1.0 - double(local_errors + remote_errors) / samples : 0;
  }
  double mean_cost() const { return samples ? cost / samples : 0; }
};

ThresholdPoint EvaluateThreshold(const std::vector<SampleOutcome>& samples, double theta,
                                 const CostModel& cost);

// Every distinct decision a threshold can make on `samples`, from offloading none to
// offloading all, in increasing theta (and offload count). Candidate thetas are
// min(0, smallest score), each distinct score above the smallest, and just above the
// largest. Scores may be negative (e.g. negative entropy).
// O(n log n). Empty input yields the single point theta = 0.
std::vector<ThresholdPoint> ThresholdCurve(const std::vector<SampleOutcome>& samples,
                                           const CostModel& cost);

// θ* minimising total cost, exact over ThresholdCurve; ties go to fewer offloads.
ThresholdPoint OptimalThreshold(const std::vector<SampleOutcome>& samples, const CostModel& cost);

// The threshold with the fewest offloads whose accuracy on `samples` is at least
// `target_accuracy`. FailedPrecondition if even offloading all falls short.
Result<ThresholdPoint> ThresholdForAccuracy(const std::vector<SampleOutcome>& samples,
                                            double target_accuracy, const CostModel& cost);

// The largest β at which offloading anything still lowers the cost on `samples`:
// max over thresholds of (errors saved) / (samples offloaded). Above it θ* = 0.
double BreakEvenOffloadCost(const std::vector<SampleOutcome>& samples);

}  // namespace hiedge
