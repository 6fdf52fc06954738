// The reproducible HI benchmark: any (data, S-ML, L-ML) triple through the real device
// -> server path on loopback (DeviceRuntime, the REST offload client, an HttpServer
// serving the L-ML), for three strategies: S-ML only, full offload and HI. One JSON
// holds every figure, each marked measured or modelled. `hiedge hi-bench` runs it; the
// demo, scripts/results.sh and the vibration use case use it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "eval/links/link_profile.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/device_profile.h"
#include "hiedge/decision/offload_policy.h"
#include "hiedge/engine/model.h"

namespace hiedge {

struct HiBenchOptions {
  std::string data = kFashionMnistDir;  // Any --data source (hiedge/data/data_source.h).
  std::string local_model = "models/sml.json";
  std::string remote_model = "models/lml.json";
  // A decision config (hiedge calibrate) for the HI row; "" = the max-softmax θ* at
  // `offload_cost`, calibrated here on the validation split carved from the training data.
  std::string decision_config;
  double offload_cost = 0.1;  // β: the HI row's θ* and every row's cost column.
  std::string profiles = "data/device_profiles.json";  // For modelled energy; "" = none.
  size_t limit = 0;                                    // Test samples; 0 = all.
  std::chrono::microseconds offload_deadline{std::chrono::milliseconds(500)};
  int threads = 1;  // Intra-op threads per model.
  // The link between device and server: a profile name or spec (eval/link_profile.h),
  // emulated by a LinkEmulator in front of the server; "" or "loopback" = loopback.
  std::string link;
  bool progress = true;
};

// One strategy's modelled device cost under one profile (local figures scaled by the
// S-ML's MACs against the profile's reference model, plus its offloads).
struct ModelledProfileCost {
  std::string profile;
  double latency_ms = 0;
  std::optional<double> energy_mj;
};

struct HiBenchRow {
  StrategyResult result;             // Measured on loopback.
  double bytes_sent_per_sample = 0;  // Measured: offload request bodies, as encoded.
  std::vector<ModelledProfileCost> modelled;
};

struct HiBenchReport {
  std::string data, local_model, remote_model;
  std::string policy;                    // The HI row's decision, described.
  std::vector<std::string> class_names;  // Of the data (DataClassNames).
  size_t validation_samples = 0;
  uint64_t validation_seed = 0;
  double local_validation_accuracy = 0;
  double remote_validation_accuracy = 0;
  int64_t local_macs = 0;
  size_t request_bytes = 0;      // One offload request body (REST, binary tensor data).
  std::string payload;           // "FP32" or "UINT8".
  eval::LinkProfile link;        // What the offloads crossed.
  std::vector<HiBenchRow> rows;  // S-ML only, full offload, HI.
};

Result<HiBenchReport> RunHiBench(const HiBenchOptions& options);

// The measuring core, shared with the demo: serves `remote` from an HttpServer on
// loopback (UINT8 payloads when it takes pixels), then runs a DeviceRuntime with
// `local` over `test` once per strategy through the REST offload client.
struct LoopbackStrategy {
  std::string name;
  OffloadPolicy policy;
};
struct LoopbackRun {
  std::vector<StrategyResult> results;  // One per strategy, in order.
  size_t request_bytes = 0;             // One offload request body, as sent.
  size_t fp32_request_bytes = 0;        // The same in FP32.
  std::string payload;                  // "FP32" or "UINT8".
};
Result<LoopbackRun> RunStrategiesOnLoopback(
    std::shared_ptr<InferenceBackend> local, std::shared_ptr<InferenceBackend> remote,
    const Dataset& test, const std::vector<LoopbackStrategy>& strategies, const CostModel& cost,
    std::chrono::microseconds offload_deadline, bool progress,
    const eval::LinkProfile& link = eval::LinkProfile{"loopback"});

// The report as one JSON document: each figure {"value": v, "kind": "measured" |
// "modelled"}. And as a fixed-width table, and a Markdown section (a Table 1 analogue).
std::string HiBenchToJson(const HiBenchReport& report);
std::string HiBenchToText(const HiBenchReport& report);
std::string HiBenchToMarkdown(const HiBenchReport& report, const std::string& title,
                              const std::string& command);

}  // namespace hiedge
