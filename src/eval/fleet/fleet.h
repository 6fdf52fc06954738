// `hiedge fleet`: many simulated devices, each a real DeviceRuntime with its own
// connection, stream and arrival process, against real `hiedge serve` processes under
// one latency objective (SLO), compared across offload policies and fleet sizes.
//
// What is simulated and what is real (docs/fleet.md):
// - real: every offload (OIP over loopback, one connection per device), the servers
//   (separate processes, batched L-ML), each device's decision, breaker, price and
//   θ logic (DeviceRuntime);
// - replayed: the S-ML. A fleet's devices each compute on their own CPU, not on the
//   server's, so the harness runs the real S-ML once over every image before the run
//   and each device replays its logits; the S-ML's measured median time per sample on
//   this machine is added to every sample's latency.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"

namespace hiedge {

// The offload policies a fleet can run.
//   fixed       devices offload at the calibrated θ; the server admits everything.
//   load_aware  devices price the measured round trip into β (offload_cost_per_ms).
//   admission   fixed θ, the server refuses what would miss its SLO.
//   server_set  the server refuses and publishes a price; devices follow it.
const std::vector<std::string>& FleetPolicyNames();

struct FleetOptions {
  // S-ML cards; devices take them in turn, each with a decision calibrated for it.
  std::vector<std::string> sml_cards = {"models/sml.json"};
  std::string lml_card = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  // Decision config with a cost curve; "" = calibrated here on the validation split,
  // at offload cost `beta`.
  std::string decision;
  double beta = 0.02;
  std::vector<std::string> policies = {"fixed", "load_aware", "server_set"};
  // Fleet sizes, each run after a fresh server start; or, with ramp, a ramp from the
  // first to the last over the whole duration (devices join, or leave, at an even pace).
  std::vector<int> devices = {10, 100, 1000};
  bool ramp = false;
  double rate_hz = 10;   // Frames per second per device.
  bool poisson = false;  // Else periodic frames (a camera), with a random phase.
  double slo_ms = 50;    // End to end: S-ML + decision + offload, from the frame's arrival.
  // Each device's offload deadline, ms; 0 = what the SLO leaves after the S-ML (a
  // fallback then still lands within the SLO, at the cost of the L-ML's answer).
  double deadline_ms = 0;
  // The servers' own share of the SLO (--slo-ms of `hiedge serve` with admission).
  double server_slo_fraction = 0.6;
  double warmup_s = 3;     // Per run, not measured.
  double duration_s = 10;  // Per run, measured.
  double window_s = 1;
  int servers = 1;  // `hiedge serve` processes started on loopback.
  // Running servers instead (host:port of REST, scraped for metrics); devices offload
  // there too unless grpc_endpoints are given.
  std::vector<std::string> endpoints;
  std::vector<std::string> grpc_endpoints;
  std::string serve_binary;             // The `hiedge` executable; "" = this process's.
  std::vector<std::string> serve_args;  // Extra arguments for `hiedge serve`.
  std::string transport = "rest";       // The devices' offload protocol.
  double offload_cost_per_ms = 0.01;    // load_aware.
  // A fraction of the devices sees this corruption (hiedge/data/corruptions.h); "" = none.
  std::string corruption;
  double corrupt_fraction = 0;
  int severity = 3;
  // One device that misbehaves: "" (none), "greedy" (offloads every sample, ignores the
  // price) or "flood" (10x the rate).
  std::string misbehaving;
  uint64_t seed = 1;
  bool progress = true;
  std::string out = "results/fleet";
};

// InvalidArgument naming the option when one is out of range or unknown.
Status ValidateFleetOptions(const FleetOptions& options);

// Fleet-wide figures of one (policy, fleet size) run, or of one window of it.
struct FleetFigures {
  uint64_t samples = 0;
  double slo_satisfaction = 0;  // Answered within slo_ms (fallbacks at their real latency).
  double accuracy = 0;
  double offload_rate = 0;  // Samples the device offloaded (answered remotely or not).
  double fallback_rate = 0;
  double refused_rate = 0;  // Fallbacks because a server refused (admission, quota).
  double p50_ms = 0, p99_ms = 0;
};

struct FleetWindow {
  double t_s = 0;   // Window start, from the run's start (warm-up included).
  int devices = 0;  // Devices active in it.
  FleetFigures figures;
  double price = 0;            // Mean of the servers' offload price at the window's end.
  double server_queue_ms = 0;  // Mean queue wait of the servers' requests in the window.
  double server_busy = 0;      // Compute time / window time, summed over servers.
};

struct FleetDeviceSummary {
  int device = 0;
  std::string kind;  // The S-ML's name, "+corruption", or the misbehaviour.
  FleetFigures figures;
};

struct FleetRun {
  std::string policy;
  int devices = 0;       // The fleet size (the largest of a ramp).
  FleetFigures figures;  // Over the measured part.
  // Fleet-wide fallbacks by cause (the DeviceRuntime's error, bounded to 80 bytes).
  std::vector<std::pair<std::string, uint64_t>> fallback_causes;
  std::vector<FleetWindow> windows;
  std::vector<FleetDeviceSummary> per_device;
  double harness_cores = 0;           // The harness process's CPU over the measured part.
  double server_cores = 0;            // The started servers' CPU over the measured part.
  double lml_accuracy_offloaded = 0;  // Of answered offloads.
  // With a misbehaving device: the others' figures alone (else equal to `figures`).
  FleetFigures well_behaved;
  // Per kind of device (S-ML, corruption, misbehaviour), sorted by kind.
  std::vector<std::pair<std::string, FleetFigures>> by_kind;
};

struct FleetLocal {
  std::string name;         // The card's stem; devices.csv's kind starts with it.
  double sml_ms = 0;        // Its median time per sample here, added to latencies.
  double sml_accuracy = 0;  // Alone, on the clean test images.
  double hi_accuracy = 0;   // With the L-ML at its calibrated θ, offline, same images.
  double theta = 0;
};

struct FleetReport {
  FleetOptions options;
  std::vector<FleetLocal> locals;
  std::string cpu;
  std::vector<FleetRun> runs;
};

// Runs every (policy, fleet size) and writes the report under options.out:
// fleet.json, fleet.csv (one row per run), windows.csv, devices.csv and plots.
Result<FleetReport> RunFleet(const FleetOptions& options);

std::string FleetReportToJson(const FleetReport& report);
std::string FleetRunsToTable(const FleetReport& report);
Status WriteFleetReport(const FleetReport& report, const std::string& dir);

}  // namespace hiedge
