#include <fmt/printf.h>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "eval/demo/demo.h"

namespace hiedge {

std::string DemoReportToText(const DemoReport& report) {
  std::string out = ResultsToTable(report.strategies);
  out += "\nbeta sweep (theta* from validation, priced on test; cost per sample)\n";
  std::string line;
  line = fmt::sprintf("%6s %8s %9s %9s %9s %9s %12s\n", "beta", "theta*", "offload%", "HI", "full",
                      "none", "HI saves");
  out += line;
  for (const BetaSweepRow& r : report.sweep) {
    line = fmt::sprintf("%6.2f %8.4f %8.2f%% %9.4f %9.4f %9.4f %11.1f%%\n", r.beta,
                        r.theta > 1 ? 1.0 : r.theta, 100 * r.offload_fraction, r.hi_cost,
                        r.full_offload_cost, r.no_offload_cost, 100 * r.reduction_vs_full);
    out += line;
  }
  out += fmt::sprintf(
      "\noffload payload: %s, %zu bytes per request of one image (REST body, binary tensor "
      "data; %zu in FP32)\n",
      report.offload_datatype == "UINT8" ? "UINT8 pixels" : "FP32", report.offload_request_bytes,
      report.fp32_request_bytes);
  if (report.has_three_tier) {
    const CascadeRunSummary& t = report.three_tier;
    const double n = static_cast<double>(t.result.samples);
    out += fmt::sprintf(
        "\nthree tiers: the device offloaded %.2f%% of images to the edge (theta %.4f), "
        "the edge's cascade sent %.2f%% of all images on to the cloud (theta %.4f; %llu "
        "fallbacks); cost per image %.4f with beta %.2f per hop\n",
        100 * t.result.offload_fraction(), t.device_theta,
        n > 0 ? 100 * static_cast<double>(t.cloud_forwarded) / n : 0.0, t.edge_theta,
        static_cast<unsigned long long>(t.edge_fallbacks), t.cost_per_sample,
        t.result.offload_cost);
  }
  if (report.has_two_level) {
    out += "\ntwo-level architecture (seed 004): S-ML features to superclass experts on ";
    out +=
        std::to_string(report.two_level_placement.size()) + " loopback servers, placed by Alg. 1:";
    for (size_t c = 0; c < report.two_level_placement.size(); ++c) {
      out += " server " + std::to_string(c) + " {";
      for (int s : report.two_level_placement[c]) out += " " + std::to_string(s);
      out += " }";
    }
    out += "\n" + report.two_level.ToTable();
  }
  out += "\n";
  for (const std::string& note : report.notes) out += "note: " + note + "\n";
  return out;
}

std::string DemoReportToMarkdown(const DemoReport& report) {
  std::string md =
      "## Tiers on loopback: device, edge, cloud\n\n"
      "Command: `./scripts/demo.sh` (`hiedge demo`, in `./scripts/results.sh`). Real servers "
      "on loopback; every tier calibrated on validation against its next tier's answers; "
      "cost = β per offload (per hop) + 1 per error.\n\n"
      "| strategy (test) | accuracy | offloaded | cost per image | mean ms | p99 ms |\n"
      "|---|---|---|---|---|---|\n";
  for (const StrategyResult& r : report.strategies) {
    const double n = r.samples ? static_cast<double>(r.samples) : 1.0;
    md += fmt::sprintf("| %s | %.2f%% | %.2f%% | %.4f | %.3f | %.3f |\n", r.strategy,
                       100 * r.accuracy, 100 * r.offload_fraction(), r.cost / n, r.mean_latency_ms,
                       r.p99_latency_ms);
  }
  if (report.has_three_tier) {
    const CascadeRunSummary& t = report.three_tier;
    const double n = static_cast<double>(t.result.samples);
    md += fmt::sprintf(
        "\nThree tiers: the device sends %.2f%% of images to the edge (θ %.4f); the edge's "
        "cascade model sends %.2f%% of all images on to the cloud (θ %.4f, %llu fallbacks). "
        "Cost per image %.4f with β %.2f per hop.\n",
        100 * t.result.offload_fraction(), t.device_theta,
        n > 0 ? 100 * static_cast<double>(t.cloud_forwarded) / n : 0.0, t.edge_theta,
        static_cast<unsigned long long>(t.edge_fallbacks), t.cost_per_sample,
        t.result.offload_cost);
  }
  return md + "\n";
}

Status WriteDemoResults(const DemoReport& report, const std::string& dir) {
  nlohmann::json sweep = nlohmann::json::array();
  std::string sweep_csv =
      "beta,theta,offload_fraction,hi_cost,full_offload_cost,no_offload_cost,reduction_vs_full\n";
  for (const BetaSweepRow& r : report.sweep) {
    sweep.push_back({{"beta", r.beta},
                     {"theta", r.theta},
                     {"offload_fraction", r.offload_fraction},
                     {"hi_cost", r.hi_cost},
                     {"full_offload_cost", r.full_offload_cost},
                     {"no_offload_cost", r.no_offload_cost},
                     {"reduction_vs_full", r.reduction_vs_full}});
    std::string line;
    line = fmt::sprintf("%.2f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f\n", r.beta, r.theta, r.offload_fraction,
                        r.hi_cost, r.full_offload_cost, r.no_offload_cost, r.reduction_vs_full);
    sweep_csv += line;
  }
  nlohmann::json doc = {{"local_validation_accuracy", report.local_validation_accuracy},
                        {"remote_validation_accuracy", report.remote_validation_accuracy},
                        {"break_even_beta", report.break_even_beta},
                        {"marginal_beta", report.marginal_beta},
                        {"strategies", nlohmann::json::parse(ResultsToJson(report.strategies))},
                        {"beta_sweep", sweep},
                        {"notes", report.notes},
                        {"offload",
                         {{"datatype", report.offload_datatype},
                          {"request_bytes", report.offload_request_bytes},
                          {"fp32_request_bytes", report.fp32_request_bytes}}}};
  if (report.has_three_tier) {
    const CascadeRunSummary& t = report.three_tier;
    doc["three_tier"] = {
        {"device_theta", t.device_theta},        {"edge_theta", t.edge_theta},
        {"device_offloads", t.result.offloaded}, {"edge_rows", t.edge_rows},
        {"edge_answered", t.edge_answered},      {"cloud_forwarded", t.cloud_forwarded},
        {"edge_fallbacks", t.edge_fallbacks},    {"accuracy", t.result.accuracy},
        {"cost_per_sample", t.cost_per_sample}};
  }
  if (report.has_two_level) {
    doc["two_level"] = nlohmann::json::parse(report.two_level.ToJson());
    doc["two_level"]["placement"] = report.two_level_placement;
  }
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/demo.json", doc.dump(2) + "\n"));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/strategies.csv", ResultsToCsv(report.strategies)));
  return WriteTextFile(dir + "/beta_sweep.csv", sweep_csv);
}

}  // namespace hiedge
