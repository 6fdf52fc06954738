// The devices of a fleet run: one thread per device, each a DeviceRuntime over a
// replayed S-ML and its own offload connection, recording every sample. Internal to
// src/eval.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"

namespace hiedge::fleet {

// Why a sample fell back, coarsely (per-window counts); the full message is counted
// per run.
enum class Cause : uint8_t { kNone, kRefused, kDeadline, kCircuitOpen, kOther };

// One answered sample. Times are ms from the run's start.
struct SampleLog {
  float arrival_ms = 0;
  float latency_ms = 0;  // Arrival to answer, plus the S-ML's time.
  uint16_t device = 0;
  bool offloaded = false;
  bool fallback = false;
  bool correct = false;
  Cause cause = Cause::kNone;
};

// A stream of images with the S-ML's logits precomputed for each.
struct ReplayedStream {
  const Dataset* images = nullptr;
  std::vector<float> sml_logits;  // [images, classes]
  int classes = 0;
};

// One simulated device's set-up.
struct DeviceSpec {
  int id = 0;
  const ModelInfo* sml_info = nullptr;  // The replayed S-ML's.
  double sml_ms = 0;                    // Added to each latency: its time per sample.
  const ReplayedStream* stream = nullptr;
  OffloadOptions link;
  DeviceOptions options;
  double rate_hz = 10;
  bool poisson = false;
  int64_t join_us = 0;   // From the run's start.
  int64_t leave_us = 0;  // From the run's start; 0 = stays to the end.
  uint64_t seed = 1;
  std::string kind;
};

// Everything one device recorded.
struct DeviceLog {
  std::vector<SampleLog> samples;
  std::vector<std::pair<std::string, uint64_t>> causes;  // Fallback messages, counted.
  uint64_t ignored_prices = 0;
};

// Runs `devices` (one thread each) from `start_us` (SteadyMicros) until `end_us`.
std::vector<DeviceLog> RunDevices(const std::vector<DeviceSpec>& devices, int64_t start_us,
                                  int64_t end_us);

}  // namespace hiedge::fleet
