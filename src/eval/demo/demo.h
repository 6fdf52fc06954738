// The end-to-end demo (the main job): calibrate on validation, start an edge server
// on loopback, run the device over the test set for each strategy, and report.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "eval/demo/cascade_run.h"
#include "eval/two_level/two_level_eval.h"
#include "hiedge/data/data.h"

namespace hiedge {

struct DemoOptions {
  std::string local_model = "models/sml.json";  // Card paths.
  std::string remote_model = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::string results_dir = "results";
  double offload_cost = 0.1;      // β for the HI(θ*, β) row and the cost column.
  double accuracy_margin = 0.01;  // HI target = L-ML validation accuracy - margin.
  size_t limit = 0;               // Test samples to use; 0 = all.
  int port = 0;                   // Loopback port of the in-process server; 0 = any free.
  std::chrono::microseconds offload_deadline{std::chrono::milliseconds(500)};
  bool progress = true;
  int threads = 1;  // Intra-op threads for both models.
  // Two-level architecture (seed 004) section: its config's path; "" skips it.
  std::string two_level_config = "models/two_level.json";
  // Three tiers (device -> edge -> cloud): the edge tier's model card; "" skips it.
  std::string edge_model = "models/sml_large.json";
  // The device's link to its server(s) for the strategies and the two-level run
  // (eval/link_profile.h); "" or "loopback" = none. The three-tier run stays on loopback.
  std::string link;
};

struct DemoReport {
  double local_validation_accuracy = 0;
  double remote_validation_accuracy = 0;
  double break_even_beta = 0;  // Offloading anything pays only below this β (validation).
  double marginal_beta = 0;    // From this β on, θ* offloads under 1% (validation).
  std::vector<StrategyResult> strategies;
  std::vector<BetaSweepRow> sweep;
  std::vector<std::string> notes;
  // What one offload puts on the wire: the request body (REST, binary tensor data) for
  // one image, as sent (UINT8 pixels when the L-ML's card declares them) and in FP32.
  std::string offload_datatype = "FP32";
  size_t offload_request_bytes = 0;
  size_t fp32_request_bytes = 0;
  // The two-level run on loopback (seed 004), when DemoOptions::two_level_config is set.
  bool has_two_level = false;
  TwoLevelRunSummary two_level;
  std::vector<std::vector<int>> two_level_placement;  // Experts per cluster (Alg. 1).
  // The three-tier run (also a row of `strategies`), when DemoOptions::edge_model is set.
  bool has_three_tier = false;
  CascadeRunSummary three_tier;
};

Result<DemoReport> RunDemo(const DemoOptions& options);

// Writes demo.json, strategies.csv, beta_sweep.csv under options.results_dir.
Status WriteDemoResults(const DemoReport& report, const std::string& results_dir);
std::string DemoReportToText(const DemoReport& report);
// The demo's strategies over loopback, the device -> edge -> cloud cascade among them,
// as a results-document section.
std::string DemoReportToMarkdown(const DemoReport& report);

}  // namespace hiedge
