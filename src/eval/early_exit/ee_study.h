// The early-exit HI study (seed 001 §5, Table 6 and Fig. 7 analogues): for each S-ML
// with early exits, per-stage times measured here and modelled per device profile, the
// cheapest EE-HI and HI points reaching an accuracy target on validation, evaluated on
// test, and accuracy-latency curves for base, HI, EE, EE-HI and remote.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "eval/core/timing.h"
#include "hiedge/decision/device_profile.h"
#include "hiedge/decision/ee_search.h"

namespace hiedge {

// MACs of the reference model device profiles were measured with: MLPerf Tiny's
// ResNet-8 on 32x32x3 CIFAR-10 (12.5 M). A profile's time for a stage is scaled by its
// MACs against this.
inline constexpr double kProfileReferenceMacs = 12.5e6;

struct EeComparison {
  std::string setting;  // "measured here" or a device profile's name.
  std::string unit;     // "ms" or "mJ"
  double target_accuracy = 0;
  bool feasible = false;  // Both HI and EE-HI reach the target on validation.
  EePoint hi;             // On test: exits disabled, fewest offloads reaching the target.
  EePoint ee_hi;          // On test: the searched exits + offloads.
  double reduction() const { return hi.cost > 0 ? 1 - ee_hi.cost / hi.cost : 0; }
};

struct CurvePoint {
  double latency_ms = 0;
  double accuracy = 0;
};

struct EeModelStudy {
  std::string model;
  std::vector<int> exit_after_stage;
  std::vector<int64_t> stage_macs, exit_head_macs;
  std::vector<double> stage_ms, exit_head_ms;  // Measured here, batch 1, medians.
  double offload_ms = 0;                       // Measured loopback REST round trip.
  std::vector<LinkRoundTrip> links;            // Measured over emulated links.
  std::vector<double> exit_test_accuracy;      // Early exits, then final.
  std::vector<EeComparison> comparisons;
  // Fig. 7 analogue on test, measured latency.
  CurvePoint base, remote;
  std::vector<CurvePoint> hi_curve, ee_curve, ee_hi_curve;
};

struct EeStudyInputs {
  std::string card_path;
  const Dataset* validation = nullptr;
  const Dataset* test = nullptr;
  const Predictions* remote_validation = nullptr;
  const Predictions* remote_test = nullptr;
  double offload_ms = 0;  // Measured round trip of one offload.
  // Each adds a comparison "measured here, over <link>": this machine's stage times with
  // the offload round trip measured over that emulated link.
  std::vector<LinkRoundTrip> links;
  std::vector<DeviceProfile> profiles;
  std::vector<double> targets;  // Validation accuracy targets for the comparisons.
  int timing_samples = 200;
};

Result<EeModelStudy> RunEeStudy(const EeStudyInputs& inputs);

// The study for each card in `cards`, sharing the splits, the L-ML's predictions and the
// timings of `common` (its card_path and targets are set per card: the card's own
// validation accuracy, and midway to the L-ML's `remote_validation_accuracy`).
Result<std::vector<EeModelStudy>> RunEeStudies(const std::vector<std::string>& cards,
                                               const EeStudyInputs& common,
                                               double remote_validation_accuracy);

// The setting name of a comparison over an emulated link.
std::string OverLinkSetting(const std::string& link);

// One split as the exits saw it (`exits`: early exits then final; `remote`: the L-ML).
ExitOutcomes ExitOutcomesOf(const std::vector<Predictions>& exits, const Predictions& remote,
                            const Dataset& data);
// Per-stage and per-head costs scaled by MACs from a profile's figure for its reference
// model (kProfileReferenceMacs), plus one offload.
EeCostModel ScaledCost(const std::vector<int>& exit_after_stage,
                       const std::vector<int64_t>& stage_macs,
                       const std::vector<int64_t>& exit_head_macs, double local_per_reference,
                       double offload);

// Every model's timings and comparisons, for scripts (docs/results-schema.md).
nlohmann::json EeStudiesToJson(const std::vector<EeModelStudy>& studies);

// Markdown section (tables + plot links) for every model; plots written under `dir`.
Result<std::string> WriteEeStudy(const std::vector<EeModelStudy>& studies, const std::string& dir,
                                 const std::string& plots_link);

}  // namespace hiedge
