#include "hiedge/drift.h"

#include <algorithm>
#include <cmath>

#include "hiedge/calibrate.h"

namespace hiedge {
namespace {

// Keeps probabilities away from 0 and 1 so every log-likelihood ratio is finite.
double Clip(double p) { return std::clamp(p, 1e-4, 1 - 1e-4); }

}  // namespace

Result<DriftDetector> DriftDetector::FromConfig(const DecisionConfig& config,
                                                const DriftOptions& options) {
  if (config.confidence_histogram.size() != static_cast<size_t>(kConfidenceHistogramBins)) {
    return Status::FailedPrecondition(
        "the decision config has no drift reference (confidence histogram); recalibrate it "
        "with this hiedge's `hiedge calibrate`");
  }
  if (!(options.false_alarm_rate > 0 && options.false_alarm_rate < 1)) {
    return Status::InvalidArgument("drift false-alarm rate must be in (0, 1)");
  }
  DriftDetector d;
  d.h_ = std::log(3.0 / options.false_alarm_rate);
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

bool DriftDetector::Observe(float confidence, bool offloaded, bool remote_answered,
                            bool disagreed) {
  ++observed_;
  std::string fired;
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

bool DriftDetector::ObserveAnswer(bool disagreed) {
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
  offload_.s = confidence_.s = disagreement_.s = 0;  // Restart: the next alarm is a new one.
  return true;
}

}  // namespace hiedge
