// Seed 004's Tables 3 and 4 on loopback: the two-level system against DNN
// partitioning of the L-ML, on the same servers in one run. Partitioning runs the
// L-ML's head on the device and sends the activation to the server with the shortest
// measured wait (the multi-endpoint client's EndpointSelector), whose tail model
// finishes it; two-level runs the S-ML and asks experts placed by Alg. 1. Time per
// input is measured with the servers idle and with every server loaded by closed-loop
// clients sending full L-ML requests.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "eval/core/table.h"
#include "hiedge/common/status.h"
#include "hiedge/data/data.h"

namespace hiedge {

struct PartitionStudyOptions {
  std::string two_level_config = "models/two_level.json";
  std::string large_model = "models/lml.json";
  int clusters = 2;  // Loopback servers; experts placed by Alg. 1 (seeded demand).
  double experts_per_server = 3;
  uint64_t seed = 1;
  size_t images = 400;              // Test images per approach and load level.
  int rounds = 4;                   // Approaches interleaved in this many rounds.
  int load_clients_per_server = 2;  // Closed-loop L-ML clients per server when loaded.
  std::chrono::microseconds deadline{std::chrono::seconds(5)};
  // The device's link to every server (eval/link_profile.h); "" or "loopback" = none.
  // The background load reaches the servers directly.
  std::string link;
};

struct PartitionStudyRow {
  std::string approach;  // "two-level (Alg. 2 + recall)" or "partitioned L-ML, cut after stage k"
  int cut = -1;          // Partitioning: the device runs stages [0, cut).
  double accuracy = 0;
  double device_mmacs = 0, server_mmacs = 0;  // Per image.
  double upload_bytes = 0;                    // Per image, as sent (FP32).
  double idle_mean_ms = 0, idle_p50_ms = 0;   // Time per input, servers idle.
  double loaded_mean_ms = 0, loaded_p50_ms = 0;
  size_t fallbacks = 0;  // Inputs without a server answer (both levels).
};

struct PartitionStudy {
  std::vector<PartitionStudyRow> rows;  // Two-level first, then every interior cut.
  size_t images = 0;
  std::string link = "loopback";   // The device's link to the servers.
  double load_requests_per_s = 0;  // What the background clients got served, loaded phase.
  Table Rows() const;              // One row per approach, as every rendering shows it.
  std::string ToTable() const;
  std::string ToJson() const;
  std::string ToCsv() const { return Rows().ToCsv(); }
  // A results-document section (seed 004 Tables 3 and 4) with the best cut named.
  std::string ToMarkdown() const;
};

Result<PartitionStudy> RunPartitionStudy(const PartitionStudyOptions& options, const Dataset& test);

}  // namespace hiedge
