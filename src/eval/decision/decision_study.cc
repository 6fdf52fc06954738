#include <algorithm>
#include <random>

#include "eval/decision/study.h"
#include "hiedge/decision/calibrate.h"

namespace hiedge {

Result<OnlineResult> RunOnlineStudy(const SplitPredictions& stream, size_t shift_at,
                                    const std::string& name, const StudyOptions& options);

namespace {

std::vector<bool> Correct(const Predictions& p, const std::vector<int32_t>& labels) {
  std::vector<bool> out(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) out[i] = p.labels[i] == labels[i];
  return out;
}

double Accuracy(const Predictions& p, const std::vector<int32_t>& labels) {
  const std::vector<bool> c = Correct(p, labels);
  return labels.empty() ? 0
                        : std::count(c.begin(), c.end(), true) / static_cast<double>(labels.size());
}

std::vector<float> MaxOf(const std::vector<float>& probabilities, int classes) {
  std::vector<float> out;
  for (size_t r = 0; r + classes <= probabilities.size(); r += classes) {
    out.push_back(
        *std::max_element(probabilities.begin() + r, probabilities.begin() + r + classes));
  }
  return out;
}

std::vector<SampleOutcome> Outcomes(const std::vector<float>& scores, const SplitPredictions& s) {
  const std::vector<bool> local = Correct(s.local, s.labels), remote = Correct(s.remote, s.labels);
  std::vector<SampleOutcome> out(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) out[i] = {scores[i], local[i], remote[i]};
  return out;
}

// One module, fitted and thresholded by the calibration the device's configs come from
// (CalibratePolicy), then run on test by the same OffloadPolicy the device runs.
Result<ModuleResult> EvaluateModule(const std::string& module, bool calibrated,
                                    const SplitPredictions& validation,
                                    const SplitPredictions& test, const CostModel& cost) {
  CalibrationOptions options;
  options.module = module;
  options.fit_temperature = calibrated;
  options.cost = cost;
  HIEDGE_ASSIGN_OR_RETURN(
      const DecisionConfig config,
      CalibratePolicy(Labelled(validation.local, validation.remote, validation.labels), options));
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy policy, OffloadPolicy::FromConfig(config));
  const LabelledLogits test_view = Labelled(test.local, test.remote, test.labels);
  const std::vector<SampleOutcome> val =
      PolicyOutcomes(policy, Labelled(validation.local, validation.remote, validation.labels));
  const std::vector<SampleOutcome> tst = PolicyOutcomes(policy, test_view);

  ModuleResult m;
  m.module = module;
  m.calibrated = calibrated;
  m.theta = config.theta;
  const ThresholdPoint at = EvaluateThreshold(tst, m.theta, cost);
  m.accuracy = at.accuracy();
  m.offload_fraction = at.offload_fraction();
  m.mean_cost = at.mean_cost();
  std::vector<bool> offloaded(tst.size()), local_wrong(tst.size());
  for (size_t i = 0; i < tst.size(); ++i) {
    offloaded[i] = ShouldOffload(tst[i].confidence, m.theta);
    local_wrong[i] = !tst[i].local_correct;
  }
  m.detection = DetectOffloads(offloaded, local_wrong);
  const std::vector<ThresholdPoint> curve = ThresholdCurve(tst, cost);
  const size_t step = std::max<size_t>(1, curve.size() / 300);
  for (size_t i = 0; i < curve.size(); i += step) {
    m.curve_offload.push_back(curve[i].offload_fraction());
    m.curve_accuracy.push_back(curve[i].accuracy());
  }
  m.curve_offload.push_back(curve.back().offload_fraction());
  m.curve_accuracy.push_back(curve.back().accuracy());
  m.sweep = SweepOffloadCost(val, tst);
  return m;
}

GuaranteeResult StudyGuarantee(const SplitPredictions& validation, const SplitPredictions& test,
                               double target, const StudyOptions& o) {
  GuaranteeResult g;
  g.target_accuracy = target;
  g.delta = o.delta;
  g.resamples = o.resamples;
  g.resample_size = std::min(o.resample_size, validation.labels.size());
  const std::vector<SampleOutcome> val = Outcomes(validation.local.confidences, validation);
  const std::vector<SampleOutcome> tst = Outcomes(test.local.confidences, test);
  std::mt19937_64 rng(o.seed);
  int met = 0, met_held_out = 0, certified = 0;
  g.min_test_accuracy = 1;
  for (int r = 0; r < o.resamples; ++r) {
    // Draws with replacement: i.i.d. samples of the validation population.
    std::vector<SampleOutcome> subset;
    for (size_t i = 0; i < g.resample_size; ++i) subset.push_back(val[rng() % val.size()]);
    auto p = ThresholdWithGuarantee(subset, {target, o.delta, Bound::kClopperPearson, 1000}, {});
    if (!p.ok()) continue;  // Not certifiable on this resample: no θ is claimed.
    ++certified;
    const ThresholdPoint on_test = EvaluateThreshold(tst, p->theta, {});
    met += on_test.accuracy() >= target ? 1 : 0;
    met_held_out += EvaluateThreshold(val, p->theta, {}).accuracy() >= target ? 1 : 0;
    g.mean_offload_fraction += on_test.offload_fraction();
    g.mean_test_accuracy += on_test.accuracy();
    g.min_test_accuracy = std::min(g.min_test_accuracy, on_test.accuracy());
  }
  const int abstained = o.resamples - certified;
  g.certified_rate = static_cast<double>(certified) / o.resamples;
  g.met_rate = static_cast<double>(met + abstained) / o.resamples;
  g.met_rate_held_out = static_cast<double>(met_held_out + abstained) / o.resamples;
  if (certified > 0) {
    g.mean_offload_fraction /= certified;
    g.mean_test_accuracy /= certified;
  }
  return g;
}

}  // namespace

Result<DecisionStudy> RunDecisionStudy(const SplitPredictions& validation,
                                       const SplitPredictions& test,
                                       const SplitPredictions& shifted,
                                       const StudyOptions& options) {
  if (validation.labels.empty() || test.labels.empty() || validation.local.classes < 2) {
    return Status::InvalidArgument("the study needs non-empty validation and test predictions");
  }
  DecisionStudy study;
  study.offload_cost = options.offload_cost;
  study.local_validation_accuracy = Accuracy(validation.local, validation.labels);
  study.remote_validation_accuracy = Accuracy(validation.remote, validation.labels);
  study.local_test_accuracy = Accuracy(test.local, test.labels);
  study.remote_test_accuracy = Accuracy(test.remote, test.labels);

  const int classes = validation.local.classes;
  CalibrationResult& c = study.calibration;
  HIEDGE_ASSIGN_OR_RETURN(c.temperature,
                          FitTemperature(validation.local.logits, classes, validation.labels));
  const std::vector<bool> test_correct = Correct(test.local, test.labels);
  const std::vector<float> raw = MaxOf(ScaledSoftmax(test.local.logits, classes, 1.0), classes);
  const std::vector<float> scaled =
      MaxOf(ScaledSoftmax(test.local.logits, classes, c.temperature), classes);
  c.ece_before = ExpectedCalibrationError(raw, test_correct);
  c.ece_after = ExpectedCalibrationError(scaled, test_correct);
  c.before = ReliabilityDiagram(raw, test_correct);
  c.after = ReliabilityDiagram(scaled, test_correct);

  const CostModel cost{options.offload_cost, 1.0};
  for (bool calibrated : {false, true}) {
    for (const std::string& module : ConfidenceModuleNames()) {
      HIEDGE_ASSIGN_OR_RETURN(ModuleResult m,
                              EvaluateModule(module, calibrated, validation, test, cost));
      study.modules.push_back(std::move(m));
    }
  }
  for (const DeviceProfile& device : options.profiles) {
    study.profiled.push_back({"No offload", device.name, study.local_test_accuracy, 0,
                              ModelPerInference(device, true, 0)});
    study.profiled.push_back({"Full offload", device.name, study.remote_test_accuracy, 1,
                              ModelPerInference(device, false, 1)});
    for (const ModuleResult& m : study.modules) {
      if (m.calibrated) continue;
      study.profiled.push_back({"HI " + m.name(), device.name, m.accuracy, m.offload_fraction,
                                ModelPerInference(device, true, m.offload_fraction)});
    }
  }
  study.filter_classes = options.filter_classes;
  if (!options.filter.empty()) {
    for (double beta : {0.0, 0.1, 0.2, 0.5, 0.9}) {
      study.filter.push_back(EvaluateBinaryFilter(options.filter, 0.5, beta));
    }
  }
  study.job_times = options.job_times;
  study.partitioning = options.partitioning;
  if (options.job_times.local_ms > 0 && options.job_times.offload_ms > 0) {
    const std::vector<SampleOutcome> jobs = Outcomes(test.local.confidences, test);
    const JobTimes& t = options.job_times;
    const ScheduleResult hi = ScheduleHi(jobs, study.modules.front().theta, t);
    study.schedules = {hi,
                       ScheduleNoOffload(jobs, t),
                       ScheduleFullOffload(jobs, t),
                       ScheduleOma(jobs, t, hi.makespan_ms, false, options.seed),
                       ScheduleOma(jobs, t, hi.makespan_ms, true, options.seed),
                       ScheduleOmd(jobs, t)};
  }
  study.guarantee = StudyGuarantee(
      validation, test, study.remote_validation_accuracy - options.accuracy_margin, options);
  HIEDGE_ASSIGN_OR_RETURN(OnlineResult stationary, RunOnlineStudy(test, 0, "stationary", options));
  study.online.push_back(std::move(stationary));
  if (!shifted.labels.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(OnlineResult shift,
                            RunOnlineStudy(shifted, shifted.labels.size() / 2, "shift", options));
    study.online.push_back(std::move(shift));
  }
  return study;
}

}  // namespace hiedge
