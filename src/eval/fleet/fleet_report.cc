// A fleet run's figures (fleet-wide, per window, per device) and the report's files.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "eval/core/plot.h"
#include "eval/fleet/fleet.h"
#include "eval/fleet/fleet_devices.h"
#include "eval/fleet/fleet_servers.h"

namespace hiedge {
namespace {

using fleet::SampleLog;

// Accumulates samples into FleetFigures.
class FiguresBuilder {
 public:
  explicit FiguresBuilder(double slo_ms) : slo_ms_(slo_ms) {}
  void Add(const SampleLog& s) {
    latencies_.push_back(s.latency_ms);
    within_ += s.latency_ms <= slo_ms_;
    correct_ += s.correct;
    offloaded_ += s.offloaded;
    fallbacks_ += s.fallback;
    refused_ += s.cause == fleet::Cause::kRefused;
  }
  FleetFigures Build() {
    FleetFigures f;
    f.samples = latencies_.size();
    if (latencies_.empty()) return f;
    const auto n = static_cast<double>(latencies_.size());
    f.slo_satisfaction = static_cast<double>(within_) / n;
    f.accuracy = static_cast<double>(correct_) / n;
    f.offload_rate = static_cast<double>(offloaded_) / n;
    f.fallback_rate = static_cast<double>(fallbacks_) / n;
    f.refused_rate = static_cast<double>(refused_) / n;
    std::sort(latencies_.begin(), latencies_.end());
    auto at = [&](double q) {
      return latencies_[std::min(latencies_.size() - 1, static_cast<size_t>(q * n))];
    };
    f.p50_ms = at(0.5);
    f.p99_ms = at(0.99);
    return f;
  }

 private:
  double slo_ms_;
  std::vector<float> latencies_;
  uint64_t within_ = 0, correct_ = 0, offloaded_ = 0, fallbacks_ = 0, refused_ = 0;
};

nlohmann::json FiguresJson(const FleetFigures& f) {
  return {{"samples", f.samples},
          {"slo_satisfaction", f.slo_satisfaction},
          {"accuracy", f.accuracy},
          {"offload_rate", f.offload_rate},
          {"fallback_rate", f.fallback_rate},
          {"refused_rate", f.refused_rate},
          {"p50_ms", f.p50_ms},
          {"p99_ms", f.p99_ms}};
}

}  // namespace

FleetRun SummarizeFleetRun(const FleetOptions& options, const std::string& policy, int devices,
                           const std::vector<fleet::DeviceSpec>& specs,
                           const std::vector<fleet::DeviceLog>& logs,
                           const std::vector<std::vector<fleet::ServerScrape>>& scrapes) {
  FleetRun run;
  run.policy = policy;
  run.devices = devices;
  const double warmup_ms = options.warmup_s * 1000;
  const double window_ms = options.window_s * 1000;
  const auto windows =
      static_cast<size_t>(std::ceil((options.warmup_s + options.duration_s) / options.window_s));
  FiguresBuilder overall(options.slo_ms), well_behaved(options.slo_ms);
  std::vector<FiguresBuilder> per_window(windows, FiguresBuilder(options.slo_ms));
  std::vector<std::vector<bool>> active(windows, std::vector<bool>(specs.size(), false));
  std::map<std::string, uint64_t> causes;
  std::map<std::string, FiguresBuilder> kinds;
  uint64_t offloads_answered = 0, offloads_right = 0;
  for (size_t d = 0; d < logs.size(); ++d) {
    FiguresBuilder mine(options.slo_ms);
    FiguresBuilder& kind = kinds.try_emplace(specs[d].kind, options.slo_ms).first->second;
    for (const SampleLog& s : logs[d].samples) {
      const auto w = std::min(windows - 1, static_cast<size_t>(s.arrival_ms / window_ms));
      per_window[w].Add(s);
      active[w][d] = true;
      if (s.arrival_ms < warmup_ms) continue;
      overall.Add(s);
      mine.Add(s);
      kind.Add(s);
      if (specs[d].kind != options.misbehaving || options.misbehaving.empty()) well_behaved.Add(s);
      if (s.offloaded && !s.fallback) {
        ++offloads_answered;
        offloads_right += s.correct;
      }
    }
    for (const auto& [cause, count] : logs[d].causes) causes[cause] += count;
    run.per_device.push_back({specs[d].id, specs[d].kind, mine.Build()});
  }
  run.figures = overall.Build();
  run.well_behaved = well_behaved.Build();
  for (auto& [name, builder] : kinds) run.by_kind.emplace_back(name, builder.Build());
  run.fallback_causes.assign(causes.begin(), causes.end());
  run.lml_accuracy_offloaded = offloads_answered == 0 ? 0
                                                      : static_cast<double>(offloads_right) /
                                                            static_cast<double>(offloads_answered);
  for (size_t w = 0; w < windows; ++w) {
    FleetWindow window;
    window.t_s = static_cast<double>(w) * options.window_s;
    window.devices = static_cast<int>(std::count(active[w].begin(), active[w].end(), true));
    window.figures = per_window[w].Build();
    // Scrape w + 1 closes window w (scrape 0 is at the run's start).
    if (w + 1 < scrapes.size()) {
      double requests = 0, queue_us = 0, compute_us = 0, price = 0;
      int priced = 0;
      for (size_t s = 0; s < scrapes[w + 1].size(); ++s) {
        const fleet::ServerScrape& now = scrapes[w + 1][s];
        const fleet::ServerScrape& before = scrapes[w][s];
        if (!now.ok || !before.ok) continue;
        requests += now.requests - before.requests;
        queue_us += now.queue_us - before.queue_us;
        compute_us += now.compute_us - before.compute_us;
        price += now.price;
        ++priced;
      }
      window.server_queue_ms = requests > 0 ? queue_us / requests / 1000 : 0;
      // Compute time of requests sums each batch once per request in it: an upper bound
      // on busy time, reported per window.
      window.server_busy = compute_us / (options.window_s * 1e6);
      window.price = priced > 0 ? price / priced : 0;
    }
    run.windows.push_back(window);
  }
  return run;
}

std::string FleetReportToJson(const FleetReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json windows = nlohmann::json::array();
  for (const FleetRun& run : r.runs) {
    nlohmann::json row = FiguresJson(run.figures);
    row["policy"] = run.policy;
    row["devices"] = run.devices;
    row["slo_ms"] = r.options.slo_ms;
    row["harness_cores"] = run.harness_cores;
    row["harness_cores_per_100_devices"] = run.harness_cores * 100.0 / std::max(1, run.devices);
    row["server_cores"] = run.server_cores;
    row["lml_accuracy_on_offloads"] = run.lml_accuracy_offloaded;
    if (!r.options.misbehaving.empty()) row["well_behaved"] = FiguresJson(run.well_behaved);
    nlohmann::json by_kind = nlohmann::json::object();
    for (const auto& [kind, figures] : run.by_kind) by_kind[kind] = FiguresJson(figures);
    row["by_kind"] = by_kind;
    nlohmann::json causes = nlohmann::json::object();
    for (const auto& [cause, count] : run.fallback_causes) causes[cause] = count;
    row["fallback_causes"] = causes;
    rows.push_back(row);
    for (const FleetWindow& w : run.windows) {
      nlohmann::json j = FiguresJson(w.figures);
      j["policy"] = run.policy;
      j["fleet"] = run.devices;
      j["t_s"] = w.t_s;
      j["devices"] = w.devices;
      j["price"] = w.price;
      j["server_queue_ms"] = w.server_queue_ms;
      j["server_busy"] = w.server_busy;
      windows.push_back(j);
    }
  }
  const FleetOptions& o = r.options;
  nlohmann::json locals = nlohmann::json::array();
  for (const FleetLocal& l : r.locals) {
    locals.push_back({{"name", l.name},
                      {"sml_ms_added", l.sml_ms},
                      {"sml_accuracy", l.sml_accuracy},
                      {"hi_accuracy_offline", l.hi_accuracy},
                      {"theta", l.theta}});
  }
  const FleetLocal first = r.locals.empty() ? FleetLocal{} : r.locals.front();
  nlohmann::json j = {
      {"cpu", r.cpu},
      {"locals", locals},
      {"slo_ms", o.slo_ms},
      {"server_slo_ms", o.slo_ms * o.server_slo_fraction},
      {"rate_hz", o.rate_hz},
      {"arrivals", o.poisson ? "poisson" : "periodic"},
      {"servers", o.endpoints.empty() ? o.servers : static_cast<int>(o.endpoints.size())},
      {"duration_s", o.duration_s},
      {"warmup_s", o.warmup_s},
      {"sml_ms_added", first.sml_ms},
      {"sml_accuracy", first.sml_accuracy},
      {"hi_accuracy_offline", first.hi_accuracy},
      {"corruption", o.corruption},
      {"corrupt_fraction", o.corrupt_fraction},
      {"misbehaving", o.misbehaving},
      {"deadline_ms", o.deadline_ms > 0 ? o.deadline_ms : o.slo_ms - first.sml_ms},
      {"seed", o.seed},
      {"rows", rows},
      {"windows", windows}};
  return j.dump(1) + "\n";
}

std::string FleetRunsToTable(const FleetReport& r) {
  std::string out = fmt::format("fleet: SLO {} ms, {} frames/s per device ({})\n", r.options.slo_ms,
                                r.options.rate_hz, r.cpu);
  for (const FleetLocal& l : r.locals) {
    out += fmt::format("  {}: alone {:.2f}%, HI offline {:.2f}% at theta {:.3f}\n", l.name,
                       100 * l.sml_accuracy, 100 * l.hi_accuracy, l.theta);
  }
  out +=
      fmt::format("{:<11} {:>7} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9}\n", "policy", "devices",
                  "SLO %", "accuracy", "offload%", "refused%", "p99 ms", "harness", "server");
  for (const FleetRun& run : r.runs) {
    out += fmt::format(
        "{:<11} {:>7} {:>8.2f} {:>9.2f} {:>9.1f} {:>9.1f} {:>9.1f} {:>8.2f} {:>9.2f}\n", run.policy,
        run.devices, 100 * run.figures.slo_satisfaction, 100 * run.figures.accuracy,
        100 * run.figures.offload_rate, 100 * run.figures.refused_rate, run.figures.p99_ms,
        run.harness_cores, run.server_cores);
  }
  out += "(harness and server: CPU cores used over the measured part)\n";
  return out;
}

Status WriteFleetReport(const FleetReport& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/fleet.json", FleetReportToJson(r)));
  std::string rows =
      "policy,devices,slo_ms,samples,slo_satisfaction,accuracy,offload_rate,fallback_rate,"
      "refused_rate,p50_ms,p99_ms,harness_cores,server_cores\n";
  std::string windows =
      "policy,fleet,t_s,devices,samples,slo_satisfaction,accuracy,offload_rate,refused_rate,"
      "p99_ms,price,server_queue_ms,server_busy\n";
  std::string devices =
      "policy,fleet,device,kind,samples,slo_satisfaction,accuracy,offload_rate,p99_ms\n";
  for (const FleetRun& run : r.runs) {
    const FleetFigures& f = run.figures;
    rows += fmt::format(
        "{},{},{},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.5f},{:.3f},{:.3f},{:.3f},{:.3f}\n", run.policy,
        run.devices, r.options.slo_ms, f.samples, f.slo_satisfaction, f.accuracy, f.offload_rate,
        f.fallback_rate, f.refused_rate, f.p50_ms, f.p99_ms, run.harness_cores, run.server_cores);
    for (const FleetWindow& w : run.windows) {
      windows += fmt::format(
          "{},{},{:.2f},{},{},{:.5f},{:.5f},{:.5f},{:.5f},{:.3f},{:.5f},{:.3f},{:.3f}\n",
          run.policy, run.devices, w.t_s, w.devices, w.figures.samples, w.figures.slo_satisfaction,
          w.figures.accuracy, w.figures.offload_rate, w.figures.refused_rate, w.figures.p99_ms,
          w.price, w.server_queue_ms, w.server_busy);
    }
    for (const FleetDeviceSummary& d : run.per_device) {
      devices +=
          fmt::format("{},{},{},{},{},{:.5f},{:.5f},{:.5f},{:.3f}\n", run.policy, run.devices,
                      d.device, d.kind, d.figures.samples, d.figures.slo_satisfaction,
                      d.figures.accuracy, d.figures.offload_rate, d.figures.p99_ms);
    }
  }
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/fleet.csv", rows));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/windows.csv", windows));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/devices.csv", devices));

  // Plots: against fleet size (one line per policy), and over time (each run).
  std::map<std::string, std::vector<const FleetRun*>> by_policy;
  for (const FleetRun& run : r.runs) by_policy[run.policy].push_back(&run);
  auto size_plot = [&](const std::string& stem, const std::string& label, auto value) {
    PlotSpec spec{label + " against fleet size",        "devices", label, {}, false,
                  "set logscale x; set key bottom left"};
    for (const auto& [policy, runs] : by_policy) {
      PlotSeries s{policy, {}, {}, "linespoints"};
      for (const FleetRun* run : runs) {
        s.x.push_back(run->devices);
        s.y.push_back(value(*run));
      }
      spec.series.push_back(s);
    }
    return RenderPlot(spec, dir + "/" + stem);
  };
  auto time_plot = [&](const std::string& stem, const std::string& label, auto value) {
    PlotSpec spec{label + " over time", "seconds", label, {}, false, "set key bottom left"};
    for (const FleetRun& run : r.runs) {
      PlotSeries s{run.policy + " " + std::to_string(run.devices), {}, {}, "lines"};
      for (const FleetWindow& w : run.windows) {
        s.x.push_back(w.t_s);
        s.y.push_back(value(w));
      }
      spec.series.push_back(s);
    }
    return RenderPlot(spec, dir + "/" + stem);
  };
  // Plots are a convenience: a machine without gnuplot still gets the data.
  Status plots[] = {
      size_plot("slo_by_size", "SLO satisfaction (%)",
                [](const FleetRun& x) { return 100 * x.figures.slo_satisfaction; }),
      size_plot("accuracy_by_size", "accuracy (%)",
                [](const FleetRun& x) { return 100 * x.figures.accuracy; }),
      size_plot("offload_by_size", "offload rate (%)",
                [](const FleetRun& x) { return 100 * x.figures.offload_rate; }),
      time_plot("slo_over_time", "SLO satisfaction (%)",
                [](const FleetWindow& w) { return 100 * w.figures.slo_satisfaction; }),
      time_plot("price_over_time", "offload price (beta)",
                [](const FleetWindow& w) { return w.price; }),
      time_plot("offload_over_time", "offload rate (%)",
                [](const FleetWindow& w) { return 100 * w.figures.offload_rate; })};
  for (const Status& s : plots) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace hiedge
