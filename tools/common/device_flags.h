// The device's command-line flags, shared by `hiedge device` and `hiedge-device` so the
// two cannot drift apart, and the set-up they describe.
#pragma once

#include <CLI/CLI.hpp>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"

namespace hiedge::cli {

struct DeviceFlags {
  std::string local = "models/sml.json";
  std::string engine;    // Backend name; empty = the best registered one.
  int threads = 1;       // S-ML intra-op threads.
  std::string decision;  // Decision config; overrides --theta/--beta.
  bool force = false;
  // Offload iff max softmax < theta; NaN = not given: 0.9, or the --decision config's.
  // Given with --decision it overrides the config's θ (0: S-ML only, > 1: L-ML only)
  // while drift detection keeps judging at the calibrated θ.
  double theta = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> exit_thresholds;  // EE-HI; overrides the config's.
  bool no_drift = false;                // Drift detection is on with a --decision config.
  double drift_false_alarm_rate = 1e-4;
  bool learn = false;                // Field learner (needs --decision).
  double audit_rate = 0.02;          // Of the field learner.
  uint64_t audit_seed = 1;           // Of the field learner's audit draws.
  std::string learner_state;         // Loaded when it exists, saved at the end.
  uint64_t checkpoint_every = 1000;  // Also save the learner state every N samples.
  bool label_audits = false;         // Act as the application: label audits from the data.
  double beta = 0.1;
  OffloadOptions server;
  std::vector<std::string> endpoints = {"127.0.0.1:8000"};
  std::string transport = "rest";
  std::string payload = "fp32";  // ParsePayload
  int deadline_ms = 500;
  int breaker_failures = 3;         // Offloads in a row past the deadline open the breaker.
  double offload_cost_per_ms = 0;   // Load-aware β per ms of round trip; 0 = off.
  bool follow_server_price = false;  // Add the server's offload price to β.
  size_t offload_batch = 1;
  double offload_batch_delay_ms = 2;
  double max_fallback_fraction = 0.01;
  std::string out = "results/device";
};

void AddDeviceFlags(CLI::App* command, DeviceFlags* flags);

// What the flags describe, ready to run. theta/beta come from --decision when given
// (refused when calibrated for another model than --local, unless --force).
struct DeviceSetup {
  std::unique_ptr<InferenceBackend> local;
  std::unique_ptr<OffloadClient> client;
  DeviceOptions options;
  double beta = 0;
  std::optional<DecisionConfig> decision;  // The --decision config, when given.
};
Result<DeviceSetup> SetUpDevice(const DeviceFlags& flags);

// Saves the device's field-learner state to --learner-state (when both are set).
Status SaveLearnerState(const DeviceFlags& flags, const DeviceRuntime& device);
// One line on the learner for the run's text summary ("" without one).
std::string LearnerSummaryLine(const DeviceRuntime& device);

// Exit code 6: the run completed but drift was detected (when nothing worse happened).
inline constexpr int kExitDriftDetected = 6;
// ExitCodeFor(status), or kExitDriftDetected when it is OK and `drift` alarmed.
int ExitCodeWithDrift(const Status& status, const DriftDetector* drift);

// Unavailable (exit code 5) when more than `max_fraction` of the samples fell back.
Status CheckFallbackFraction(uint64_t fallbacks, uint64_t samples, double max_fraction);

}  // namespace hiedge::cli
