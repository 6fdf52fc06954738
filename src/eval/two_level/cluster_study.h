// Seed 004 §1's street cameras: clusters whose inputs have different class mixes.
// Each cluster's device sees its own stream; Alg. 1 places experts from the demand
// *measured* on a calibration window of each stream (the first level's top
// superclass), and the streams then run over loopback servers, one per cluster.
// Compared with the same Alg. 1 fed the pooled demand (blind to the skew).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "eval/core/table.h"
#include "hiedge/common/status.h"
#include "hiedge/data/data.h"

namespace hiedge {

struct ClusterStudyOptions {
  std::string two_level_config = "models/two_level.json";
  int clusters = 3;
  double experts_per_server = 2;     // Room per server, in experts.
  uint64_t seed = 1;                 // Mixes and streams.
  size_t calibration_images = 1000;  // Per cluster, from the validation split.
  size_t test_images = 2000;         // Per cluster, from the test split.
  // Modelled cost of reaching another cluster's server, added per forwarded expert
  // answer on top of the measured loopback time (all servers are local here).
  double forward_penalty_ms = 5.0;
  std::chrono::microseconds deadline{std::chrono::seconds(5)};
};

struct ClusterRow {
  int cluster = 0;
  std::vector<double> true_mix;         // Superclass shares the stream was drawn with.
  std::vector<double> measured_demand;  // Alg. 1's input, from the calibration window.
  std::vector<int> experts;             // Placed here from the measured demand.
  double local_hit = 0;                 // Expert answers from this cluster's own server.
  double blind_local_hit = 0;           // The same with the pooled-demand placement.
  double accuracy = 0;
  double p50_ms = 0;            // Measured, loopback.
  double modelled_mean_ms = 0;  // Measured + forward_penalty_ms per forward.
  double blind_modelled_mean_ms = 0;
};

struct ClusterStudy {
  std::vector<ClusterRow> rows;
  std::vector<std::vector<int>> blind_placement;
  double forward_penalty_ms = 0;
  Table Rows() const;  // One row per cluster, as every rendering shows it.
  std::string ToTable() const;
  std::string ToJson() const;
  std::string ToCsv() const { return Rows().ToCsv(); }
  std::string ToMarkdown() const;  // A results-document section.
};

// `validation` feeds the calibration windows, `test` the measured streams.
Result<ClusterStudy> RunClusterStudy(const ClusterStudyOptions& options, const Dataset& validation,
                                     const Dataset& test);

}  // namespace hiedge
