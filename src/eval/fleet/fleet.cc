#include "eval/fleet/fleet.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "eval/core/eval.h"
#include "eval/fleet/fleet_devices.h"
#include "eval/fleet/fleet_servers.h"
#include "hiedge/common/clock.h"
#include "hiedge/data/corruptions.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {
namespace {

using fleet::DeviceLog;
using fleet::DeviceSpec;
using fleet::ReplayedStream;

bool ServerAdmits(const std::string& policy) {
  return policy == "admission" || policy == "server_set";
}

// One S-ML of the fleet, computed once before the runs.
struct LocalModel {
  std::string name;
  ModelInfo info;
  DecisionConfig decision;
  ReplayedStream clean_stream, corrupted_stream;
  double sml_ms = 0;
  double sml_accuracy = 0, hi_accuracy = 0;  // On the clean test images.
};

// Everything computed once before the runs. On the heap: streams point into it.
struct Prepared {
  Dataset clean, corrupted;
  std::vector<LocalModel> locals;  // Devices take them in turn.
};

Result<ReplayedStream> Replay(InferenceBackend& sml, const Dataset& images) {
  HIEDGE_ASSIGN_OR_RETURN(Predictions p, Predict(sml, images, 256));
  ReplayedStream stream;
  stream.images = &images;
  stream.sml_logits = std::move(p.logits);
  stream.classes = sml.info().num_classes;
  return stream;
}

// The S-ML's median time for one sample here (what each device adds to its latency).
Result<double> MedianSampleMs(InferenceBackend& sml, const Dataset& images) {
  std::vector<double> times;
  const std::vector<int64_t> shape = [&] {
    std::vector<int64_t> s = {1};
    s.insert(s.end(), sml.info().input_shape.begin(), sml.info().input_shape.end());
    return s;
  }();
  const auto pixels = static_cast<size_t>(images.channels * images.height * images.width);
  for (size_t i = 0; i < 300; ++i) {
    FloatTensor x{shape,
                  std::vector<float>(images.images.begin() + static_cast<long>(i * pixels),
                                     images.images.begin() + static_cast<long>((i + 1) * pixels))};
    const int64_t start = SteadyMicros();
    HIEDGE_RETURN_IF_ERROR(sml.Infer(x).status());
    times.push_back(static_cast<double>(SteadyMicros() - start) / 1000);
  }
  std::nth_element(times.begin(), times.begin() + 150, times.end());
  return times[150];
}

Result<LocalModel> PrepareLocal(const FleetOptions& o, const std::string& card,
                                InferenceBackend& lml, const Prepared& data,
                                const Predictions& lml_test) {
  LocalModel local;
  HIEDGE_ASSIGN_OR_RETURN(auto sml, LoadModel(card));
  local.name = std::filesystem::path(card).stem().string();
  local.info = sml->info();
  const ModelInfo& info = sml->info();
  if (info.input_shape != lml.info().input_shape || info.num_classes != lml.info().num_classes)
    return Status::InvalidArgument(card + " does not take the L-ML's input or classes");
  if (o.decision.empty()) {
    // Calibrated on the validation split of the training data, never on the test set.
    HIEDGE_ASSIGN_OR_RETURN(
        Dataset train,
        LoadDataForModel(o.data_dir, Split::kTrain, info.input_shape, info.num_classes, info.name));
    const Dataset validation = SplitForValidation(train).validation;
    HIEDGE_ASSIGN_OR_RETURN(Predictions lp, Predict(*sml, validation, 256));
    HIEDGE_ASSIGN_OR_RETURN(Predictions rp, Predict(lml, validation, 256));
    CalibrationOptions calibration;
    calibration.cost = CostModel{o.beta, 1.0};
    HIEDGE_ASSIGN_OR_RETURN(local.decision,
                            CalibratePolicy(Labelled(lp, rp, validation.labels), calibration));
  } else {
    HIEDGE_ASSIGN_OR_RETURN(local.decision, ReadDecisionConfig(o.decision));
  }
  HIEDGE_RETURN_IF_ERROR(PointForOffloadCost(local.decision, local.decision.offload_cost).status());
  HIEDGE_ASSIGN_OR_RETURN(local.clean_stream, Replay(*sml, data.clean));
  if (!data.corrupted.images.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(local.corrupted_stream, Replay(*sml, data.corrupted));
  }
  HIEDGE_ASSIGN_OR_RETURN(local.sml_ms, MedianSampleMs(*sml, data.clean));
  // Offline references on the same images: the S-ML alone and HI at the calibrated θ.
  HIEDGE_ASSIGN_OR_RETURN(OffloadPolicy policy, OffloadPolicy::FromConfig(local.decision));
  const auto classes = static_cast<size_t>(info.num_classes);
  size_t sml_right = 0, hi_right = 0;
  for (size_t i = 0; i < data.clean.size(); ++i) {
    const PolicyDecision d = policy.Decide(
        std::span<const float>(local.clean_stream.sml_logits.data() + i * classes, classes));
    sml_right += d.prediction == data.clean.labels[i];
    hi_right += (d.offload ? lml_test.labels[i] : d.prediction) == data.clean.labels[i];
  }
  local.sml_accuracy = static_cast<double>(sml_right) / static_cast<double>(data.clean.size());
  local.hi_accuracy = static_cast<double>(hi_right) / static_cast<double>(data.clean.size());
  return local;
}

Result<std::unique_ptr<Prepared>> Prepare(const FleetOptions& o) {
  auto prepared = std::make_unique<Prepared>();
  HIEDGE_ASSIGN_OR_RETURN(auto lml, LoadModel(o.lml_card));
  const ModelInfo& info = lml->info();
  HIEDGE_ASSIGN_OR_RETURN(
      prepared->clean,
      LoadDataForModel(o.data_dir, Split::kTest, info.input_shape, info.num_classes, info.name));
  if (!o.corruption.empty() && o.corrupt_fraction > 0) {
    HIEDGE_ASSIGN_OR_RETURN(prepared->corrupted,
                            ApplyCorruption(prepared->clean, o.corruption, o.severity, o.seed));
  }
  HIEDGE_ASSIGN_OR_RETURN(Predictions lml_test, Predict(*lml, prepared->clean, 256));
  for (const std::string& card : o.sml_cards) {
    HIEDGE_ASSIGN_OR_RETURN(LocalModel local, PrepareLocal(o, card, *lml, *prepared, lml_test));
    prepared->locals.push_back(std::move(local));
  }
  // The streams point at the datasets, which no longer move.
  for (LocalModel& local : prepared->locals) {
    local.clean_stream.images = &prepared->clean;
    local.corrupted_stream.images = &prepared->corrupted;
  }
  return prepared;
}

std::vector<DeviceSpec> MakeDevices(const FleetOptions& o, const Prepared& p,
                                    const std::string& policy, int count,
                                    const std::vector<std::string>& endpoints) {
  std::vector<DeviceSpec> devices;
  // A ramp up: devices [from, to) join at an even pace over 90% of the run; a ramp
  // down: devices [to, from) leave at that pace, the last first.
  const auto ramp_us = static_cast<int64_t>((o.warmup_s + o.duration_s) * 1e6 * 0.9);
  const int from = o.ramp ? o.devices.front() : count, to = o.ramp ? o.devices.back() : count;
  const int stay = std::min(from, to);  // Devices present the whole run.
  const auto corrupt_devices = static_cast<int>(std::lround(o.corrupt_fraction * count));
  for (int i = 0; i < count; ++i) {
    const LocalModel& local = p.locals[static_cast<size_t>(i) % p.locals.size()];
    DeviceSpec d;
    d.id = i;
    d.seed = o.seed * 1000003ULL + static_cast<uint64_t>(i);
    d.sml_info = &local.info;
    d.sml_ms = local.sml_ms;
    const bool corrupt = !p.corrupted.images.empty() && i < corrupt_devices;
    d.stream = corrupt ? &local.corrupted_stream : &local.clean_stream;
    d.kind = local.name + (corrupt ? "+" + o.corruption : "");
    d.link.transport = o.transport;
    d.link.model = std::filesystem::path(o.lml_card).stem().string();
    d.link.client_id = "dev-" + std::to_string(i);
    d.link.jitter_seed = d.seed;
    d.link.max_retries = 1;
    const std::string& endpoint = endpoints[static_cast<size_t>(i) % endpoints.size()];
    (void)ParseHostPort(endpoint, &d.link);  // Checked when the servers started.
    d.rate_hz = o.rate_hz;
    d.poisson = o.poisson;
    d.options.policy = *OffloadPolicy::FromConfig(local.decision);
    const double deadline_ms =
        o.deadline_ms > 0 ? o.deadline_ms : std::max(1.0, o.slo_ms - local.sml_ms);
    d.options.offload_deadline =
        std::chrono::microseconds(static_cast<int64_t>(deadline_ms * 1000));
    if (policy == "load_aware" || policy == "server_set") d.options.cost_curve = local.decision;
    if (policy == "load_aware") d.options.offload_cost_per_ms = o.offload_cost_per_ms;
    if (policy == "server_set") d.options.follow_server_price = true;
    if (o.ramp && i >= stay) {
      const int64_t at = ramp_us * (i - stay + 1) / std::max(1, count - stay);
      if (from < to) {
        d.join_us = at;
      } else {
        d.leave_us = ramp_us - at + ramp_us / std::max(1, count - stay);
      }
    }
    devices.push_back(std::move(d));
  }
  if (!o.misbehaving.empty() && !devices.empty()) {
    DeviceSpec& bad = devices.back();
    bad.kind = o.misbehaving;  // Its figures are kept apart (FleetRun::well_behaved).
    if (o.misbehaving == "greedy") {
      bad.options.policy = OffloadPolicy::MaxSoftmax(2.0);  // θ > 1: offload everything.
      bad.options.cost_curve.reset();
      bad.options.follow_server_price = false;
      bad.options.offload_cost_per_ms = 0;
    } else {
      bad.rate_hz = 10 * o.rate_hz;
    }
  }
  return devices;
}

// Scrapes every server once per window until `stop`; one entry per window.
std::vector<std::vector<fleet::ServerScrape>> MonitorServers(
    const std::vector<std::string>& endpoints, int64_t start_us, double window_s,
    const std::atomic<bool>& stop) {
  std::vector<std::vector<fleet::ServerScrape>> scrapes;
  const auto window_us = static_cast<int64_t>(window_s * 1e6);
  for (int64_t next = start_us; !stop.load(); next += window_us) {
    while (!stop.load() && SteadyMicros() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (stop.load()) break;
    std::vector<fleet::ServerScrape> row;
    for (const std::string& e : endpoints) row.push_back(fleet::Scrape(e));
    scrapes.push_back(std::move(row));
  }
  return scrapes;
}

}  // namespace

// In fleet_report.cc: the run's figures from what the devices and the scrapes recorded.
FleetRun SummarizeFleetRun(const FleetOptions& options, const std::string& policy, int devices,
                           const std::vector<DeviceSpec>& specs, const std::vector<DeviceLog>& logs,
                           const std::vector<std::vector<fleet::ServerScrape>>& scrapes);

const std::vector<std::string>& FleetPolicyNames() {
  static const std::vector<std::string> names = {"fixed", "load_aware", "admission", "server_set"};
  return names;
}

Status ValidateFleetOptions(const FleetOptions& o) {
  for (const std::string& p : o.policies) {
    if (std::find(FleetPolicyNames().begin(), FleetPolicyNames().end(), p) ==
        FleetPolicyNames().end())
      return Status::InvalidArgument("unknown fleet policy " + Quoted(p) +
                                     " (fixed, load_aware, admission, server_set)");
  }
  if (o.policies.empty()) return Status::InvalidArgument("no fleet policy given");
  if (o.devices.empty()) return Status::InvalidArgument("no fleet size given");
  if (o.sml_cards.empty() || o.sml_cards.size() > 16)
    return Status::InvalidArgument("give 1 to 16 S-ML cards (--local)");
  if (!o.decision.empty() && o.sml_cards.size() > 1)
    return Status::InvalidArgument(
        "--decision is calibrated for one S-ML: leave it out to calibrate each --local");
  for (int n : o.devices) {
    if (n < 1 || n > 5000) return Status::InvalidArgument("fleet size must be in [1, 5000]");
  }
  if (o.ramp && o.devices.size() != 2)
    return Status::InvalidArgument("a ramp takes two fleet sizes, FROM:TO (up or down)");
  if (!(o.rate_hz > 0) || o.rate_hz > 1000)
    return Status::InvalidArgument("--rate-hz must be in (0, 1000]");
  if (!(o.slo_ms > 0) || o.slo_ms > 60000)
    return Status::InvalidArgument("--slo-ms must be in (0, 60000]");
  if (!(o.server_slo_fraction > 0) || o.server_slo_fraction > 1)
    return Status::InvalidArgument("--server-slo-fraction must be in (0, 1]");
  if (!(o.duration_s > 0) || o.duration_s > 3600 || !(o.warmup_s >= 0) || o.warmup_s > 600)
    return Status::InvalidArgument("--duration-s must be in (0, 3600] and --warmup-s in [0, 600]");
  if (!(o.window_s >= 0.1) || o.window_s > o.duration_s + o.warmup_s)
    return Status::InvalidArgument("--window-s must be at least 0.1 and within the run");
  if (!o.endpoints.empty() && o.transport == "grpc" &&
      o.grpc_endpoints.size() != o.endpoints.size())
    return Status::InvalidArgument(
        "--transport grpc with running servers: give each one's --grpc-server beside --server");
  if ((o.servers < 1 || o.servers > 16) && o.endpoints.empty())
    return Status::InvalidArgument("--servers must be in [1, 16]");
  if (!(o.corrupt_fraction >= 0) || o.corrupt_fraction > 1)
    return Status::InvalidArgument("--corrupt-fraction must be in [0, 1]");
  if (!o.misbehaving.empty() && o.misbehaving != "greedy" && o.misbehaving != "flood")
    return Status::InvalidArgument("--misbehaving must be greedy or flood");
  if (!(o.deadline_ms >= 0) || o.deadline_ms > 60000)
    return Status::InvalidArgument("--deadline-ms must be in [0, 60000]");
  if (!(o.beta >= 0) || o.beta > 10) return Status::InvalidArgument("--beta must be in [0, 10]");
  if (!(o.offload_cost_per_ms >= 0) || o.offload_cost_per_ms > 1000)
    return Status::InvalidArgument("--offload-cost-per-ms must be in [0, 1000]");
  return Status::Ok();
}

Result<FleetReport> RunFleet(const FleetOptions& options) {
  HIEDGE_RETURN_IF_ERROR(ValidateFleetOptions(options));
  FleetReport report;
  report.options = options;
  report.cpu = fleet::CpuModel();
  if (options.progress) std::fprintf(stderr, "fleet: preparing (S-ML logits, calibration)\n");
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<Prepared> prepared_ptr, Prepare(options));
  const Prepared& prepared = *prepared_ptr;
  for (const LocalModel& local : prepared.locals) {
    report.locals.push_back(
        {local.name, local.sml_ms, local.sml_accuracy, local.hi_accuracy, local.decision.theta});
  }
  std::error_code ec;
  std::filesystem::create_directories(options.out, ec);
  const std::string binary = options.serve_binary.empty()
                                 ? std::filesystem::read_symlink("/proc/self/exe", ec).string()
                                 : options.serve_binary;
  const std::filesystem::path lml(options.lml_card);
  const std::vector<int> sizes =
      options.ramp ? std::vector<int>{std::max(options.devices.front(), options.devices.back())}
                   : options.devices;
  for (const std::string& policy : options.policies) {
    for (int count : sizes) {
      fleet::ServerProcesses servers;
      std::vector<std::string> endpoints = options.endpoints;  // Scraped: REST.
      std::vector<std::string> device_endpoints =
          options.transport == "grpc" ? options.grpc_endpoints : options.endpoints;
      if (endpoints.empty()) {
        std::vector<std::string> args = {
            "--models-dir", lml.parent_path().empty() ? "." : lml.parent_path().string(), "--model",
            lml.stem().string(), "--grpc-port", options.transport == "grpc" ? "0" : "-1",
            "--max-batch-size", "64", "--max-queue-delay-us", "500", "--http-threads", "64",
            "--max-connections", "4096",
            // Stopped once the run is measured: no drain to wait for.
            "--drain-min-seconds", "0"};
        if (ServerAdmits(policy)) {
          args.push_back("--slo-ms");
          args.push_back(std::to_string(options.slo_ms * options.server_slo_fraction));
        }
        args.insert(args.end(), options.serve_args.begin(), options.serve_args.end());
        const std::string logs = options.out + "/server-logs";
        std::filesystem::create_directories(logs, ec);
        HIEDGE_RETURN_IF_ERROR(servers.Start(binary, args, options.servers, logs));
        endpoints = servers.endpoints();
        device_endpoints = options.transport == "grpc" ? servers.grpc_endpoints() : endpoints;
        if (device_endpoints.size() != endpoints.size())
          return Status::Unavailable("a started server did not report its gRPC port");
      }
      if (options.progress) {
        std::fprintf(stderr, "fleet: %-10s %5d devices, %.0f s ...", policy.c_str(), count,
                     options.warmup_s + options.duration_s);
        std::fflush(stderr);
      }
      const std::vector<DeviceSpec> specs =
          MakeDevices(options, prepared, policy, count, device_endpoints);
      const int64_t start_us = SteadyMicros() + 200'000;
      const int64_t measure_us = start_us + static_cast<int64_t>(options.warmup_s * 1e6);
      const int64_t end_us = measure_us + static_cast<int64_t>(options.duration_s * 1e6);
      std::atomic<bool> stop{false};
      std::vector<std::vector<fleet::ServerScrape>> scrapes;
      std::thread monitor(
          [&] { scrapes = MonitorServers(endpoints, start_us, options.window_s, stop); });
      // CPU is read at the measured part's edges by a helper thread.
      double self_cpu0 = 0, self_cpu1 = 0, server_cpu0 = 0, server_cpu1 = 0;
      std::thread cpu_clock([&] {
        while (SteadyMicros() < measure_us)
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        self_cpu0 = fleet::SelfCpuSeconds();
        server_cpu0 = servers.CpuSeconds();
        while (SteadyMicros() < end_us) std::this_thread::sleep_for(std::chrono::milliseconds(2));
        self_cpu1 = fleet::SelfCpuSeconds();
        server_cpu1 = servers.CpuSeconds();
      });
      std::vector<DeviceLog> logs = fleet::RunDevices(specs, start_us, end_us);
      cpu_clock.join();
      stop.store(true);
      monitor.join();
      servers.Stop();
      FleetRun run = SummarizeFleetRun(options, policy, count, specs, logs, scrapes);
      run.harness_cores = (self_cpu1 - self_cpu0) / options.duration_s;
      run.server_cores = (server_cpu1 - server_cpu0) / options.duration_s;
      if (options.progress) {
        std::fprintf(stderr, " SLO %.1f%%, accuracy %.2f%%, offloads %.1f%%, p99 %.1f ms\n",
                     100 * run.figures.slo_satisfaction, 100 * run.figures.accuracy,
                     100 * run.figures.offload_rate, run.figures.p99_ms);
      }
      report.runs.push_back(std::move(run));
    }
  }
  return report;
}

}  // namespace hiedge
