// Drift detection on the device: live statistics against the calibration's. Three
// CUSUM tests (Page) run side by side, each on per-sample log-likelihood ratios of a
// shifted alternative against the calibration reference:
//   offload_rate   offloaded or not: Bernoulli(p0) vs Bernoulli(p1), p1 = max(2 p0, p0 + 0.1)
//   confidence     max-probability bin: the reference histogram q vs (q + uniform) / 2
//                  (mass moving towards unusual, mostly low, confidences)
//   disagreement   on offloads the L-ML answered: S-ML != L-ML, Bernoulli(d0) vs
//                  Bernoulli(d1), d1 = max(2 d0, d0 + 0.2)
// With the config's input reference (hiedge/decision/input_statistics.h), input-side tests that do
// not rely on the S-ML's confidence run beside them, on the same per-bin likelihood
// ratios against exponentially tilted references:
//   input_<feature>_up / _down / _spread   the feature's reference bin shares q_b against
//                  r_b ∝ q_b·exp(λ·g_b), λ = 2, g_b = u_b, 1 - u_b or |2 u_b - 1| where
//                  u_b is the bin's mid-quantile (mass moving up, down or to the tails)
//   predicted_class_<c>   the S-ML predicts class c: Bernoulli(s_c) vs
//                  Bernoulli(max(2 s_c, s_c + 0.1)) (label-distribution shift, or inputs
//                  the S-ML confidently maps to one class)
// A test alarms when its statistic S_t = max(0, S_{t-1} + llr_t) reaches its threshold
// h = ln(K / α) for K tests sharing a false-alarm budget α. By Lorden's bound each
// test's mean run length to a false alarm on in-distribution samples is at least
// e^h = K / α, so the K together raise at most α false alarms per sample on average.
// With both groups, each gets half of `false_alarm_rate`. Pure: no clock, no I/O. Not
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/input_statistics.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct DriftOptions {
  double false_alarm_rate = 1e-4;  // Alarms per in-distribution sample, at most (mean).
  bool output_tests = true;        // offload_rate, confidence, disagreement.
  bool input_tests = true;         // When the config has an input reference.
};

struct DriftAlarm {
  // The observation that raised it, counted from 0: the device's sample id when it
  // observes every sample from its first (DeviceRuntime does, in submission order).
  uint64_t sample = 0;
  // "offload_rate", "confidence", "disagreement", "input_<feature>_<up|down|spread>" or
  // "predicted_class_<c>".
  std::string statistic;
};

// Every alarm, kept in bounded state: alarms of one statistic within kEpisodeGap
// observations of the previous one form one episode.
struct DriftEpisode {
  std::string statistic;
  uint64_t first_sample = 0, last_sample = 0;  // As DriftAlarm::sample.
  uint64_t alarms = 0;
};

class DriftDetector {
 public:
  // The reference: the config's calibration_offload_fraction, confidence_histogram and
  // offload_disagreement, and its input_reference when present. FailedPrecondition when
  // the output tests are on and the config has no histogram (written before drift
  // references were recorded: recalibrate), or when no test would run.
  static Result<DriftDetector> FromConfig(const DecisionConfig& config,
                                          const DriftOptions& options = {});

  // One answered sample: its max probability, whether it was offloaded, and, for an
  // offload the L-ML answered, whether the two models disagreed. Returns true when this
  // sample raised an alarm (the tests then restart from zero).
  bool Observe(float confidence, bool offloaded, bool remote_answered, bool disagreed);

  // The same in two parts, for a device whose offloads are answered later than the
  // samples after them (batched offload): the offload-rate and confidence tests see
  // every sample in submission order (ObserveLocal, counted as one observation), the
  // disagreement test each answered offload in its own order (ObserveAnswer). Feeding
  // them in answer order instead would cluster offloads and raise false alarms.
  bool ObserveLocal(float confidence, bool offloaded);
  // ObserveLocal plus the input-side tests on this sample's input tensor (as the S-ML
  // saw it) and the S-ML's predicted class; one observation.
  bool ObserveSample(float confidence, bool offloaded, std::span<const float> input,
                     int predicted_class);
  bool has_input_tests() const { return !input_tests_.empty() || !class_tests_.empty(); }
  bool ObserveAnswer(bool disagreed);

  uint64_t observed() const { return observed_; }
  const std::vector<DriftAlarm>& alarms() const { return alarms_; }
  bool drifted() const { return !alarms_.empty(); }
  double threshold() const { return h_; }              // Of the output tests.
  double input_threshold() const { return h_input_; }  // Of the input-side tests.
  // Current statistics, offload_rate / confidence / disagreement.
  std::vector<double> statistics() const { return {offload_.s, confidence_.s, disagreement_.s}; }

 private:
  struct Cusum {
    double s = 0;
    bool Add(double llr, double h) {
      s = std::max(0.0, s + llr);
      return s >= h;
    }
  };
  struct BinTest {  // One tilted alternative of one input feature.
    size_t feature = 0;      // Into the reference's features.
    size_t value_index = 0;  // Into InputFeatures()' values (CheckInputReference: valid).
    std::string name;
    std::vector<double> llr;  // Per bin.
    Cusum cusum;
  };
  struct ClassTest {
    double yes = 0, no = 0;
    Cusum cusum;
  };
  DriftDetector() = default;
  void BuildInputTests(const InputReference& reference);
  std::string ObserveInput(std::span<const float> input, int predicted_class);
  // Records an alarm of `statistic` (empty: none) and restarts the tests.
  bool Raise(const std::string& statistic);

  bool output_ = true;
  double h_ = 0, h_input_ = 0;
  InputReference reference_;
  std::vector<BinTest> input_tests_;
  std::vector<ClassTest> class_tests_;
  double offload_yes_ = 0, offload_no_ = 0;  // LLR of an offload / an accept.
  std::vector<double> confidence_llr_;       // Per bin.
  double disagree_yes_ = 0, disagree_no_ = 0;
  Cusum offload_, confidence_, disagreement_;
  uint64_t observed_ = 0;
  std::vector<DriftAlarm> alarms_;  // At most kMaxAlarms kept; the count goes on.
  uint64_t alarm_count_ = 0;
  std::vector<DriftEpisode> episodes_;  // Every alarm; at most kMaxEpisodes.

 public:
  static constexpr size_t kMaxAlarms = 64;
  static constexpr size_t kMaxEpisodes = 256;
  static constexpr uint64_t kEpisodeGap = 1000;
  uint64_t alarm_count() const { return alarm_count_; }
  // Every alarm so far as episodes. Beyond kMaxEpisodes, later alarms extend the last
  // episode of their statistic, so the counts always add up to alarm_count().
  const std::vector<DriftEpisode>& episodes() const { return episodes_; }
};

}  // namespace hiedge
