// Confidence signals of a probability vector, and offload-detection statistics.
// Pure functions. Every signal is a score where higher means "more sure the local
// answer is right", so one rule serves all: offload iff score < theta.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

enum class Signal {
  kMaxSoftmax,       // p1
  kMargin,           // p1 - p2
  kNegativeEntropy,  // sum p log p (<= 0); 0 for a one-hot vector
};

const char* SignalName(Signal signal);  // "max_softmax", "margin", "neg_entropy"
Result<Signal> ParseSignal(const std::string& name);
const std::vector<Signal>& AllSignals();

// The largest and second-largest entries (p2 = 0 for a single entry).
struct TopTwo {
  float p1 = 0;
  float p2 = 0;
};
TopTwo TopTwoOf(const float* probabilities, size_t count);

float SignalScore(Signal signal, const float* probabilities, size_t count);

// How well an offload decision finds the samples the device gets wrong.
// Positive = offloaded; actual positive = local answer wrong.
struct DetectionStats {
  size_t true_positives = 0;   // Wrong locally and offloaded.
  size_t false_positives = 0;  // Right locally but offloaded.
  size_t false_negatives = 0;  // Wrong locally but accepted.
  size_t true_negatives = 0;   // Right locally and accepted.

  double precision() const;
  double recall() const;
  double f1() const;
};

// Requires offloaded.size() == local_wrong.size().
DetectionStats DetectOffloads(const std::vector<bool>& offloaded,
                              const std::vector<bool>& local_wrong);

}  // namespace hiedge
