// The shift benchmark (`hiedge shift-bench`): streams of the first half of the test set,
// clean, then the second half under each of ShiftBenchKinds() (16 shifts and a clean
// control). On every stream it measures
//   - the decision: S-ML-only, L-ML-only, the calibrated θ and the single best θ in
//     hindsight on the shifted half (cost = β per offload + 1 per error, per sample);
//   - the device's field learner, with the application labelling its audits, over
//     `seeds` audit seeds: mean and worst seed;
//   - drift detectors side by side on the same samples: hiedge's CUSUM tests on the
//     outputs, on the inputs, and both (as the device runs them), against ADWIN and
//     Page-Hinkley on the same signals (confidence, offload, the four input features):
//     detection delay in shifted samples, misses, alarms on the clean half, and the mean
//     number of samples between false alarms on shuffled clean test streams.
// Replayed from the models' predictions through the device's own objects
// (OffloadPolicy, FieldLearner, DriftDetector); no network.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"

namespace hiedge {

struct ShiftBenchOptions {
  double offload_cost = 0.1;  // β of the calibration and of every cost.
  double audit_rate = 0.02;
  double false_alarm_rate = 1e-4;   // Of hiedge's detectors.
  int seeds = 5;                    // Audit seeds per learner row.
  uint64_t seed = 1;                // Of the shifts, shuffles and first audit seed.
  int clean_streams = 20;           // Shuffled clean test streams for false alarms.
  std::vector<std::string> shifts;  // Empty: all of ShiftBenchKinds().
  std::function<void(const std::string&)> progress;  // Called per shift; may be empty.
};

struct DetectorOutcome {
  std::string detector;
  bool detected = false;
  int64_t delay = -1;         // Shifted samples until the first alarm, -1: missed.
  uint64_t clean_alarms = 0;  // On the clean half of this stream.
};

struct ShiftBenchRow {
  std::string shift, kind;
  double local_accuracy = 0, remote_accuracy = 0;  // Alone, on the shifted half.
  double fixed_accuracy = 0, fixed_offload = 0, fixed_cost = 0;
  double best_cost = 0, best_offload = 0, best_accuracy = 0;  // Best θ in hindsight.
  // Labelled audits (uniform) needed to tell the best θ from the calibrated one at 95%
  // one-sided (0 when the calibrated θ is the best), and what the audit rate gives.
  double labels_needed = 0, labels_available = 0;
  // The learner over the seeds: mean and worst (highest cost / lowest accuracy).
  double learner_cost = 0, learner_cost_worst = 0;
  double learner_accuracy = 0, learner_accuracy_worst = 0;
  double learner_offload = 0, learner_audit = 0, learner_audit_worst = 0;  // Rates.
  double learner_stream_audit_worst = 0;  // Audit rate over the whole stream, worst seed.
  std::vector<DetectorOutcome> detectors;
  double best_single() const { return std::max(local_accuracy, remote_accuracy); }
};

struct DetectorFalseAlarms {
  std::string detector;
  uint64_t samples = 0, alarms = 0;
};

struct ShiftBench {
  ShiftBenchOptions options;
  std::string policy;
  std::vector<ShiftBenchRow> rows;
  std::vector<DetectorFalseAlarms> false_alarms;
};

// `validation` calibrates the policy and the drift references; `test` gives the streams.
Result<ShiftBench> RunShiftBench(InferenceBackend& local, InferenceBackend& remote,
                                 const Dataset& validation, const Dataset& test,
                                 const ShiftBenchOptions& options);

std::string ShiftBenchToMarkdown(const ShiftBench& bench, const std::string& command);
std::string ShiftBenchToJson(const ShiftBench& bench);
std::string ShiftBenchToCsv(const ShiftBench& bench);

}  // namespace hiedge
