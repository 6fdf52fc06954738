#include <cstdio>

#include "commands.h"
#include "eval/fleet/fleet.h"

namespace hiedge::cli {
namespace {

struct FleetArgs {
  FleetOptions options;
  std::string devices = "10,100,1000";
  std::string transport = "rest";
};

// "10,100,1000" (a sweep) or "10:1000" (a ramp).
Status ParseDevices(const std::string& text, FleetOptions* o) {
  o->devices.clear();
  o->ramp = text.find(':') != std::string::npos;
  const char separator = o->ramp ? ':' : ',';
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(separator, start), text.size());
    const std::string part = text.substr(start, end - start);
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(part, &used);
    } catch (...) {
      used = 0;
    }
    if (part.empty() || used != part.size())
      return Status::InvalidArgument("--devices " + Quoted(text) +
                                     ": give sizes as 10,100,1000 or a ramp as 10:1000");
    o->devices.push_back(value);
    start = end + 1;
  }
  return Status::Ok();
}

Status Fleet(FleetArgs a) {
  HIEDGE_RETURN_IF_ERROR(ParseDevices(a.devices, &a.options));
  HIEDGE_ASSIGN_OR_RETURN(a.options.transport, ParseTransport(a.transport));
  HIEDGE_ASSIGN_OR_RETURN(FleetReport report, RunFleet(a.options));
  std::printf("%s", FleetRunsToTable(report).c_str());
  HIEDGE_RETURN_IF_ERROR(WriteFleetReport(report, a.options.out));
  std::fprintf(stderr, "wrote %s/fleet.json, fleet.csv, windows.csv, devices.csv and plots\n",
               a.options.out.c_str());
  return Status::Ok();
}

}  // namespace

void AddFleetCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "fleet",
      "Many devices, each a real DeviceRuntime with its own connection and stream, against "
      "`hiedge serve` processes under one latency SLO, per offload policy and fleet size");
  auto a = std::make_shared<FleetArgs>();
  FleetOptions& o = a->options;
  cmd->add_option("--devices", a->devices,
                  "Fleet sizes to run, each after a fresh server start (10,100,1000), or a ramp "
                  "FROM:TO over the run (devices join at an even pace, or leave with FROM > TO)")
      ->capture_default_str();
  cmd->add_option("--policies", o.policies,
                  "fixed, load_aware, admission, server_set (see docs/fleet.md)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--slo-ms", o.slo_ms, "End-to-end latency objective per sample")
      ->capture_default_str();
  cmd->add_option("--server-slo-fraction", o.server_slo_fraction,
                  "Share of the SLO the servers' admission control is given (their --slo-ms)")
      ->capture_default_str();
  cmd->add_option("--deadline-ms", o.deadline_ms,
                  "Devices' offload deadline (0 = what the SLO leaves after the S-ML)")
      ->capture_default_str();
  cmd->add_option("--rate-hz", o.rate_hz, "Frames per second per device")->capture_default_str();
  cmd->add_flag("--poisson", o.poisson, "Poisson arrivals instead of periodic frames");
  cmd->add_option("--duration-s", o.duration_s, "Measured seconds per run")->capture_default_str();
  cmd->add_option("--warmup-s", o.warmup_s, "Unmeasured seconds before each run's measurement")
      ->capture_default_str();
  cmd->add_option("--window-s", o.window_s, "Time-series window")->capture_default_str();
  cmd->add_option("--servers", o.servers, "`hiedge serve` processes to start on loopback")
      ->capture_default_str();
  cmd->add_option("--server", o.endpoints,
                  "Use running servers (host:port, repeatable) instead of starting them; the "
                  "policy's server side is then theirs");
  cmd->add_option("--grpc-server", o.grpc_endpoints,
                  "With --server and --transport grpc: each running server's gRPC host:port");
  cmd->add_option("--serve-arg", o.serve_args, "Extra argument for the started servers (repeat)");
  cmd->add_option("--transport", a->transport, "Devices' offload protocol: rest or grpc")
      ->check(RegisteredTransport())
      ->capture_default_str();
  cmd->add_option("--local", o.sml_cards,
                  "S-ML model card; repeat for a mixed fleet (devices take them in turn, each "
                  "calibrated for its own)")
      ->capture_default_str();
  cmd->add_option("--remote", o.lml_card, "L-ML model card the servers serve")
      ->capture_default_str();
  cmd->add_option("--decision", o.decision,
                  "Decision config with a cost curve (default: calibrated here on the "
                  "validation split of the training data)");
  cmd->add_option("--beta", o.beta,
                  "Offload cost the decision is calibrated for when no --decision is given")
      ->capture_default_str();
  cli::AddDataOption(cmd, &o.data_dir);
  cmd->add_option("--offload-cost-per-ms", o.offload_cost_per_ms,
                  "load_aware: beta per ms of measured round trip")
      ->capture_default_str();
  cmd->add_option("--corruption", o.corruption,
                  "Corruption some devices see (hiedge/data/corruptions.h names)");
  cmd->add_option("--corrupt-fraction", o.corrupt_fraction, "Share of devices that see it")
      ->capture_default_str();
  cmd->add_option("--severity", o.severity, "Corruption severity 1-5")->capture_default_str();
  cmd->add_option("--misbehaving", o.misbehaving,
                  "Make the last device greedy (offloads everything, ignores the price) or "
                  "flood (10x the rate)")
      ->check(CLI::IsMember({"", "greedy", "flood"}));
  cmd->add_option("--seed", o.seed, "Streams, phases and jitter")->capture_default_str();
  cmd->add_flag("!--no-progress", o.progress, "No progress lines on standard error");
  cmd->add_option("--out", o.out, "Results folder")->capture_default_str();
  cmd->footer(
      "Writes fleet.json (one row per policy and fleet size, and per-window series), "
      "fleet.csv, windows.csv, devices.csv and plots. Exit code 2 for bad options, 5 when a "
      "server cannot be started.");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Fleet(*a)); });
}

}  // namespace hiedge::cli
