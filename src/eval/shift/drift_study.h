// The drift study: the device's policy and drift detector replayed over streams of
// clean then shifted test images, per corruption, and over shuffled clean streams for
// the false-alarm rate. Same objects as the device (OffloadPolicy, DriftDetector).
#pragma once

#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "hiedge/decision/decision_config.h"

namespace hiedge {

struct DriftRow {
  std::string corruption;
  double offload_clean = 0, offload_shifted = 0;                    // Offload rate per half.
  double local_accuracy = 0, remote_accuracy = 0, hi_accuracy = 0;  // On the shifted half.
  bool detected = false;
  int64_t delay = -1;         // Shifted samples until the first alarm (-1: never).
  uint64_t clean_alarms = 0;  // Alarms on the clean half.
};

// The device's field learner over the same clean-then-shifted stream, with the
// detector's alarms forgetting its evidence. Accuracy and rates over the shifted half.
struct LearnerRow {
  std::string corruption;
  double local_accuracy = 0, remote_accuracy = 0, hi_accuracy = 0;  // Fixed policy.
  // Learner, audited samples labelled by the application: mean, min and max over the
  // audit seeds; the other labelled_* are means, θ and trust those of the first seed.
  double labelled_accuracy = 0, labelled_accuracy_min = 0, labelled_accuracy_max = 0;
  double labelled_offload = 0, labelled_audit = 0, labelled_theta = 0;  // Rate, rate, final θ.
  bool labelled_trusts_remote = true;                                   // At the end of the stream.
  double proxy_accuracy = 0;  // Learner, no labels (mean over seeds).
  double proxy_offload = 0;
  double offload_cost = 0;  // β of the policy: cost = β · offloaded + errors, per sample.
  double best_single() const { return std::max(local_accuracy, remote_accuracy); }
};

struct DriftStudy {
  std::string policy;
  double false_alarm_rate = 0;  // Stated.
  uint64_t clean_samples = 0;   // Over shuffled clean streams.
  uint64_t clean_alarms = 0;
  std::vector<DriftRow> rows;
  int severity = 0;
  double audit_rate = 0;
  int learner_seeds = 0;
  std::vector<LearnerRow> learner_rows;
};

// `clean` and `shifted[k]` hold the same images (the second half of the test set),
// clean and under corruption k; each stream is `prefix` (clean, the first half) then
// the shifted half.
struct DriftInputs {
  DecisionConfig config;
  std::vector<std::string> corruptions;
  const Predictions* prefix_local = nullptr;
  const Predictions* prefix_remote = nullptr;
  const std::vector<int32_t>* prefix_labels = nullptr;
  std::vector<Predictions> shifted_local, shifted_remote;
  const std::vector<int32_t>* shifted_labels = nullptr;
  // Clean predictions of the whole test set, shuffled into `clean_streams` streams.
  const Predictions* test_local = nullptr;
  const Predictions* test_remote = nullptr;
  int clean_streams = 20;
  uint64_t seed = 1;
  double false_alarm_rate = 1e-4;
  int severity = 3;          // Of the corruptions (for the report).
  double audit_rate = 0.02;  // Of the field learner.
  int learner_seeds = 5;     // Audit seeds each learner row is averaged over.
};

Result<DriftStudy> RunDriftStudy(const DriftInputs& in);
// Both sections: "Drift under shift" and "Learning in the field".
std::string DriftStudyToMarkdown(const DriftStudy& study);

}  // namespace hiedge
