// Evaluation of HI strategies: offline predictions, device runs, and their summaries.
#pragma once

#include <string>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/decision.h"
#include "hiedge/decision/device_profile.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"

namespace hiedge {

// Per-sample predictions of one model on a dataset.
struct Predictions {
  std::vector<int> labels;         // Predicted class per sample.
  std::vector<float> confidences;  // Max softmax per sample.
  std::vector<float> logits;       // Row-major [samples, classes].
  int classes = 0;
};

// InvalidArgument, naming both, when `data`'s images do not have the model's input
// shape: a data set for another model is an error, never a truncated answer.
Status CheckDataFitsModel(const Dataset& data, const ModelInfo& model);

// Runs `model` over `data` in batches of `batch_size` (CheckDataFitsModel first).
Result<Predictions> Predict(InferenceBackend& model, const Dataset& data, int batch_size = 256,
                            bool progress = false);

// Every exit's predictions: the early exits in order, then the final exit.
Result<std::vector<Predictions>> PredictAllExits(InferenceBackend& model, const Dataset& data,
                                                 int batch_size = 256, bool progress = false);

double AccuracyOf(const Predictions& p, const Dataset& data);

// What every study of a model evaluates on: the seeded validation part of `data_dir`'s
// training split (calibration) and its test split (reporting), both loaded for `model`'s
// input shape and classes (LoadDataForModel).
struct StudySplits {
  Dataset validation;
  Dataset test;
};
Result<StudySplits> LoadStudySplits(const std::string& data_dir, const ModelInfo& model);

// Device profiles in data/device_profiles.json's format, from `path`; none for "".
Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& path);

// The q-quantile (q in [0, 1]) of `values` by nearest rank on the sorted values; 0 when
// empty.
double Percentile(std::vector<double> values, double q);

// Joins local (S-ML) and remote (L-ML) predictions with the true labels.
// Requires both to have data.size() samples.
// The calibration view of one split: views into `local`, `remote` and `labels`, which
// must outlive it.
LabelledLogits Labelled(const Predictions& local, const Predictions& remote,
                        const std::vector<int32_t>& labels);

std::vector<SampleOutcome> JoinOutcomes(const Predictions& local, const Predictions& remote,
                                        const Dataset& data);

// One row of a comparison table. Field names match the JSON schema in docs/results-schema.md.
struct StrategyResult {
  std::string strategy;
  double theta = 0;
  size_t samples = 0;
  size_t offloaded = 0;
  size_t fallbacks = 0;      // Offloads answered locally after an error or missed deadline.
  size_t device_errors = 0;  // Wrong answers given by the device's own model.
  size_t server_errors = 0;  // Wrong answers given by the server's model.
  double accuracy = 0;
  double offload_cost = 0;     // β used for `cost`.
  double cost = 0;             // β per offload + 1 per misclassification (total).
  double mean_latency_ms = 0;  // Per inference, as seen on the device.
  double p50_latency_ms = 0;
  double p99_latency_ms = 0;
  double mean_local_ms = 0;
  double mean_offload_ms = 0;   // Over offloaded samples.
  double throughput_per_s = 0;  // Samples answered per second of wall time.
  double wall_seconds = 0;

  double offload_fraction() const { return samples ? double(offloaded) / samples : 0; }
};

// Streams every sample of `data` through `device`, as a device would (unsure samples
// batched per its offload options), and returns one record per sample in order.
// A local-model error stops the run and is returned.
// With `label_audits`, gives the device the true label of every audited sample as it
// is answered (the application's part in learning in the field).
Result<std::vector<SampleRecord>> RunDevice(DeviceRuntime& device, const Dataset& data,
                                            const std::string& label, double* wall_seconds,
                                            bool progress = true, bool label_audits = false);

StrategyResult Summarize(const std::string& strategy, double theta,
                         const std::vector<SampleRecord>& records, const Dataset& data,
                         const CostModel& cost, double wall_seconds);

// Machine-readable forms of a set of results: a JSON array of objects, and CSV with a
// header row. Human form: a fixed-width table.
std::string ResultsToJson(const std::vector<StrategyResult>& results);
std::string ResultsToCsv(const std::vector<StrategyResult>& results);
std::string ResultsToTable(const std::vector<StrategyResult>& results);

struct BetaSweepRow {
  double beta = 0;
  double theta = 0;             // θ*(β) chosen on validation.
  double offload_fraction = 0;  // On test.
  double hi_cost = 0;           // Mean cost per sample on test.
  double full_offload_cost = 0;
  double no_offload_cost = 0;
  double reduction_vs_full = 0;  // 1 - hi / full.
};

// For β = 0, 1/steps, ..., 1: θ*(β) chosen on `validation`, priced on `test`.
std::vector<BetaSweepRow> SweepOffloadCost(const std::vector<SampleOutcome>& validation,
                                           const std::vector<SampleOutcome>& test, int steps = 20);

}  // namespace hiedge
