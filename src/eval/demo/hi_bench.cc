#include "eval/demo/hi_bench.h"

#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "device/offload_link.h"
#include "eval/early_exit/ee_study.h"
#include "eval/links/link_emulator.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/server/http_server.h"

namespace hiedge {
namespace {

std::vector<ModelledProfileCost> ModelRow(const std::vector<DeviceProfile>& profiles,
                                          int64_t local_macs, bool runs_local,
                                          double offload_fraction) {
  std::vector<ModelledProfileCost> out;
  for (DeviceProfile p : profiles) {
    // The profile's local figures are for its reference model; scale them by MACs.
    const double scale = static_cast<double>(local_macs) / kProfileReferenceMacs;
    p.local_latency_ms *= scale;
    if (p.local_energy_mj) *p.local_energy_mj *= scale;
    const ModelledCost cost = ModelPerInference(p, runs_local, offload_fraction);
    out.push_back({p.name, cost.latency_ms, cost.energy_mj});
  }
  return out;
}

nlohmann::json Figure(double value, const char* kind) { return {{"value", value}, {"kind", kind}}; }

}  // namespace

Result<HiBenchReport> RunHiBench(const HiBenchOptions& o) {
  HIEDGE_ASSIGN_OR_RETURN(const eval::LinkProfile link, eval::ParseLinkProfile(o.link));
  std::shared_ptr<InferenceBackend> local, remote;
  HIEDGE_ASSIGN_OR_RETURN(local, LoadModel(o.local_model, {"", o.threads}));
  HIEDGE_ASSIGN_OR_RETURN(remote, LoadModel(o.remote_model, {"", o.threads}));
  HIEDGE_ASSIGN_OR_RETURN(StudySplits splits, LoadStudySplits(o.data, local->info()));
  const Dataset validation = std::move(splits.validation);
  Dataset test = std::move(splits.test);
  HIEDGE_RETURN_IF_ERROR(CheckDataFitsModel(test, remote->info().input_shape,
                                            remote->info().num_classes, remote->info().name));
  if (o.limit > 0) test = Head(test, o.limit);
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<DeviceProfile> profiles,
                          LoadDeviceProfiles(o.profiles));

  HiBenchReport report;
  report.data = o.data;
  report.local_model = o.local_model;
  report.remote_model = o.remote_model;
  report.link = link;
  report.local_macs = local->info().macs_per_sample;
  HIEDGE_ASSIGN_OR_RETURN(report.class_names, DataClassNames(o.data));
  report.validation_samples = validation.size();
  report.validation_seed = kDefaultSplitSeed;
  HIEDGE_ASSIGN_OR_RETURN(Predictions local_val, Predict(*local, validation, 256, o.progress));
  HIEDGE_ASSIGN_OR_RETURN(Predictions remote_val, Predict(*remote, validation, 256, o.progress));
  report.local_validation_accuracy = AccuracyOf(local_val, validation);
  report.remote_validation_accuracy = AccuracyOf(remote_val, validation);
  const CostModel cost{o.offload_cost, 1.0};
  DecisionConfig config;
  if (o.decision_config.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(
        config,
        CalibratePolicy(Labelled(local_val, remote_val, validation.labels), {.cost = cost}));
  } else {
    HIEDGE_ASSIGN_OR_RETURN(config, ReadDecisionConfig(o.decision_config));
  }
  HIEDGE_ASSIGN_OR_RETURN(OffloadPolicy policy, OffloadPolicy::FromConfig(config));
  report.policy = policy.Describe();

  const std::vector<LoopbackStrategy> strategies = {
      {"S-ML only", OffloadPolicy::MaxSoftmax(0)},
      {"Full offload (L-ML)", OffloadPolicy::MaxSoftmax(kAlwaysOffload)},
      {"HI (" + policy.Describe() + ")", policy}};
  HIEDGE_ASSIGN_OR_RETURN(LoopbackRun run,
                          RunStrategiesOnLoopback(local, remote, test, strategies, cost,
                                                  o.offload_deadline, o.progress, link));
  report.request_bytes = run.request_bytes;
  report.payload = run.payload;
  for (size_t k = 0; k < strategies.size(); ++k) {
    HiBenchRow row;
    row.result = run.results[k];
    row.bytes_sent_per_sample = static_cast<double>(row.result.offloaded * report.request_bytes) /
                                static_cast<double>(test.size());
    const bool runs_local = strategies[k].policy.theta() < kAlwaysOffload;
    row.modelled = ModelRow(profiles, report.local_macs, runs_local, row.result.offload_fraction());
    report.rows.push_back(std::move(row));
  }
  return report;
}

Result<LoopbackRun> RunStrategiesOnLoopback(
    std::shared_ptr<InferenceBackend> local, std::shared_ptr<InferenceBackend> remote,
    const Dataset& test, const std::vector<LoopbackStrategy>& strategies, const CostModel& cost,
    std::chrono::microseconds offload_deadline, bool progress, const eval::LinkProfile& link) {
  if (test.size() == 0) return Status::InvalidArgument("no test samples to run");
  LoopbackRun run;
  InferenceService service;
  const std::string remote_name = remote->info().name;
  HIEDGE_RETURN_IF_ERROR(service.AddModel(remote_name, remote));
  HttpServerOptions server_options;
  server_options.host = "127.0.0.1";
  server_options.port = 0;
  HttpServer server(&service, server_options);
  HIEDGE_RETURN_IF_ERROR(server.Start());
  // Over a shaped link the device talks to the emulator, which passes bytes on to the
  // server as the link would.
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<eval::LinkEmulator> emulator,
                          eval::EmulateIfShaped(link, server.port()));
  OffloadOptions offload;
  offload.host = "127.0.0.1";
  offload.port = emulator ? emulator->port() : server.port();
  offload.model = remote_name;
  if (remote->info().pixel_inputs) offload.payload = Payload::kUint8Pixels;
  run.payload = offload.payload == Payload::kUint8Pixels ? "UINT8" : "FP32";
  std::unique_ptr<OffloadClient> client = MakeOffloadClient(offload);
  {
    const TensorView first = test.sample(0);
    std::vector<int64_t> one_shape = {1};
    one_shape.insert(one_shape.end(), first.shape.begin(), first.shape.end());
    const FloatTensor one{one_shape, std::vector<float>(first.data.begin(), first.data.end())};
    auto body_bytes = [&](Payload payload) {
      return protocol::EncodeInferRequest(internal::LogitsRequest(one, true, payload), true)
          .body.size();
    };
    run.request_bytes = body_bytes(offload.payload);
    run.fp32_request_bytes = body_bytes(Payload::kFp32);
  }
  for (const LoopbackStrategy& s : strategies) {
    DeviceOptions options;
    options.policy = s.policy;
    options.offload_deadline = offload_deadline;
    DeviceRuntime device(local.get(), client.get(), options);
    double wall = 0;
    HIEDGE_ASSIGN_OR_RETURN(std::vector<SampleRecord> records,
                            RunDevice(device, test, s.name, &wall, progress));
    run.results.push_back(Summarize(s.name, s.policy.theta(), records, test, cost, wall));
  }
  client.reset();  // Its connections close before the emulator and the server stop.
  emulator.reset();
  server.Stop();
  return run;
}

std::string HiBenchToJson(const HiBenchReport& r) {
  nlohmann::json j;
  j["data"] = r.data;
  j["local_model"] = r.local_model;
  j["remote_model"] = r.remote_model;
  j["policy"] = r.policy;
  j["class_names"] = r.class_names;
  j["validation"] = {{"samples", r.validation_samples},
                     {"seed", r.validation_seed},
                     {"local_accuracy", Figure(r.local_validation_accuracy, "measured")},
                     {"remote_accuracy", Figure(r.remote_validation_accuracy, "measured")}};
  j["payload"] = r.payload;
  j["link"] = {{"name", r.link.name},
               {"source", r.link.source},
               {"uplink_bytes_per_second", r.link.uplink_bytes_per_second},
               {"downlink_bytes_per_second", r.link.downlink_bytes_per_second},
               {"one_way_delay_ms", r.link.one_way_delay_ms},
               {"jitter_ms", r.link.jitter_ms},
               {"loss", r.link.loss},
               {"emulated", r.link.shaped()}};
  j["request_bytes"] = Figure(static_cast<double>(r.request_bytes), "measured");
  j["local_macs"] = r.local_macs;
  nlohmann::json rows = nlohmann::json::array();
  for (const HiBenchRow& row : r.rows) {
    const StrategyResult& s = row.result;
    nlohmann::json modelled = nlohmann::json::array();
    for (const ModelledProfileCost& m : row.modelled) {
      modelled.push_back({{"profile", m.profile},
                          {"latency_ms", Figure(m.latency_ms, "modelled")},
                          {"energy_mj", m.energy_mj ? Figure(*m.energy_mj, "modelled")
                                                    : nlohmann::json(nullptr)}});
    }
    rows.push_back({{"strategy", s.strategy},
                    {"theta", s.theta},
                    {"samples", s.samples},
                    {"accuracy", Figure(s.accuracy, "measured")},
                    {"offload_rate", Figure(s.offload_fraction(), "measured")},
                    {"fallbacks", Figure(static_cast<double>(s.fallbacks), "measured")},
                    {"cost_per_sample",
                     Figure(s.samples ? s.cost / static_cast<double>(s.samples) : 0, "measured")},
                    {"latency_ms",
                     {{"mean", Figure(s.mean_latency_ms, "measured")},
                      {"p50", Figure(s.p50_latency_ms, "measured")},
                      {"p99", Figure(s.p99_latency_ms, "measured")}}},
                    {"bytes_sent_per_sample", Figure(row.bytes_sent_per_sample, "measured")},
                    {"throughput_per_s", Figure(s.throughput_per_s, "measured")},
                    {"device_profiles", modelled}});
  }
  j["strategies"] = rows;
  return j.dump(2) + "\n";
}

std::string HiBenchToText(const HiBenchReport& r) {
  std::string out = fmt::format("data {} | S-ML {} | L-ML {} | HI: {} | link {}\n", r.data,
                                r.local_model, r.remote_model, r.policy, r.link.name);
  out += fmt::format("{:<44} {:>9} {:>9} {:>9} {:>9} {:>10}\n", "strategy", "accuracy", "offloads",
                     "p50 ms", "p99 ms", "bytes/smp");
  for (const HiBenchRow& row : r.rows) {
    const StrategyResult& s = row.result;
    out += fmt::format("{:<44} {:>8.2f}% {:>8.2f}% {:>9.3f} {:>9.3f} {:>10.1f}\n", s.strategy,
                       100 * s.accuracy, 100 * s.offload_fraction(), s.p50_latency_ms,
                       s.p99_latency_ms, row.bytes_sent_per_sample);
  }
  return out;
}

std::string HiBenchToMarkdown(const HiBenchReport& r, const std::string& title,
                              const std::string& command) {
  std::string out = "## " + title + "\n\n";
  out += fmt::format(
      "Generated by `{}`. S-ML `{}` (validation {:.2f}%), L-ML `{}` (validation {:.2f}%), "
      "data `{}`; the HI row's decision ({}) was chosen on {} validation samples carved from "
      "the training data (seed {}). Accuracy, offloads, latency and bytes are measured {} "
      "through the device runtime and the REST server; energy is modelled from the "
      "device profiles.\n\n",
      command, r.local_model, 100 * r.local_validation_accuracy, r.remote_model,
      100 * r.remote_validation_accuracy, r.data, r.policy, r.validation_samples, r.validation_seed,
      r.link.shaped() ? "over the emulated `" + r.link.name + "` link (" + r.link.source + ")"
                      : std::string("on loopback"));
  std::string energy_header, energy_rule;
  if (!r.rows.empty()) {
    for (const ModelledProfileCost& m : r.rows[0].modelled) {
      if (!m.energy_mj) continue;
      energy_header += " " + m.profile + " mJ (modelled) |";
      energy_rule += "---|";
    }
  }
  out += "| strategy | accuracy | offloaded | p50 ms | p99 ms | bytes sent / sample |" +
         energy_header + "\n|---|---|---|---|---|---|" + energy_rule + "\n";
  for (const HiBenchRow& row : r.rows) {
    const StrategyResult& s = row.result;
    out += fmt::format("| {} | {:.2f}% | {:.2f}% | {:.3f} | {:.3f} | {:.1f} |", s.strategy,
                       100 * s.accuracy, 100 * s.offload_fraction(), s.p50_latency_ms,
                       s.p99_latency_ms, row.bytes_sent_per_sample);
    for (const ModelledProfileCost& m : row.modelled) {
      if (m.energy_mj) out += fmt::format(" {:.2f} |", *m.energy_mj);
    }
    out += "\n";
  }
  return out + "\n";
}

}  // namespace hiedge
