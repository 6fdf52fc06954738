#include "eval/shift/drift_study.h"

#include <fmt/printf.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "eval/shift/learner_replay.h"
#include "hiedge/decision/drift.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {
namespace {

std::span<const float> Row(const Predictions& p, size_t i) {
  return std::span<const float>(p.logits).subspan(i * static_cast<size_t>(p.classes),
                                                  static_cast<size_t>(p.classes));
}

// One sample through the device's policy and detector; true when it offloaded.
bool Replay(const OffloadPolicy& policy, DriftDetector& detector, const Predictions& local,
            const Predictions& remote, size_t i, bool* alarm) {
  const PolicyDecision d = policy.Decide(Row(local, i));
  *alarm = detector.Observe(d.confidence, d.offload, d.offload,
                            d.offload && remote.labels[i] != d.prediction);
  return d.offload;
}

}  // namespace

Result<DriftStudy> RunDriftStudy(const DriftInputs& in) {
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy policy, OffloadPolicy::FromConfig(in.config));
  DriftStudy study;
  study.policy = policy.Describe();
  study.false_alarm_rate = in.false_alarm_rate;
  // Shuffled clean streams: the false-alarm rate.
  std::mt19937_64 rng(in.seed);
  std::vector<size_t> order(in.test_local->labels.size());
  for (int s = 0; s < in.clean_streams; ++s) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    HIEDGE_ASSIGN_OR_RETURN(DriftDetector detector,
                            DriftDetector::FromConfig(in.config, {in.false_alarm_rate}));
    for (size_t i : order) {
      bool alarm = false;
      Replay(policy, detector, *in.test_local, *in.test_remote, i, &alarm);
    }
    study.clean_samples += order.size();
    study.clean_alarms += detector.alarm_count();
  }
  for (size_t k = 0; k < in.corruptions.size(); ++k) {
    DriftRow row;
    row.corruption = in.corruptions[k];
    HIEDGE_ASSIGN_OR_RETURN(DriftDetector detector,
                            DriftDetector::FromConfig(in.config, {in.false_alarm_rate}));
    const size_t n_clean = in.prefix_labels->size();
    double offloads = 0;
    for (size_t i = 0; i < n_clean; ++i) {
      bool alarm = false;
      offloads += Replay(policy, detector, *in.prefix_local, *in.prefix_remote, i, &alarm);
      row.clean_alarms += alarm;
    }
    row.offload_clean = offloads / static_cast<double>(n_clean);
    const Predictions& local = in.shifted_local[k];
    const Predictions& remote = in.shifted_remote[k];
    const std::vector<int32_t>& labels = *in.shifted_labels;
    offloads = 0;
    double local_right = 0, remote_right = 0, hi_right = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      bool alarm = false;
      const bool offloaded = Replay(policy, detector, local, remote, i, &alarm);
      offloads += offloaded;
      if (alarm && !row.detected) {
        row.detected = true;
        row.delay = static_cast<int64_t>(i) + 1;
      }
      local_right += local.labels[i] == labels[i];
      remote_right += remote.labels[i] == labels[i];
      hi_right += (offloaded ? remote.labels[i] : local.labels[i]) == labels[i];
    }
    const double n = static_cast<double>(labels.size());
    row.offload_shifted = offloads / n;
    row.local_accuracy = local_right / n;
    row.remote_accuracy = remote_right / n;
    row.hi_accuracy = hi_right / n;
    study.rows.push_back(row);

    LearnerRow learned;
    learned.corruption = row.corruption;
    learned.local_accuracy = row.local_accuracy;
    learned.remote_accuracy = row.remote_accuracy;
    learned.hi_accuracy = row.hi_accuracy;
    const int seeds = std::max(in.learner_seeds, 1);
    learned.labelled_accuracy_min = 1;
    for (int s = 0; s < seeds; ++s) {
      const uint64_t seed = in.seed + static_cast<uint64_t>(s);
      const ReplayPart clean{in.prefix_local, in.prefix_remote, in.prefix_labels};
      const ReplayPart shifted{&in.shifted_local[k], &in.shifted_remote[k], in.shifted_labels};
      LearnerReplayOptions options{in.audit_rate, in.false_alarm_rate, true, seed};
      HIEDGE_ASSIGN_OR_RETURN(const LearnerRun labelled,
                              ReplayFieldLearner(in.config, policy, clean, shifted, options));
      options.label_audits = false;
      HIEDGE_ASSIGN_OR_RETURN(const LearnerRun proxy,
                              ReplayFieldLearner(in.config, policy, clean, shifted, options));
      learned.labelled_accuracy += labelled.accuracy / seeds;
      learned.labelled_accuracy_min = std::min(learned.labelled_accuracy_min, labelled.accuracy);
      learned.labelled_accuracy_max = std::max(learned.labelled_accuracy_max, labelled.accuracy);
      learned.labelled_offload += labelled.offload / seeds;
      learned.labelled_audit += labelled.audit / seeds;
      learned.proxy_accuracy += proxy.accuracy / seeds;
      learned.proxy_offload += proxy.offload / seeds;
      if (s == 0) {
        learned.labelled_theta = labelled.theta;
        learned.labelled_trusts_remote = labelled.trusts_remote;
      }
    }
    learned.offload_cost = in.config.offload_cost;
    study.learner_rows.push_back(learned);
  }
  study.severity = in.severity;
  study.audit_rate = in.audit_rate;
  study.learner_seeds = std::max(in.learner_seeds, 1);
  return study;
}

std::string DriftStudyToMarkdown(const DriftStudy& s) {
  std::string md = "## Drift under shift\n\n";
  md += fmt::sprintf(
      "The device's policy (%s, calibrated on validation) and its drift detector (three CUSUM "
      "tests against the calibration's offload rate, confidence histogram and S-ML/L-ML "
      "disagreement; stated false-alarm rate %.0e per sample) replayed over streams of 5,000 "
      "clean test images followed by the other 5,000 under each corruption "
      "(`hiedge/data/corruptions.h`, severity %d of 5; "
      "seeded). Delay = shifted samples until the first alarm (target: within 500).\n\n",
      s.policy, s.false_alarm_rate, s.severity);
  md += fmt::sprintf(
      "False alarms on %llu in-distribution samples (%s shuffled clean test streams): **%llu** "
      "(%.1e per sample; stated %.0e).\n\n",
      static_cast<unsigned long long>(s.clean_samples), std::to_string(s.clean_samples / 10000),
      static_cast<unsigned long long>(s.clean_alarms),
      s.clean_samples ? static_cast<double>(s.clean_alarms) / static_cast<double>(s.clean_samples)
                      : 0.0,
      s.false_alarm_rate);
  md +=
      "| corruption | offloaded clean → shifted | S-ML / L-ML / HI accuracy (shifted) | drift "
      "flagged | delay (samples) | alarms on the clean half |\n|---|---|---|---|---|---|\n";
  for (const DriftRow& r : s.rows) {
    md += fmt::sprintf("| %s | %.1f%% → %.1f%% | %.2f%% / %.2f%% / %.2f%% | %s | %s | %llu |\n",
                       r.corruption, 100 * r.offload_clean, 100 * r.offload_shifted,
                       100 * r.local_accuracy, 100 * r.remote_accuracy, 100 * r.hi_accuracy,
                       r.detected ? "yes" : "**no**",
                       r.delay < 0 ? std::string("–") : std::to_string(r.delay),
                       static_cast<unsigned long long>(r.clean_alarms));
  }
  md += "\n## Learning in the field\n\n";
  md += fmt::sprintf(
      "The same streams through the device's field learner (`hiedge/decision/field_learner.h`: "
      "AdaHedge over a grid of thresholds on importance-weighted losses, followed only once "
      "its saving over the calibrated θ is significant (δ 0.05; docs/field-learning.md "
      "states its regret bound), and drift alarms restart it). "
      "**Labelled**: %.0f%% of samples audited (sent even "
      "when accepted) and the application returns their true labels; the L-ML's answers "
      "stand in for labels only while labelled samples show it at least as accurate as the "
      "S-ML. **No labels**: the same audits, no labels; the L-ML's answers are believed "
      "while the two models disagree on offloads at most 0.25 more often than on "
      "validation. Accuracies over the shifted half, the learner's averaged over %d audit "
      "seeds (min–max in brackets: which samples happen to be audited moves it by about a "
      "point); target: the labelled learner within 1 pt of the better of S-ML-only and "
      "L-ML-only, on the mean. The learner minimises cost (β per "
      "offload, audits included, plus 1 per error), not errors alone, so the cost per "
      "sample is given too: L-ML-only pays β on every sample.\n\n",
      100 * s.audit_rate, s.learner_seeds);
  md +=
      "| corruption | S-ML / L-ML / fixed HI | labelled learner: accuracy (min–max), "
      "offloaded, audited, final θ, L-ML trusted | within 1 pt | cost: S-ML / L-ML / learner | no "
      "labels: accuracy, offloaded |\n"
      "|---|---|---|---|---|---|\n";
  for (const LearnerRow& r : s.learner_rows) {
    const double gap = r.labelled_accuracy - r.best_single();
    const double audits_accepted = std::max(0.0, r.labelled_audit * (1 - r.labelled_offload));
    md += fmt::sprintf(
        "| %s | %.2f%% / %.2f%% / %.2f%% | %.2f%% (%.2f–%.2f), %.1f%%, %.1f%%, %.3f, %s | %s "
        "(%+.2f pt) | "
        "%.3f / %.3f / %.3f | %.2f%%, %.1f%% |\n",
        r.corruption, 100 * r.local_accuracy, 100 * r.remote_accuracy, 100 * r.hi_accuracy,
        100 * r.labelled_accuracy, 100 * r.labelled_accuracy_min, 100 * r.labelled_accuracy_max,
        100 * r.labelled_offload, 100 * r.labelled_audit, r.labelled_theta,
        r.labelled_trusts_remote ? "yes" : "no", gap >= -0.01 ? "yes" : "**no**", 100 * gap,
        1 - r.local_accuracy, r.offload_cost + 1 - r.remote_accuracy,
        r.offload_cost * (r.labelled_offload + audits_accepted) + 1 - r.labelled_accuracy,
        100 * r.proxy_accuracy, 100 * r.proxy_offload);
  }
  md += "\n";
  return md;
}

}  // namespace hiedge
