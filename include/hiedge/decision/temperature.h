// Temperature scaling of logits, expected calibration error and reliability diagrams.
// Pure functions on row-major logits [n, classes].
#pragma once

#include <cstdint>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

// Mean negative log-likelihood of `labels` under softmax(logits / temperature).
double NegativeLogLikelihood(const std::vector<float>& logits, int classes,
                             const std::vector<int32_t>& labels, double temperature);

// The temperature in [0.05, 20] minimising NLL (golden-section search on log T).
// InvalidArgument for empty or mismatched input.
Result<double> FitTemperature(const std::vector<float>& logits, int classes,
                              const std::vector<int32_t>& labels);

// Row-wise softmax of logits / temperature.
std::vector<float> ScaledSoftmax(const std::vector<float>& logits, int classes, double temperature);

struct ReliabilityBin {
  double lower = 0;  // Confidence range [lower, upper).
  double upper = 0;
  size_t count = 0;
  double mean_confidence = 0;
  double accuracy = 0;
};

// Equal-width bins over [0, 1] of max-softmax confidence (the last bin includes 1).
std::vector<ReliabilityBin> ReliabilityDiagram(const std::vector<float>& confidences,
                                               const std::vector<bool>& correct, int bins = 15);

// Sum over bins of (count / n) * |accuracy - mean confidence|. 0 for empty input.
double ExpectedCalibrationError(const std::vector<float>& confidences,
                                const std::vector<bool>& correct, int bins = 15);

}  // namespace hiedge
