// The device's field-learning loop replayed from predictions, for the studies (hiedge
// eval's learning section, hiedge shift-bench): policy score → learner θ and audit → the
// L-ML's answer for sent samples → the application's label for audits (when labelling)
// → the drift detector (outputs, and inputs when given), whose alarm restarts the
// learner. The same objects as DeviceRuntime; no network.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/core/eval.h"
#include "hiedge/common/status.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {

// One part of a stream: both models' predictions, the labels and, for input-side drift
// tests, the inputs (null: output tests only).
struct ReplayPart {
  const Predictions* local = nullptr;
  const Predictions* remote = nullptr;
  const std::vector<int32_t>* labels = nullptr;
  const Dataset* inputs = nullptr;
  size_t size() const { return labels->size(); }
};

struct LearnerReplayOptions {
  double audit_rate = 0.02;
  double false_alarm_rate = 1e-4;
  bool label_audits = true;  // The application labels every audited sample.
  uint64_t seed = 1;         // Of the audits.
};

// Over the last part (the shifted half), except stream_audit (the whole stream).
struct LearnerRun {
  double accuracy = 0, offload = 0, audit = 0;
  double cost = 0;  // β per sample sent (offloads and audits) + 1 per error, per sample.
  double stream_audit = 0;
  double theta = 0;  // At the end.
  bool trusts_remote = true;
};

// `clean` then `shifted` through the device's loop.
Result<LearnerRun> ReplayFieldLearner(const DecisionConfig& config, const OffloadPolicy& policy,
                                      const ReplayPart& clean, const ReplayPart& shifted,
                                      const LearnerReplayOptions& options);

}  // namespace hiedge
