// A running summary of a device's answers, in bounded memory: counts, accuracy where
// labels are known, fallbacks and their causes, and latency percentiles from a
// log-bucketed histogram (1% resolution). For devices that run unattended: the summary
// of a billion samples takes the same few kilobytes as that of ten.
// A DeviceSummary is a value that owns its counts; Add is not thread-safe (the device
// adds from its own thread; copy it to read elsewhere).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "hiedge/decision/accuracy_estimate.h"
#include "hiedge/device/device.h"
#include "hiedge/decision/drift.h"

namespace hiedge {

// Latencies in milliseconds, 1 µs to 100 s, in buckets 1% wide; percentiles are the
// upper edge of their bucket (at most 1% high). Values outside the range are clamped.
class LatencyHistogram {
 public:
  void Add(double ms);
  double Percentile(double p) const;  // p in [0, 100]; 0 when empty.
  double Mean() const { return count_ == 0 ? 0 : sum_ms_ / static_cast<double>(count_); }
  double Max() const { return max_ms_; }
  uint64_t count() const { return count_; }

 private:
  static constexpr size_t kBuckets = 1860;  // ln(1e8) / ln(1.01) + 1
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  double sum_ms_ = 0;
  double max_ms_ = 0;
};

struct DeviceSummary {
  std::string policy;  // OffloadPolicy::Describe() of the device's policy.
  uint64_t samples = 0;
  uint64_t labelled = 0;
  uint64_t correct = 0;                      // Final answers equal to the label (labelled samples).
  uint64_t local_correct = 0;                // S-ML answers equal to the label.
  uint64_t offloaded = 0;                    // The decision said offload.
  std::map<int, uint64_t> answered_at_exit;  // Early exit -> samples it answered (EE-HI).
  bool drift_detection = false;              // Drift detection ran.
  uint64_t drift_alarms = 0;                 // Samples that raised a drift alarm.
  std::vector<DriftAlarm> drift;             // The first alarms (DriftDetector::alarms()).
  std::vector<DriftEpisode> drift_episodes;  // Every alarm (DriftDetector::episodes()).
  uint64_t remote_answers = 0;
  uint64_t fallbacks = 0;
  std::map<std::string, uint64_t> fallback_causes;  // At most kMaxCauses reasons.
  LatencyHistogram total_ms;                        // Per sample, S-ML to final answer.
  LatencyHistogram local_ms;                        // S-ML inference.
  // Offload prices the server sent that were nonsense and ignored
  // (DeviceRuntime::ignored_prices), and the offload β at the end (with load-aware or
  // server-set thresholds; < 0 when neither was on).
  uint64_t ignored_prices = 0;
  double final_offload_beta = -1;
  // The label-free estimate of the S-ML's accuracy per window (set it to turn it on;
  // needs the config's reliability table).
  std::optional<AccuracyEstimator> estimate;

  static constexpr size_t kMaxCauses = 16;

  // Adds one answered sample; `label` < 0 when unknown.
  void Add(const SampleRecord& record, int label);
  double offload_rate() const;
  double fallback_rate() const;
  double accuracy() const;  // Over labelled samples; 0 when none.
  // Mean cost per labelled sample: 1 per wrong final answer + beta per offload (seed 000).
  double cost(double beta) const;
  std::string ToJson(double beta) const;
  std::string ToText(double beta) const;

 private:
  nlohmann::json DriftJson() const;
  nlohmann::json EstimateJson() const;
  uint64_t labelled_offloads_ = 0;
};

}  // namespace hiedge
