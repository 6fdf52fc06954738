// Three tiers on loopback (issue 11's device → edge → cloud row): the device runs the
// S-ML and offloads to an edge server whose "edge" model is a cascade tier (a mid-size
// model and its policy) forwarding to a cloud server with the L-ML. One cost model:
// β per tier, each tier's θ calibrated on validation against what its next tier
// answers there.
#pragma once

#include <chrono>
#include <string>

#include "eval/core/eval.h"
#include "hiedge/cascade/cascade.h"

namespace hiedge {

struct CascadeRunOptions {
  std::string device_model = "models/sml.json";
  std::string edge_model = "models/sml_large.json";
  std::string cloud_model = "models/lml.json";
  double device_offload_cost = 0.1;  // β of an offload device → edge.
  double edge_offload_cost = 0.1;    // β of an offload edge → cloud.
  std::chrono::microseconds deadline{std::chrono::milliseconds(500)};  // Per hop.
  int threads = 1;
  bool progress = false;
};

struct CascadeRunSummary {
  // The device's view: accuracy, offloads to the edge, latency; its `cost` prices both
  // tiers' offloads (errors + β_device·offloads + β_edge·forwards).
  StrategyResult result;
  double device_theta = 0;
  double edge_theta = 0;
  uint64_t edge_rows = 0;  // Samples the edge was asked (= the device's offloads).
  uint64_t edge_answered = 0;
  uint64_t cloud_forwarded = 0;  // Samples the edge sent on to the cloud.
  uint64_t edge_fallbacks = 0;   // Sent on, but the cloud failed: the edge answered.
  double cost_per_sample = 0;    // (errors + β_device·offloads + β_edge·forwards) / samples.
  double cloud_share() const {
    return result.samples ? double(cloud_forwarded) / result.samples : 0;
  }
};

// Calibrates both tiers' policies on `validation`, starts the cloud and edge servers
// on loopback (REST, UINT8 pixels where the models take them) and runs the device over
// `test`.
Result<CascadeRunSummary> RunCascadeOnLoopback(const CascadeRunOptions& options,
                                               const Dataset& validation, const Dataset& test);

}  // namespace hiedge
