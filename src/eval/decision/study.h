// The decision-module study: every offload decision fitted on the validation split
// and compared on the test split, calibration, the accuracy guarantee on resamples,
// and the online learner on a stream with a shift.
#pragma once

#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "eval/core/timing.h"
#include "hiedge/decision/binary_filter.h"
#include "hiedge/decision/device_profile.h"
#include "hiedge/decision/guarantee.h"
#include "hiedge/decision/schedule.h"
#include "hiedge/decision/signals.h"
#include "hiedge/decision/temperature.h"

namespace hiedge {

// Predictions of the S-ML (local) and L-ML (remote) on one split, with its labels.
struct SplitPredictions {
  Predictions local;
  Predictions remote;
  std::vector<int32_t> labels;
};

struct StudyOptions {
  double offload_cost = 0.1;      // β
  double accuracy_margin = 0.01;  // Guarantee target: L-ML validation accuracy - margin.
  double delta = 0.1;             // Guarantee: 1 - confidence.
  int resamples = 300;            // Validation resamples for the guarantee.
  size_t resample_size = 5000;    // Drawn with replacement from validation.
  uint64_t seed = 7;
  std::vector<DeviceProfile> profiles;         // Devices to model latency and energy for.
  JobTimes job_times;                          // Measured; 0 skips the makespan comparison.
  std::vector<SplitMeasurement> partitioning;  // Measured; reported as given.
  std::vector<FilterSample> filter;            // Binary-filter use case on test; empty skips it.
  std::vector<int> filter_classes;             // The classes of interest, for the report.
};

// Modelled device cost of one strategy on one profiled device (not measured here).
struct ProfiledStrategy {
  std::string strategy;  // "No offload", "Full offload", "HI <module>"
  std::string device;
  double accuracy = 0;  // Measured on test with the shipped models.
  double offload_fraction = 0;
  ModelledCost cost;  // Per inference, from the device profile.
};

struct ModuleResult {
  std::string module;       // max_softmax | margin | neg_entropy | logistic_top2
  bool calibrated = false;  // On temperature-scaled probabilities.
  double theta = 0;         // Chosen on validation (min cost at β); on the module's score.
  double accuracy = 0;      // On test, at theta.
  double offload_fraction = 0;
  double mean_cost = 0;
  DetectionStats detection;           // Offload decision vs "S-ML wrong", on test.
  std::vector<double> curve_offload;  // Test accuracy-vs-offload curve.
  std::vector<double> curve_accuracy;
  std::vector<BetaSweepRow> sweep;  // θ*(β) on validation, cost on test.
  std::string name() const { return module + (calibrated ? "+T" : ""); }
};

struct CalibrationResult {
  double temperature = 1;
  double ece_before = 0;  // On test.
  double ece_after = 0;
  std::vector<ReliabilityBin> before;
  std::vector<ReliabilityBin> after;
};

struct GuaranteeResult {
  double target_accuracy = 0;
  double delta = 0;
  int resamples = 0;
  size_t resample_size = 0;
  // The guarantee is P(a threshold is claimed and misses the target) <= delta; a
  // resample where nothing can be certified claims nothing and is not a violation.
  double certified_rate = 0;  // Fraction of resamples where a threshold was certified.
  double met_rate = 0;        // Fraction of resamples not violating the target on test.
  // The same on the whole validation split, the population the resamples are drawn
  // from with replacement, as the bound assumes (test is a slightly different one).
  double met_rate_held_out = 0;
  double mean_offload_fraction = 0;  // Over certified resamples.
  double mean_test_accuracy = 0;
  double min_test_accuracy = 0;
};

struct OnlineResult {
  std::string stream;                   // "stationary" or "shift"
  size_t shift_at = 0;                  // Index of the first shifted sample (0: none).
  std::vector<double> t;                // Sample counts at which the series are taken.
  std::vector<double> learner_loss;     // Cumulative pseudo-loss.
  std::vector<double> best_fixed_loss;  // Best fixed θ in hindsight over the prefix.
  std::vector<double> regret;
  std::vector<double> mean_threshold;
};

struct DecisionStudy {
  double offload_cost = 0;  // β of the study.
  double local_validation_accuracy = 0;
  double remote_validation_accuracy = 0;
  double local_test_accuracy = 0;
  double remote_test_accuracy = 0;
  CalibrationResult calibration;
  std::vector<ModuleResult> modules;
  GuaranteeResult guarantee;
  std::vector<OnlineResult> online;
  std::vector<ProfiledStrategy> profiled;
  JobTimes job_times;
  std::vector<ScheduleResult> schedules;  // HI (max_softmax θ*), tinyML, full, OMA, OMD.
  std::vector<SplitMeasurement> partitioning;
  std::vector<int> filter_classes;
  std::vector<BinaryFilterResult> filter;  // At threshold 0.5, for several β.
};

// `stream` holds test-set predictions of a stream whose second half is shifted
// (e.g. corrupted images); empty to skip the shift experiment.
Result<DecisionStudy> RunDecisionStudy(const SplitPredictions& validation,
                                       const SplitPredictions& test,
                                       const SplitPredictions& shifted,
                                       const StudyOptions& options);

// Writes study.json, modules.csv and the plots (PNG + SVG) under `dir`.
Status WriteDecisionStudy(const DecisionStudy& study, const std::string& dir);
std::string DecisionStudyToText(const DecisionStudy& study);

// docs/results.md: the study's tables and plots, with the command that regenerates them.
std::string DecisionStudyToMarkdown(const DecisionStudy& study, const std::string& plots_dir,
                                    const std::string& command);

}  // namespace hiedge
