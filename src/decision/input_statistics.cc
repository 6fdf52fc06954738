#include "hiedge/decision/input_statistics.h"

#include <algorithm>
#include <cmath>

namespace hiedge {
namespace {

constexpr int kMaxReferenceClasses = 4096;

// Shares of `counts` with add-half smoothing, so no bin has share 0 (a value seen live
// but never in calibration must not give an infinite log-likelihood ratio).
std::vector<double> SmoothedShares(const std::vector<double>& counts) {
  double total = 0;
  for (double c : counts) total += c + 0.5;
  std::vector<double> shares;
  shares.reserve(counts.size());
  for (double c : counts) shares.push_back((c + 0.5) / total);
  return shares;
}

std::string CheckShares(const std::vector<double>& shares, const std::string& what) {
  double sum = 0;
  for (double s : shares) {
    if (!std::isfinite(s) || !(s > 0)) return what + ": every share must be finite and > 0";
    sum += s;
  }
  if (std::abs(sum - 1) > 1e-6) return what + ": shares must sum to 1";
  return "";
}

}  // namespace

const std::array<std::string, kInputFeatureCount>& InputFeatureNames() {
  static const std::array<std::string, kInputFeatureCount> names = {"mean", "std", "roughness",
                                                                    "max"};
  return names;
}

std::array<double, kInputFeatureCount> InputFeatures(std::span<const float> input) {
  std::array<double, kInputFeatureCount> f{};
  if (input.empty()) return f;
  const double n = static_cast<double>(input.size());
  double sum = 0, sum_sq = 0, rough = 0;
  double top = input[0];
  for (size_t i = 0; i < input.size(); ++i) {
    const double v = input[i];
    sum += v;
    sum_sq += v * v;
    top = std::max(top, v);
    if (i > 0) rough += std::abs(v - static_cast<double>(input[i - 1]));
  }
  const double mean = sum / n;
  f[0] = mean;
  f[1] = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
  f[2] = input.size() > 1 ? rough / (n - 1) : 0.0;
  f[3] = top;
  return f;
}

int InputFeatureReference::Bin(double value) const {
  return static_cast<int>(std::lower_bound(edges.begin(), edges.end(), value) - edges.begin());
}

InputReference BuildInputReference(std::span<const float> inputs, size_t elements,
                                   std::span<const int32_t> predictions, int classes) {
  InputReference reference;
  if (elements == 0 || inputs.size() % elements != 0) return reference;
  const size_t samples = inputs.size() / elements;
  if (samples == 0) return reference;
  std::vector<std::array<double, kInputFeatureCount>> features(samples);
  for (size_t i = 0; i < samples; ++i) features[i] = InputFeatures(inputs.subspan(i * elements, elements));
  for (int k = 0; k < kInputFeatureCount; ++k) {
    std::vector<double> values(samples);
    for (size_t i = 0; i < samples; ++i) values[i] = features[i][static_cast<size_t>(k)];
    std::sort(values.begin(), values.end());
    InputFeatureReference f;
    f.name = InputFeatureNames()[static_cast<size_t>(k)];
    for (int q = 1; q < kInputBins; ++q) {
      const double edge = values[(samples - 1) * static_cast<size_t>(q) / kInputBins];
      if (!std::isfinite(edge)) continue;
      if (f.edges.empty() || edge > f.edges.back()) f.edges.push_back(edge);
    }
    // An edge at the top value would leave its upper bin empty on the reference.
    while (!f.edges.empty() && f.edges.back() >= values.back()) f.edges.pop_back();
    if (f.edges.empty()) continue;  // One bin: nothing to compare.
    std::vector<double> counts(f.edges.size() + 1, 0.0);
    for (double v : values) counts[static_cast<size_t>(f.Bin(v))] += 1;
    f.shares = SmoothedShares(counts);
    reference.features.push_back(std::move(f));
  }
  if (classes >= 2 && classes <= kMaxReferenceClasses && predictions.size() == samples) {
    std::vector<double> counts(static_cast<size_t>(classes), 0.0);
    for (int32_t p : predictions) {
      if (p >= 0 && p < classes) counts[static_cast<size_t>(p)] += 1;
    }
    reference.class_shares = SmoothedShares(counts);
  }
  return reference;
}

std::string CheckInputReference(const InputReference& reference) {
  if (reference.features.size() > static_cast<size_t>(kInputFeatureCount))
    return "input reference: too many features";
  for (const InputFeatureReference& f : reference.features) {
    const auto& names = InputFeatureNames();
    if (std::find(names.begin(), names.end(), f.name) == names.end())
      return "input reference: unknown feature '" + f.name + "'";
    if (f.edges.empty() || f.edges.size() + 1 > static_cast<size_t>(kInputBins))
      return "input reference: feature " + f.name + " needs 2 to " +
             std::to_string(kInputBins) + " bins";
    if (f.shares.size() != f.edges.size() + 1)
      return "input reference: feature " + f.name + " needs one share per bin";
    for (size_t i = 0; i < f.edges.size(); ++i) {
      if (!std::isfinite(f.edges[i]) || (i > 0 && !(f.edges[i] > f.edges[i - 1])))
        return "input reference: feature " + f.name + " edges must increase";
    }
    if (std::string e = CheckShares(f.shares, "input reference: feature " + f.name); !e.empty())
      return e;
  }
  if (reference.class_shares.size() > static_cast<size_t>(kMaxReferenceClasses) ||
      reference.class_shares.size() == 1)
    return "input reference: class shares need 2 to 4096 classes";
  if (!reference.class_shares.empty()) return CheckShares(reference.class_shares, "input reference: classes");
  return "";
}

}  // namespace hiedge
