#include "hiedge/decision/temperature.h"

#include <algorithm>
#include <cmath>

namespace hiedge {

double NegativeLogLikelihood(const std::vector<float>& logits, int classes,
                             const std::vector<int32_t>& labels, double temperature) {
  double total = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    const float* row = logits.data() + r * static_cast<size_t>(classes);
    const double max = *std::max_element(row, row + classes) / temperature;
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += std::exp(row[k] / temperature - max);
    total += std::log(sum) + max - row[labels[r]] / temperature;
  }
  return labels.empty() ? 0 : total / static_cast<double>(labels.size());
}

Result<double> FitTemperature(const std::vector<float>& logits, int classes,
                              const std::vector<int32_t>& labels) {
  if (classes < 2 || labels.empty() ||
      logits.size() != labels.size() * static_cast<size_t>(classes)) {
    return Status::InvalidArgument("temperature fit needs logits [n, classes] for n >= 1 labels");
  }
  for (int32_t l : labels) {
    if (l < 0 || l >= classes) return Status::InvalidArgument("label outside [0, classes)");
  }
  // NLL is unimodal in log T for fixed logits; golden-section search on [log 0.05, log 20].
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.05), hi = std::log(20.0);
  auto f = [&](double log_t) {
    return NegativeLogLikelihood(logits, classes, labels, std::exp(log_t));
  };
  double a = hi - ratio * (hi - lo), b = lo + ratio * (hi - lo);
  double fa = f(a), fb = f(b);
  for (int it = 0; it < 60; ++it) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = f(a);
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = f(b);
    }
  }
  return std::exp((lo + hi) / 2);
}

std::vector<float> ScaledSoftmax(const std::vector<float>& logits, int classes,
                                 double temperature) {
  std::vector<float> out(logits.size());
  for (size_t start = 0; start + static_cast<size_t>(classes) <= logits.size(); start += classes) {
    const float* row = logits.data() + start;
    const double max = *std::max_element(row, row + classes) / temperature;
    double sum = 0;
    for (int k = 0; k < classes; ++k) sum += std::exp(row[k] / temperature - max);
    for (int k = 0; k < classes; ++k) {
      out[start + k] = static_cast<float>(std::exp(row[k] / temperature - max) / sum);
    }
  }
  return out;
}

std::vector<ReliabilityBin> ReliabilityDiagram(const std::vector<float>& confidences,
                                               const std::vector<bool>& correct, int bins) {
  bins = std::max(bins, 1);
  std::vector<ReliabilityBin> out(static_cast<size_t>(bins));
  std::vector<double> confidence_sum(out.size(), 0), correct_sum(out.size(), 0);
  for (int b = 0; b < bins; ++b) {
    out[b].lower = static_cast<double>(b) / bins;
    out[b].upper = static_cast<double>(b + 1) / bins;
  }
  for (size_t i = 0; i < confidences.size() && i < correct.size(); ++i) {
    const int b = std::clamp(static_cast<int>(confidences[i] * bins), 0, bins - 1);
    ++out[b].count;
    confidence_sum[b] += confidences[i];
    correct_sum[b] += correct[i] ? 1 : 0;
  }
  for (size_t b = 0; b < out.size(); ++b) {
    if (out[b].count == 0) continue;
    out[b].mean_confidence = confidence_sum[b] / static_cast<double>(out[b].count);
    out[b].accuracy = correct_sum[b] / static_cast<double>(out[b].count);
  }
  return out;
}

double ExpectedCalibrationError(const std::vector<float>& confidences,
                                const std::vector<bool>& correct, int bins) {
  const size_t n = std::min(confidences.size(), correct.size());
  if (n == 0) return 0;
  double ece = 0;
  for (const ReliabilityBin& b : ReliabilityDiagram(confidences, correct, bins)) {
    ece += static_cast<double>(b.count) / static_cast<double>(n) *
           std::abs(b.accuracy - b.mean_confidence);
  }
  return ece;
}

}  // namespace hiedge
