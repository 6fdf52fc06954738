#include "hiedge/decision/drift.h"

#include <algorithm>
#include <cmath>

#include "hiedge/decision/calibrate.h"

namespace hiedge {
namespace {

// Keeps probabilities away from 0 and 1 so every log-likelihood ratio is finite.
double Clip(double p) { return std::clamp(p, 1e-4, 1 - 1e-4); }

}  // namespace

Result<DriftDetector> DriftDetector::FromConfig(const DecisionConfig& config,
                                                const DriftOptions& options) {
  if (!(options.false_alarm_rate > 0 && options.false_alarm_rate < 1)) {
    return Status::InvalidArgument("drift false-alarm rate must be in (0, 1)");
  }
  if (options.output_tests &&
      config.confidence_histogram.size() != static_cast<size_t>(kConfidenceHistogramBins)) {
    return Status::FailedPrecondition(
        "the decision config has no drift reference (confidence histogram); recalibrate it "
        "with this hiedge's `hiedge calibrate`");
  }
  DriftDetector d;
  d.output_ = options.output_tests;
  if (options.input_tests) d.BuildInputTests(config.input_reference);
  if (!d.output_ && !d.has_input_tests()) {
    return Status::FailedPrecondition(
        "no drift test to run: the decision config has no input reference (recalibrate with "
        "`hiedge calibrate`) and the output tests are off");
  }
  // The budget: half to each group when both run.
  const double share = d.output_ && d.has_input_tests() ? 0.5 : 1.0;
  const double alpha = share * options.false_alarm_rate;
  d.h_ = std::log(3.0 / alpha);
  const size_t input_count = d.input_tests_.size() + d.class_tests_.size();
  d.h_input_ = std::log(static_cast<double>(std::max<size_t>(input_count, 1)) / alpha);
  if (!d.output_) return d;
  const double p0 = Clip(config.calibration_offload_fraction);
  const double p1 = Clip(std::max(2 * p0, p0 + 0.1));
  d.offload_yes_ = std::log(p1 / p0);
  d.offload_no_ = std::log((1 - p1) / (1 - p0));
  const double uniform = 1.0 / kConfidenceHistogramBins;
  for (double q : config.confidence_histogram) {
    const double q0 = std::max(q, 1e-4);
    d.confidence_llr_.push_back(std::log((q0 + uniform) / 2 / q0));
  }
  const double d0 = Clip(config.offload_disagreement);
  const double d1 = Clip(std::max(2 * d0, d0 + 0.2));
  d.disagree_yes_ = std::log(d1 / d0);
  d.disagree_no_ = std::log((1 - d1) / (1 - d0));
  return d;
}

void DriftDetector::BuildInputTests(const InputReference& reference) {
  constexpr double kTilt = 2.0;
  reference_ = reference;
  for (size_t f = 0; f < reference.features.size(); ++f) {
    const std::vector<double>& q = reference.features[f].shares;
    std::vector<double> mid(q.size());
    double below = 0;
    for (size_t b = 0; b < q.size(); ++b) {
      mid[b] = below + q[b] / 2;
      below += q[b];
    }
    const std::pair<const char*, double (*)(double)> tilts[] = {
        {"up", [](double u) { return u; }},
        {"down", [](double u) { return 1 - u; }},
        {"spread", [](double u) { return std::abs(2 * u - 1); }}};
    for (const auto& [suffix, g] : tilts) {
      // llr_b = λ g_b - ln Z with Z = Σ q_b e^{λ g_b}: a proper alternative, so the
      // reference's expected e^{llr} is 1 (what Lorden's bound needs).
      double z = 0;
      for (size_t b = 0; b < q.size(); ++b) z += q[b] * std::exp(kTilt * g(mid[b]));
      BinTest test;
      test.feature = f;
      const auto& names = InputFeatureNames();
      test.value_index = static_cast<size_t>(
          std::find(names.begin(), names.end(), reference.features[f].name) - names.begin());
      test.name = "input_" + reference.features[f].name + "_" + suffix;
      for (size_t b = 0; b < q.size(); ++b) test.llr.push_back(kTilt * g(mid[b]) - std::log(z));
      input_tests_.push_back(std::move(test));
    }
  }
  for (double share : reference.class_shares) {
    const double s0 = Clip(share);
    const double s1 = Clip(std::max(2 * s0, s0 + 0.1));
    class_tests_.push_back({std::log(s1 / s0), std::log((1 - s1) / (1 - s0)), {}});
  }
}

std::string DriftDetector::ObserveInput(std::span<const float> input, int predicted_class) {
  std::string fired;
  if (!input.empty() && !input_tests_.empty()) {
    const std::array<double, kInputFeatureCount> values = InputFeatures(input);
    for (BinTest& t : input_tests_) {
      const int bin = reference_.features[t.feature].Bin(values[t.value_index]);
      if (t.cusum.Add(t.llr[static_cast<size_t>(bin)], h_input_) && fired.empty()) fired = t.name;
    }
  }
  if (predicted_class >= 0) {
    for (size_t c = 0; c < class_tests_.size(); ++c) {
      ClassTest& t = class_tests_[c];
      const bool yes = static_cast<int>(c) == predicted_class;
      if (t.cusum.Add(yes ? t.yes : t.no, h_input_) && fired.empty())
        fired = "predicted_class_" + std::to_string(c);
    }
  }
  return fired;
}

bool DriftDetector::Observe(float confidence, bool offloaded, bool remote_answered,
                            bool disagreed) {
  ++observed_;
  std::string fired;
  if (!output_) return false;
  if (offload_.Add(offloaded ? offload_yes_ : offload_no_, h_)) fired = "offload_rate";
  if (confidence_.Add(confidence_llr_[static_cast<size_t>(ConfidenceBin(confidence))], h_) &&
      fired.empty()) {
    fired = "confidence";
  }
  if (offloaded && remote_answered &&
      disagreement_.Add(disagreed ? disagree_yes_ : disagree_no_, h_) && fired.empty()) {
    fired = "disagreement";
  }
  return Raise(fired);
}

bool DriftDetector::ObserveLocal(float confidence, bool offloaded) {
  return Observe(confidence, offloaded, /*remote_answered=*/false, /*disagreed=*/false);
}

bool DriftDetector::ObserveSample(float confidence, bool offloaded,
                                  std::span<const float> input, int predicted_class) {
  if (Observe(confidence, offloaded, /*remote_answered=*/false, /*disagreed=*/false)) return true;
  return Raise(ObserveInput(input, predicted_class));
}

bool DriftDetector::ObserveAnswer(bool disagreed) {
  if (!output_) return false;
  return Raise(disagreement_.Add(disagreed ? disagree_yes_ : disagree_no_, h_) ? "disagreement"
                                                                               : "");
}

bool DriftDetector::Raise(const std::string& statistic) {
  if (statistic.empty()) return false;
  ++alarm_count_;
  const uint64_t sample = observed_ == 0 ? 0 : observed_ - 1;
  if (alarms_.size() < kMaxAlarms) alarms_.push_back({sample, statistic});
  // The latest episode of this statistic, extended when near enough (or when no room
  // for a new one is left).
  auto latest = std::find_if(episodes_.rbegin(), episodes_.rend(),
                             [&](const DriftEpisode& e) { return e.statistic == statistic; });
  const bool room = episodes_.size() < kMaxEpisodes;
  if (latest != episodes_.rend() && (sample <= latest->last_sample + kEpisodeGap || !room)) {
    latest->last_sample = std::max(latest->last_sample, sample);
    ++latest->alarms;
  } else if (room) {
    episodes_.push_back({statistic, sample, sample, 1});
  } else {
    ++episodes_.back().alarms;  // No episode of this statistic and no room: the last one.
    episodes_.back().last_sample = std::max(episodes_.back().last_sample, sample);
  }
  // Restart: the next alarm is a new one.
  offload_.s = confidence_.s = disagreement_.s = 0;
  for (BinTest& t : input_tests_) t.cusum.s = 0;
  for (ClassTest& t : class_tests_) t.cusum.s = 0;
  return true;
}

}  // namespace hiedge
