// A load generator in the spirit of Triton's perf_analyzer: for each concurrency
// level, closed-loop clients send batch-1 requests; measurement windows repeat until
// throughput and p50 latency are stable; throughput and latency percentiles result.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/data/data.h"
#include "hiedge/device/device.h"

namespace hiedge {

struct LoadgenOptions {
  OffloadOptions server;
  std::vector<int> concurrency = {1, 2, 4, 8, 16, 32, 64};
  std::chrono::milliseconds window{1000};
  double stability = 0.10;  // Windows agree within ±10% on throughput and p50.
  int max_windows = 10;
  std::chrono::milliseconds deadline{std::chrono::seconds(10)};
};

struct LoadLevel {
  int concurrency = 0;
  int windows = 0;  // Windows measured until stable (or max_windows).
  bool stable = false;
  // Sent in the reported windows (the last two if stable, else the last): answered +
  // failures. Throughput and latencies count the answered ones.
  size_t requests = 0;
  size_t failures = 0;
  double throughput_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0;
};

// Runs the sweep against a live server, sending `images` in turn.
Result<std::vector<LoadLevel>> RunLoad(const LoadgenOptions& options, const Dataset& images);
std::string LoadLevelsToJson(const std::vector<LoadLevel>& levels);
std::string LoadLevelsToTable(const std::vector<LoadLevel>& levels);

}  // namespace hiedge
