#include <fmt/printf.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "eval/core/eval.h"

namespace hiedge {

std::string ResultsToJson(const std::vector<StrategyResult>& results) {
  nlohmann::json out = nlohmann::json::array();
  for (const StrategyResult& r : results) {
    out.push_back({{"strategy", r.strategy},
                   {"theta", r.theta},
                   {"samples", r.samples},
                   {"offloaded", r.offloaded},
                   {"offload_fraction", r.offload_fraction()},
                   {"fallbacks", r.fallbacks},
                   {"device_errors", r.device_errors},
                   {"server_errors", r.server_errors},
                   {"accuracy", r.accuracy},
                   {"offload_cost", r.offload_cost},
                   {"cost", r.cost},
                   {"mean_latency_ms", r.mean_latency_ms},
                   {"p50_latency_ms", r.p50_latency_ms},
                   {"p99_latency_ms", r.p99_latency_ms},
                   {"mean_local_ms", r.mean_local_ms},
                   {"mean_offload_ms", r.mean_offload_ms},
                   {"throughput_per_s", r.throughput_per_s},
                   {"wall_seconds", r.wall_seconds}});
  }
  return out.dump(2) + "\n";
}

std::string ResultsToCsv(const std::vector<StrategyResult>& results) {
  std::string out =
      "strategy,theta,samples,offloaded,offload_fraction,fallbacks,device_errors,server_errors,"
      "accuracy,offload_cost,cost,mean_latency_ms,p50_latency_ms,p99_latency_ms,mean_local_ms,"
      "mean_offload_ms,throughput_per_s,wall_seconds\n";
  std::string line;
  for (const StrategyResult& r : results) {
    line = fmt::sprintf(
        "\"%s\",%.6f,%zu,%zu,%.6f,%zu,%zu,%zu,%.6f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.3f\n",
        r.strategy.c_str(), r.theta, r.samples, r.offloaded, r.offload_fraction(), r.fallbacks,
        r.device_errors, r.server_errors, r.accuracy, r.offload_cost, r.cost, r.mean_latency_ms,
        r.p50_latency_ms, r.p99_latency_ms, r.mean_local_ms, r.mean_offload_ms, r.throughput_per_s,
        r.wall_seconds);
    out += line;
  }
  return out;
}

std::string ResultsToTable(const std::vector<StrategyResult>& results) {
  std::string out = fmt::sprintf("%-28s %8s %8s %9s %9s %9s %9s %9s %10s %10s %9s\n", "strategy",
                                 "theta", "offloads", "offload%", "fallback", "dev.err", "srv.err",
                                 "accuracy", "cost", "lat.ms", "samples/s");
  out += std::string(128, '-') + "\n";
  for (const StrategyResult& r : results) {
    out += fmt::sprintf("%-28s %8.4f %8zu %8.2f%% %9zu %9zu %9zu %8.2f%% %10.1f %10.3f %9.0f\n",
                        r.strategy, r.theta > 1 ? 1.0 : r.theta, r.offloaded,
                        100 * r.offload_fraction(), r.fallbacks, r.device_errors, r.server_errors,
                        100 * r.accuracy, r.cost, r.mean_latency_ms, r.throughput_per_s);
  }
  return out;
}

}  // namespace hiedge
