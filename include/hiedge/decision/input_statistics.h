// Input-side statistics for drift detection that does not rely on the S-ML's
// confidence: a few cheap numbers per input tensor, and the S-ML's predicted class,
// compared with their distribution on the calibration (validation) split.
//
// Features of one input x (any shape, flattened in row-major order, n elements):
//   mean       (1/n) Σ x_i
//   std        the population standard deviation of the x_i
//   roughness  (1/(n-1)) Σ |x_{i+1} - x_i|  (neighbour differences: noise raises it,
//              blur and lost resolution lower it)
//   max        max_i x_i  (contrast and exposure)
// The reference quantises each feature into at most kInputBins bins at the validation
// split's quantiles and keeps each bin's share (smoothed, every share > 0), and the share
// of validation samples the S-ML predicts as each class (label-distribution shift moves
// it). Pure functions on plain data: no I/O, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hiedge {

inline constexpr int kInputFeatureCount = 4;
inline constexpr int kInputBins = 16;  // Upper bound; ties at the quantiles merge bins.

// The names above, in order.
const std::array<std::string, kInputFeatureCount>& InputFeatureNames();

// The features of one input. An empty input gives zeros.
std::array<double, kInputFeatureCount> InputFeatures(std::span<const float> input);

struct InputFeatureReference {
  std::string name;
  // Increasing bin edges: a value v falls in bin b = the number of edges < v, so there
  // are edges.size() + 1 bins.
  std::vector<double> edges;
  std::vector<double> shares;  // Per bin, each > 0, summing to 1.
  int Bin(double value) const;
};

struct InputReference {
  std::vector<InputFeatureReference> features;  // Features with at least two bins.
  std::vector<double> class_shares;             // Per class, each > 0, summing to 1.
  bool empty() const { return features.empty() && class_shares.empty(); }
};

// The reference from `samples` inputs of `elements` values each (row-major, inputs.size()
// = samples * elements) and the S-ML's predicted class of each (in [0, classes)).
// Returns an empty reference when there is nothing to measure.
InputReference BuildInputReference(std::span<const float> inputs, size_t elements,
                                   std::span<const int32_t> predictions, int classes);

// Every share finite and > 0, each distribution summing to 1 within 1e-6, edges finite
// and strictly increasing, shares.size() == edges.size() + 1, at most kInputBins bins and
// 4096 classes. Returns the first violation as a message, "" when sound.
std::string CheckInputReference(const InputReference& reference);

}  // namespace hiedge
