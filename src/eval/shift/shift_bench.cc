#include "eval/shift/shift_bench.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <random>

#include "eval/core/eval.h"
#include "eval/shift/change_detectors.h"
#include "eval/shift/learner_replay.h"
#include "eval/shift/shift_streams.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/drift.h"
#include "hiedge/decision/input_statistics.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {
namespace {

// One half of a stream: its images (labels included) and both models' predictions.
struct Half {
  const Dataset* data = nullptr;
  const Predictions* local = nullptr;
  const Predictions* remote = nullptr;
  size_t size() const { return data->size(); }
  std::span<const float> logits(size_t i) const {
    return std::span<const float>(local->logits)
        .subspan(i * static_cast<size_t>(local->classes), static_cast<size_t>(local->classes));
  }
};

const std::vector<std::string>& DetectorNames() {
  static const std::vector<std::string> names = {"cusum_output", "cusum_input", "cusum_both",
                                                 "adwin", "page_hinkley"};
  return names;
}

// Every detector of the comparison, fed the same samples.
class DetectorSet {
 public:
  static Result<DetectorSet> Create(const DecisionConfig& config, double alpha) {
    DetectorSet s;
    HIEDGE_ASSIGN_OR_RETURN(DriftDetector output,
                            DriftDetector::FromConfig(config, {alpha, true, false}));
    HIEDGE_ASSIGN_OR_RETURN(DriftDetector input,
                            DriftDetector::FromConfig(config, {alpha, false, true}));
    HIEDGE_ASSIGN_OR_RETURN(DriftDetector both, DriftDetector::FromConfig(config, {alpha}));
    s.output_.emplace(std::move(output));
    s.input_.emplace(std::move(input));
    s.both_.emplace(std::move(both));
    s.adwin_.assign(kSignals, Adwin());
    s.page_hinkley_.assign(kSignals, PageHinkley());
    return s;
  }

  // Per detector (DetectorNames() order): did this sample raise an alarm?
  std::vector<bool> Observe(const PolicyDecision& d, bool disagreed, std::span<const float> input) {
    std::vector<bool> alarm(DetectorNames().size(), false);
    alarm[0] = output_->Observe(d.confidence, d.offload, d.offload, d.offload && disagreed);
    alarm[1] = input_->ObserveSample(d.confidence, d.offload, input, d.prediction);
    alarm[2] = both_->ObserveSample(d.confidence, d.offload, input, d.prediction);
    if (d.offload) alarm[2] = both_->ObserveAnswer(disagreed) || alarm[2];
    const std::array<double, kInputFeatureCount> f = InputFeatures(input);
    const double signals[kSignals] = {d.confidence, d.offload ? 1.0 : 0.0, f[0], f[1], f[2], f[3]};
    for (size_t k = 0; k < kSignals; ++k) {
      alarm[3] = adwin_[k].Add(signals[k]) || alarm[3];
      alarm[4] = page_hinkley_[k].Add(signals[k]) || alarm[4];
    }
    return alarm;
  }

 private:
  static constexpr size_t kSignals = 2 + kInputFeatureCount;
  std::optional<DriftDetector> output_, input_, both_;
  std::vector<Adwin> adwin_;
  std::vector<PageHinkley> page_hinkley_;
};

struct DecisionFigures {
  double accuracy = 0, offload = 0, cost = 0;
  double theta = 0;  // Offload iff score < theta.
};

// The single best θ in hindsight: offload the k lowest-scored samples, every k at a
// boundary between distinct scores.
DecisionFigures BestInHindsight(std::vector<double> scores, const std::vector<bool>& local_right,
                                const std::vector<bool>& remote_right, double beta) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double errors = 0;
  for (size_t i = 0; i < n; ++i) errors += !local_right[i];
  DecisionFigures best{1 - errors / static_cast<double>(n), 0, errors / static_cast<double>(n),
                       n ? scores[order[0]] : 0.0};
  for (size_t k = 1; k <= n; ++k) {
    const size_t i = order[k - 1];
    errors += static_cast<double>(!remote_right[i]) - static_cast<double>(!local_right[i]);
    if (k < n && scores[order[k]] == scores[i]) continue;  // Not a threshold boundary.
    const double cost = (beta * static_cast<double>(k) + errors) / static_cast<double>(n);
    if (cost < best.cost) {
      best = {1 - errors / static_cast<double>(n), static_cast<double>(k) / static_cast<double>(n),
              cost, k < n ? scores[order[k]] : std::numeric_limits<double>::infinity()};
    }
  }
  return best;
}

// The detectors over clean then shifted: delays, misses and clean-half alarms.
Result<std::vector<DetectorOutcome>> RunDetectors(const DecisionConfig& config,
                                                  const OffloadPolicy& policy, const Half& clean,
                                                  const Half& shifted, double alpha) {
  HIEDGE_ASSIGN_OR_RETURN(DetectorSet set, DetectorSet::Create(config, alpha));
  std::vector<DetectorOutcome> out;
  for (const std::string& name : DetectorNames()) out.push_back({name});
  for (size_t t = 0; t < clean.size() + shifted.size(); ++t) {
    const bool in_shift = t >= clean.size();
    const Half& half = in_shift ? shifted : clean;
    const size_t i = in_shift ? t - clean.size() : t;
    const PolicyDecision d = policy.Decide(half.logits(i));
    const std::vector<bool> alarms =
        set.Observe(d, half.remote->labels[i] != d.prediction, half.data->sample(i).data);
    for (size_t k = 0; k < out.size(); ++k) {
      if (!alarms[k]) continue;
      if (!in_shift) {
        ++out[k].clean_alarms;
      } else if (!out[k].detected) {
        out[k].detected = true;
        out[k].delay = static_cast<int64_t>(i) + 1;
      }
    }
  }
  return out;
}

}  // namespace

Result<ShiftBench> RunShiftBench(InferenceBackend& local, InferenceBackend& remote,
                                 const Dataset& validation, const Dataset& test,
                                 const ShiftBenchOptions& o) {
  if (test.size() < 4) return Status::InvalidArgument("the shift benchmark needs a test set");
  ShiftBench bench;
  bench.options = o;
  // The device's calibration: policy, drift references, input reference.
  HIEDGE_ASSIGN_OR_RETURN(Predictions val_local, Predict(local, validation, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(Predictions val_remote, Predict(remote, validation, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(DecisionConfig config,
                          CalibratePolicy(Labelled(val_local, val_remote, validation.labels),
                                          {.cost = CostModel{o.offload_cost, 1.0}}));
  config.input_reference = BuildInputReference(validation.images, validation.image_elements(),
                                               val_local.labels, val_local.classes);
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy policy, OffloadPolicy::FromConfig(config));
  bench.policy = policy.Describe();

  // False alarms: shuffled clean test streams through every detector.
  HIEDGE_ASSIGN_OR_RETURN(Predictions test_local, Predict(local, test, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(Predictions test_remote, Predict(remote, test, 500, true));
  for (const std::string& name : DetectorNames()) bench.false_alarms.push_back({name});
  std::mt19937_64 rng(o.seed);
  std::vector<size_t> order(test.size());
  const Half whole{&test, &test_local, &test_remote};
  for (int s = 0; s < o.clean_streams; ++s) {
    if (o.progress) o.progress("clean stream " + std::to_string(s + 1));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    HIEDGE_ASSIGN_OR_RETURN(DetectorSet set, DetectorSet::Create(config, o.false_alarm_rate));
    for (size_t i : order) {
      const PolicyDecision d = policy.Decide(whole.logits(i));
      const std::vector<bool> alarms =
          set.Observe(d, test_remote.labels[i] != d.prediction, test.sample(i).data);
      for (size_t k = 0; k < alarms.size(); ++k) {
        bench.false_alarms[k].alarms += alarms[k];
        ++bench.false_alarms[k].samples;
      }
    }
  }

  const size_t half = test.size() / 2;
  std::vector<size_t> first(half), second(test.size() - half);
  std::iota(first.begin(), first.end(), 0);
  std::iota(second.begin(), second.end(), half);
  const Dataset prefix = Subset(test, first), suffix = Subset(test, second);
  HIEDGE_ASSIGN_OR_RETURN(Predictions prefix_local, Predict(local, prefix, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(Predictions prefix_remote, Predict(remote, prefix, 500, true));
  const Half clean{&prefix, &prefix_local, &prefix_remote};
  for (const ShiftKind& kind : ShiftBenchKinds()) {
    if (!o.shifts.empty() &&
        std::find(o.shifts.begin(), o.shifts.end(), kind.name) == o.shifts.end())
      continue;
    if (o.progress) o.progress(kind.name);
    HIEDGE_ASSIGN_OR_RETURN(const Dataset shifted_data, MakeShiftedHalf(suffix, kind.name, o.seed));
    HIEDGE_ASSIGN_OR_RETURN(Predictions shifted_local, Predict(local, shifted_data, 500, true));
    HIEDGE_ASSIGN_OR_RETURN(Predictions shifted_remote, Predict(remote, shifted_data, 500, true));
    const Half shifted{&shifted_data, &shifted_local, &shifted_remote};
    ShiftBenchRow row;
    row.shift = kind.name;
    row.kind = kind.kind;
    const size_t n = shifted.size();
    std::vector<double> scores(n);
    std::vector<bool> local_right(n), remote_right(n);
    double fixed_errors = 0, offloads = 0;
    for (size_t i = 0; i < n; ++i) {
      const PolicyDecision d = policy.Decide(shifted.logits(i));
      scores[i] = d.score;
      local_right[i] = d.prediction == shifted_data.labels[i];
      remote_right[i] = shifted_remote.labels[i] == shifted_data.labels[i];
      row.local_accuracy += local_right[i];
      row.remote_accuracy += remote_right[i];
      offloads += d.offload;
      fixed_errors += d.offload ? !remote_right[i] : !local_right[i];
    }
    const double count = static_cast<double>(n);
    row.local_accuracy /= count;
    row.remote_accuracy /= count;
    row.fixed_accuracy = 1 - fixed_errors / count;
    row.fixed_offload = offloads / count;
    row.fixed_cost = (fixed_errors + o.offload_cost * offloads) / count;
    const DecisionFigures best = BestInHindsight(scores, local_right, remote_right, o.offload_cost);
    row.best_cost = best.cost;
    row.best_offload = best.offload;
    row.best_accuracy = best.accuracy;
    // What a learner must resolve: per sample, the best θ's loss minus the calibrated θ's.
    // Uniformly audited labels needed to tell them apart (one-sided, 95%):
    // (1.645 σ / |mean|)².
    double sum = 0, sum_sq = 0;
    for (size_t i = 0; i < n; ++i) {
      const auto loss = [&](bool offload) {
        return offload ? o.offload_cost + !remote_right[i] : static_cast<double>(!local_right[i]);
      };
      const double d = loss(scores[i] < best.theta) - loss(scores[i] < policy.theta());
      sum += d;
      sum_sq += d * d;
    }
    const double mean = sum / count;
    const double sd = std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
    row.labels_needed = mean < 0 ? std::pow(1.645 * sd / -mean, 2) : 0.0;
    row.labels_available = o.audit_rate * count;
    const int seeds = std::max(o.seeds, 1);
    row.learner_accuracy_worst = 1;
    for (int s = 0; s < seeds; ++s) {
      const LearnerReplayOptions replay{o.audit_rate, o.false_alarm_rate, true,
                                        o.seed + static_cast<uint64_t>(s)};
      HIEDGE_ASSIGN_OR_RETURN(
          const LearnerRun run,
          ReplayFieldLearner(
              config, policy, {clean.local, clean.remote, &clean.data->labels, clean.data},
              {shifted.local, shifted.remote, &shifted.data->labels, shifted.data}, replay));
      row.learner_cost += run.cost / seeds;
      row.learner_accuracy += run.accuracy / seeds;
      row.learner_offload += run.offload / seeds;
      row.learner_audit += run.audit / seeds;
      row.learner_cost_worst = std::max(row.learner_cost_worst, run.cost);
      row.learner_accuracy_worst = std::min(row.learner_accuracy_worst, run.accuracy);
      row.learner_audit_worst = std::max(row.learner_audit_worst, run.audit);
      row.learner_stream_audit_worst = std::max(row.learner_stream_audit_worst, run.stream_audit);
    }
    HIEDGE_ASSIGN_OR_RETURN(row.detectors,
                            RunDetectors(config, policy, clean, shifted, o.false_alarm_rate));
    bench.rows.push_back(std::move(row));
  }
  return bench;
}

}  // namespace hiedge
