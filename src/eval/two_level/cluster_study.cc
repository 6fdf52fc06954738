#include "eval/two_level/cluster_study.h"

#include <fmt/printf.h>

#include <nlohmann/json.hpp>
#include <random>

#include "eval/core/eval.h"
#include "eval/two_level/two_level_eval.h"
#include "hiedge/decision/decision.h"
#include "hiedge/device/two_level_device.h"

namespace hiedge {
namespace {

std::vector<std::vector<size_t>> IndicesBySuperclass(const Dataset& data, const Superclasses& sc) {
  std::vector<std::vector<size_t>> by(static_cast<size_t>(sc.count()));
  for (size_t i = 0; i < data.size(); ++i) {
    by[static_cast<size_t>(sc.of_class[static_cast<size_t>(data.labels[i])])].push_back(i);
  }
  return by;
}

// `count` images of `data`: each one's superclass drawn from `mix`, the image uniformly
// among that superclass's. Seeded through `rng`.
Dataset DrawStream(const Dataset& data, const std::vector<std::vector<size_t>>& by,
                   const std::vector<double>& mix, size_t count, std::mt19937_64& rng) {
  std::discrete_distribution<size_t> superclass(mix.begin(), mix.end());
  std::vector<size_t> indices;
  while (indices.size() < count) {
    const std::vector<size_t>& pool = by[superclass(rng)];
    if (pool.empty()) continue;
    indices.push_back(pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]);
  }
  return Subset(data, indices);
}

// Alg. 1's D^c: the share of `window` whose first-level top superclass is n.
Result<std::vector<double>> MeasuredDemand(InferenceBackend& first, const Superclasses& sc,
                                           const Dataset& window) {
  HIEDGE_ASSIGN_OR_RETURN(Predictions p, Predict(first, window));
  std::vector<double> demand(static_cast<size_t>(sc.count()), 0.0);
  const auto classes = static_cast<size_t>(p.classes);
  for (size_t i = 0; i < window.size(); ++i) {
    const std::vector<double> c =
        SuperclassConfidences(Softmax(p.logits.data() + i * classes, classes), sc);
    demand[static_cast<size_t>(std::max_element(c.begin(), c.end()) - c.begin())] +=
        1.0 / static_cast<double>(window.size());
  }
  return demand;
}

struct ClusterRun {
  double local_hit = 0, accuracy = 0, p50_ms = 0, modelled_mean_ms = 0;
};

Result<ClusterRun> RunCluster(const TwoLevelModels& models, const LoopbackExpertServers& servers,
                              int cluster, const Dataset& stream, const ClusterStudyOptions& o) {
  TwoLevelDevice device(models.first_level.get(), models.config, servers.clients(), cluster,
                        o.deadline);
  double wall = 0;
  HIEDGE_ASSIGN_OR_RETURN(auto records, RunTwoLevelDevice(device, stream, &wall, false));
  size_t answered = 0, local = 0, correct = 0;
  std::vector<double> ms;
  double modelled = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const TwoLevelSampleRecord& r = records[i];
    for (int server : r.servers) {
      answered += server >= 0;
      local += server == cluster;
    }
    correct += r.final_class == stream.labels[i];
    ms.push_back(r.first_level_ms + r.second_level_ms);
    modelled += ms.back() + o.forward_penalty_ms * r.forwarded;
  }
  ClusterRun run;
  const double n = static_cast<double>(std::max<size_t>(records.size(), 1));
  run.local_hit = answered ? static_cast<double>(local) / static_cast<double>(answered) : 0;
  run.accuracy = static_cast<double>(correct) / n;
  run.p50_ms = Percentile(ms, 0.5);
  run.modelled_mean_ms = modelled / n;
  return run;
}

std::string Shares(const std::vector<double>& v) {
  std::string out = "[";
  for (double x : v) out += fmt::sprintf(" %.2f", x);
  return out + " ]";
}

std::string Experts(const std::vector<int>& v) {
  std::string out = "{";
  for (int s : v) out += " " + std::to_string(s);
  return out + " }";
}

}  // namespace

Result<ClusterStudy> RunClusterStudy(const ClusterStudyOptions& o, const Dataset& validation,
                                     const Dataset& test) {
  HIEDGE_ASSIGN_OR_RETURN(TwoLevelModels models, LoadTwoLevelModels(o.two_level_config));
  const Superclasses& sc = models.config.superclasses;
  const auto clusters = static_cast<size_t>(std::max(o.clusters, 1));
  const std::vector<std::vector<double>> mixes =
      ScenarioDemand(static_cast<int>(clusters), sc.count(), o.seed);
  std::mt19937_64 rng(o.seed);
  const auto by_validation = IndicesBySuperclass(validation, sc);
  const auto by_test = IndicesBySuperclass(test, sc);
  std::vector<std::vector<double>> measured;
  std::vector<Dataset> streams;
  for (size_t c = 0; c < clusters; ++c) {
    const Dataset window =
        DrawStream(validation, by_validation, mixes[c], o.calibration_images, rng);
    HIEDGE_ASSIGN_OR_RETURN(std::vector<double> demand,
                            MeasuredDemand(*models.first_level, sc, window));
    measured.push_back(std::move(demand));
    streams.push_back(DrawStream(test, by_test, mixes[c], o.test_images, rng));
  }
  const std::vector<double> room(clusters, o.experts_per_server);
  HIEDGE_ASSIGN_OR_RETURN(const auto placement, PlaceSecondLevelModels({measured, room, 1.0}));
  std::vector<double> pooled(static_cast<size_t>(sc.count()), 0.0);
  for (const auto& row : measured) {
    for (size_t n = 0; n < row.size(); ++n) pooled[n] += row[n] / static_cast<double>(clusters);
  }
  ClusterStudy study;
  study.forward_penalty_ms = o.forward_penalty_ms;
  HIEDGE_ASSIGN_OR_RETURN(
      study.blind_placement,
      PlaceSecondLevelModels({std::vector<std::vector<double>>(clusters, pooled), room, 1.0}));
  HIEDGE_ASSIGN_OR_RETURN(auto servers, LoopbackExpertServers::Start(models, placement));
  HIEDGE_ASSIGN_OR_RETURN(auto blind_servers,
                          LoopbackExpertServers::Start(models, study.blind_placement));
  for (size_t c = 0; c < clusters; ++c) {
    const int cluster = static_cast<int>(c);
    HIEDGE_ASSIGN_OR_RETURN(ClusterRun run, RunCluster(models, *servers, cluster, streams[c], o));
    HIEDGE_ASSIGN_OR_RETURN(ClusterRun blind,
                            RunCluster(models, *blind_servers, cluster, streams[c], o));
    ClusterRow row;
    row.cluster = cluster;
    row.true_mix = mixes[c];
    row.measured_demand = measured[c];
    row.experts = placement[c];
    row.local_hit = run.local_hit;
    row.blind_local_hit = blind.local_hit;
    row.accuracy = run.accuracy;
    row.p50_ms = run.p50_ms;
    row.modelled_mean_ms = run.modelled_mean_ms;
    row.blind_modelled_mean_ms = blind.modelled_mean_ms;
    study.rows.push_back(std::move(row));
  }
  return study;
}

Table ClusterStudy::Rows() const {
  Table table({"cluster", "true mix", "measured demand", "experts", "local hit", "blind local hit",
               "accuracy", "p50 ms (loopback)", "modelled ms", "blind modelled ms"});
  for (const ClusterRow& r : rows) {
    table.AddRow({std::to_string(r.cluster), Shares(r.true_mix), Shares(r.measured_demand),
                  Experts(r.experts), fmt::sprintf("%.1f%%", 100 * r.local_hit),
                  fmt::sprintf("%.1f%%", 100 * r.blind_local_hit),
                  fmt::sprintf("%.2f%%", 100 * r.accuracy), fmt::sprintf("%.3f", r.p50_ms),
                  fmt::sprintf("%.3f", r.modelled_mean_ms),
                  fmt::sprintf("%.3f", r.blind_modelled_mean_ms)});
  }
  return table;
}

std::string ClusterStudy::ToTable() const {
  std::string out = Rows().ToText();
  out += "blind placement (Alg. 1 on the pooled demand):";
  for (size_t c = 0; c < blind_placement.size(); ++c) {
    out += " " + std::to_string(c) + " " + Experts(blind_placement[c]);
  }
  out += fmt::sprintf(
      "\nmodel ms = measured loopback time + %.1f ms (modelled) per answer "
      "from another cluster's server\n",
      forward_penalty_ms);
  return out;
}

std::string ClusterStudy::ToMarkdown() const {
  std::string md =
      "## Skewed clusters: Alg. 1 placement from measured demand (seed 004 §1)\n\n"
      "Command: `hiedge clusters` (in `./scripts/results.sh`). Each cluster's stream has its "
      "own seeded superclass mix; Alg. 1 places the experts from the demand measured on 1,000 "
      "validation images per stream, against Alg. 1 fed the pooled demand (\"blind\").\n\n" +
      Rows().ToMarkdown();
  md += fmt::sprintf(
      "\nModelled ms = measured loopback time + %.1f ms per answer from another cluster's "
      "server (all servers share one machine here, so the network distance is modelled).\n\n",
      forward_penalty_ms);
  return md;
}

std::string ClusterStudy::ToJson() const {
  nlohmann::json rows_json = nlohmann::json::array();
  for (const ClusterRow& r : rows) {
    rows_json.push_back({{"cluster", r.cluster},
                         {"true_mix", r.true_mix},
                         {"measured_demand", r.measured_demand},
                         {"experts", r.experts},
                         {"local_hit", r.local_hit},
                         {"blind_local_hit", r.blind_local_hit},
                         {"accuracy", r.accuracy},
                         {"p50_ms_measured", r.p50_ms},
                         {"mean_ms_modelled", r.modelled_mean_ms},
                         {"blind_mean_ms_modelled", r.blind_modelled_mean_ms}});
  }
  return nlohmann::json{{"forward_penalty_ms_modelled", forward_penalty_ms},
                        {"blind_placement", blind_placement},
                        {"rows", rows_json}}
             .dump(2) +
         "\n";
}

}  // namespace hiedge
