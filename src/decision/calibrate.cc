#include "hiedge/decision/calibrate.h"

#include <algorithm>
#include <memory>

#include "hiedge/decision/accuracy_estimate.h"
#include "hiedge/decision/guarantee.h"
#include "hiedge/decision/temperature.h"

namespace hiedge {
namespace {

Status CheckSplit(const LabelledLogits& s) {
  if (s.classes < 1 || s.samples() == 0 ||
      s.local_logits.size() != s.samples() * static_cast<size_t>(s.classes) ||
      s.remote_predictions.size() != s.samples()) {
    return Status::InvalidArgument(
        "calibration needs [n, classes] local logits, n labels and n "
        "remote predictions with n > 0");
  }
  return Status::Ok();
}

std::span<const float> Row(const LabelledLogits& s, size_t i) {
  return s.local_logits.subspan(i * static_cast<size_t>(s.classes), static_cast<size_t>(s.classes));
}

Result<ThresholdPoint> ChooseThreshold(const std::vector<SampleOutcome>& outcomes,
                                       const ConfidenceModule& module, int classes,
                                       const CalibrationOptions& o) {
  if (o.objective == "min_cost") return OptimalThreshold(outcomes, o.cost);
  if (o.objective == "accuracy_target") {
    return ThresholdForAccuracy(outcomes, o.target_accuracy, o.cost);
  }
  if (o.objective == "certified_accuracy") {
    GuaranteeOptions g;
    g.target_accuracy = o.target_accuracy;
    g.delta = o.delta;
    std::tie(g.score_min, g.score_max) = module.ScoreRange(classes);
    return ThresholdWithGuarantee(outcomes, g, o.cost);
  }
  return Status::InvalidArgument("unknown objective '" + o.objective +
                                 "' (min_cost, accuracy_target, certified_accuracy)");
}

}  // namespace

int ConfidenceBin(float confidence) {
  const int bin = static_cast<int>(confidence * kConfidenceHistogramBins);
  return std::clamp(bin, 0, kConfidenceHistogramBins - 1);
}

std::vector<SampleOutcome> PolicyOutcomes(const OffloadPolicy& policy, const LabelledLogits& s) {
  std::vector<SampleOutcome> out(s.samples());
  for (size_t i = 0; i < s.samples(); ++i) {
    const PolicyDecision d = policy.Decide(Row(s, i));
    out[i] = {d.score, d.prediction == s.labels[i], s.remote_predictions[i] == s.labels[i]};
  }
  return out;
}

namespace {

// At most kMaxCostCurvePoints of `curve`, evenly spaced in offloads, always with both
// ends and the chosen threshold.
std::vector<CostCurvePoint> SampledCostCurve(const std::vector<ThresholdPoint>& curve,
                                             double chosen_theta) {
  std::vector<CostCurvePoint> out;
  if (curve.empty()) return out;
  const size_t slots = kMaxCostCurvePoints - 1;  // One is kept for the chosen threshold.
  size_t next_slot = 0;
  for (size_t i = 0; i < curve.size(); ++i) {
    const ThresholdPoint& p = curve[i];
    const bool due = i * (slots - 1) >= next_slot * (curve.size() - 1);
    const bool keep = i == 0 || i + 1 == curve.size() || p.theta == chosen_theta || due;
    if (!keep) continue;
    if (due) ++next_slot;
    const double n = static_cast<double>(p.samples);
    out.push_back({p.theta, p.offload_fraction(),
                   n > 0 ? static_cast<double>(p.local_errors + p.remote_errors) / n : 0.0});
  }
  return out;
}

}  // namespace

Result<DecisionConfig> CalibratePolicy(const LabelledLogits& validation,
                                       const CalibrationOptions& o) {
  HIEDGE_RETURN_IF_ERROR(CheckSplit(validation));
  DecisionConfig c;
  c.module = o.module;
  c.objective = o.objective;
  c.offload_cost = o.cost.offload_cost;
  if (o.objective != "min_cost") c.target_accuracy = o.target_accuracy;
  if (o.objective == "certified_accuracy") c.delta = o.delta;
  if (o.fit_temperature) {
    HIEDGE_ASSIGN_OR_RETURN(
        c.temperature,
        FitTemperature(
            std::vector<float>(validation.local_logits.begin(), validation.local_logits.end()),
            validation.classes,
            std::vector<int32_t>(validation.labels.begin(), validation.labels.end())));
  }
  // Probabilities at the temperature, through the policy's own function.
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ConfidenceModule> module, MakeConfidenceModule(o.module));
  std::vector<float> probabilities;
  probabilities.reserve(validation.local_logits.size());
  std::vector<bool> local_correct(validation.samples());
  for (size_t i = 0; i < validation.samples(); ++i) {
    const std::vector<float> row =
        OffloadPolicy::ProbabilitiesAt(Row(validation, i), c.temperature);
    probabilities.insert(probabilities.end(), row.begin(), row.end());
    local_correct[i] =
        std::max_element(row.begin(), row.end()) - row.begin() == validation.labels[i];
  }
  HIEDGE_RETURN_IF_ERROR(module->Fit(probabilities, validation.classes, local_correct));
  c.parameters = module->Parameters();
  const OffloadPolicy policy(std::move(module), c.temperature, 0);
  const std::vector<SampleOutcome> outcomes = PolicyOutcomes(policy, validation);
  HIEDGE_ASSIGN_OR_RETURN(const ThresholdPoint point,
                          ChooseThreshold(outcomes, policy.module(), validation.classes, o));
  c.theta = point.theta;
  c.calibration_samples = point.samples;
  c.calibration_accuracy = point.accuracy();
  c.calibration_offload_fraction = point.offload_fraction();
  c.calibration_mean_cost = point.mean_cost();
  c.cost_curve = SampledCostCurve(ThresholdCurve(outcomes, o.cost), point.theta);
  // Drift reference at the chosen policy.
  const OffloadPolicy chosen = policy.WithTheta(c.theta);
  c.confidence_histogram.assign(kConfidenceHistogramBins, 0.0);
  size_t offloaded = 0, disagreed = 0;
  std::vector<float> confidences(validation.samples());
  std::vector<bool> right(validation.samples());
  for (size_t i = 0; i < validation.samples(); ++i) {
    const PolicyDecision d = chosen.Decide(Row(validation, i));
    confidences[i] = d.confidence;
    right[i] = d.prediction == validation.labels[i];
    c.confidence_histogram[static_cast<size_t>(ConfidenceBin(d.confidence))] +=
        1.0 / static_cast<double>(validation.samples());
    if (d.offload) {
      ++offloaded;
      disagreed += d.prediction != validation.remote_predictions[i] ? 1 : 0;
    }
  }
  c.offload_disagreement = offloaded ? static_cast<double>(disagreed) / offloaded : 0.0;
  c.confidence_accuracy = ReliabilityTable(confidences, right);
  return c;
}

}  // namespace hiedge
