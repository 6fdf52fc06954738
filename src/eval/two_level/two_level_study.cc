// `hiedge twolevel`: seed 004's two-level architecture measured on Fashion-MNIST.
#include <fmt/printf.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "eval/core/eval.h"
#include "eval/two_level/two_level_eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/data_source.h"

namespace hiedge {

std::vector<std::vector<double>> ScenarioDemand(int clusters, int superclasses, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> demand(static_cast<size_t>(clusters));
  for (auto& row : demand) {
    double total = 0;
    for (int n = 0; n < superclasses; ++n) {
      const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
      row.push_back(std::pow(-std::log(u), 2));
      total += row.back();
    }
    for (double& d : row) d /= total;
  }
  return demand;
}

Result<TwoLevelStudy> RunTwoLevelStudy(const TwoLevelStudyOptions& o) {
  TwoLevelStudy study;
  HIEDGE_ASSIGN_OR_RETURN(TwoLevelModels models, LoadTwoLevelModels(o.config_path));
  study.config = models.config;
  InferenceBackend* first = models.first_level.get();

  HIEDGE_ASSIGN_OR_RETURN(Dataset full, LoadData(o.data_dir, Split::kTrain));
  const Dataset validation = SplitForValidation(full).validation;
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(o.data_dir, Split::kTest));
  std::fprintf(stderr, "twolevel: scoring %zu validation and %zu test images\n", validation.size(),
               test.size());
  HIEDGE_ASSIGN_OR_RETURN(auto val_samples, ScoreTwoLevel(models, validation));
  HIEDGE_ASSIGN_OR_RETURN(auto test_samples, ScoreTwoLevel(models, test));
  const Superclasses& sc = study.config.superclasses;
  study.config.thresholds = CalibrateTwoLevel(val_samples, sc, o.max_mean_queries);
  study.validation_accuracy = SimulateTwoLevel(val_samples, sc, study.config.thresholds).accuracy;

  const double device_macs = static_cast<double>(first->info().macs_per_sample);
  // Full offload sends the image as the demo does: pixel bytes where the L-ML takes them.
  double feature_values = 0;  // Per image.
  double feature_channels = 0;
  {
    const FloatTensor one{{1, test.channels, test.height, test.width},
                          std::vector<float>(test.image(0), test.image(0) + test.image_elements())};
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor f, first->RunStages(one, 0, study.config.feature_stages));
    feature_values = static_cast<double>(f.data.size());  // Values; bytes per value below.
    feature_channels = f.shape.size() > 1 ? static_cast<double>(f.shape[1]) : feature_values;
  }
  const RoutingThresholds top_only{0.0, 1.0, 0.0, 1};
  const TwoLevelOutcome top = SimulateTwoLevel(test_samples, sc, top_only);
  const TwoLevelOutcome alg2 = SimulateTwoLevel(test_samples, sc, study.config.thresholds);
  study.superclass_accuracy = top.superclass_accuracy;
  study.rows.push_back({"first level only (" + first->info().name + ")", top.first_level_accuracy,
                        0, 0, device_macs, 0, 0, 1.0});
  if (!o.large_model.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(auto large, LoadModel(o.large_model));
    HIEDGE_ASSIGN_OR_RETURN(Predictions p, Predict(*large, test));
    const double image_bytes =
        (large->info().pixel_inputs ? 1.0 : 4.0) * static_cast<double>(test.image_elements());
    study.rows.push_back({"full offload (" + large->info().name + ")", AccuracyOf(p, test), 0, 0, 0,
                          static_cast<double>(large->info().macs_per_sample), image_bytes});
  }
  auto add_two_level = [&](const std::string& name, const TwoLevelOutcome& outcome,
                           FeatureCoding coding = FeatureCoding::kFp32) {
    study.rows.push_back(
        {name, outcome.accuracy, outcome.mean_expert_queries, outcome.recall_fraction, device_macs,
         outcome.mean_expert_queries * models.mean_expert_macs,
         CodedFeatureBytes(coding, feature_values, feature_channels) * (1 - outcome.local_fraction),
         outcome.local_fraction});
  };
  add_two_level("two-level, top superclass", top);
  add_two_level("two-level, Alg. 2 + recall", alg2);
  // The same thresholds with the features sent as FP16 (--payload fp16): half the upload.
  HIEDGE_ASSIGN_OR_RETURN(auto test_fp16, ScoreTwoLevel(models, test, FeatureCoding::kFp16));
  add_two_level("two-level, Alg. 2 + recall, FP16",
                SimulateTwoLevel(test_fp16, sc, study.config.thresholds), FeatureCoding::kFp16);
  // Per-channel INT8 is measured offline: no transport carries its scales yet.
  HIEDGE_ASSIGN_OR_RETURN(auto test_int8,
                          ScoreTwoLevel(models, test, FeatureCoding::kInt8PerChannel));
  add_two_level("two-level, Alg. 2 + recall, INT8/ch (offline)",
                SimulateTwoLevel(test_int8, sc, study.config.thresholds),
                FeatureCoding::kInt8PerChannel);
  study.hi_thresholds = CalibrateTwoLevel(val_samples, sc, o.hi_max_mean_queries, true);
  std::string hi_name;
  hi_name = fmt::sprintf("HI + two-level (<= %.2f experts)", o.hi_max_mean_queries);
  add_two_level(hi_name, SimulateTwoLevel(test_samples, sc, study.hi_thresholds));

  study.demand = ScenarioDemand(o.clusters, sc.count(), o.seed);
  PlacementInput placement{
      study.demand, std::vector<double>(static_cast<size_t>(o.clusters), o.experts_per_server),
      1.0};
  HIEDGE_ASSIGN_OR_RETURN(study.placement, PlaceSecondLevelModels(placement));
  for (size_t c = 0; c < study.placement.size(); ++c) {
    double local = 0;
    for (int n : study.placement[c]) local += study.demand[c][static_cast<size_t>(n)];
    study.local_share.push_back(local);
  }
  return study;
}

std::string TwoLevelStudy::ToJson() const {
  nlohmann::json rows_json = nlohmann::json::array();
  for (const Row& r : rows) {
    rows_json.push_back({{"strategy", r.strategy},
                         {"accuracy", r.accuracy},
                         {"mean_expert_queries", r.mean_expert_queries},
                         {"recall_fraction", r.recall_fraction},
                         {"device_macs_per_sample", r.device_macs},
                         {"server_macs_per_sample", r.server_macs},
                         {"upload_bytes_per_sample", r.upload_bytes},
                         {"answered_locally_fraction", r.local_fraction}});
  }
  nlohmann::json j = {{"split", "test"},
                      {"thresholds_calibrated_on", "validation"},
                      {"validation_accuracy", validation_accuracy},
                      {"superclass_accuracy", superclass_accuracy},
                      {"config", nlohmann::json::parse(config.ToJson())},
                      {"hi_two_level_accept_locally", hi_thresholds.accept_locally},
                      {"strategies", rows_json},
                      {"placement",
                       {{"demand", demand},
                        {"models_on_cluster", placement},
                        {"local_share_modelled", local_share}}}};
  return j.dump(2) + "\n";
}

std::string TwoLevelStudy::ToTable() const {
  std::string out;
  std::string line;
  line = fmt::sprintf("%-46s %9s %7s %8s %7s %9s %9s %9s\n", "strategy (test)", "accuracy", "local",
                      "queries", "recall", "dev MMAC", "srv MMAC", "upload B");
  out += line;
  for (const Row& r : rows) {
    line = fmt::sprintf("%-46s %8.2f%% %6.1f%% %8.3f %6.1f%% %9.3f %9.3f %9.0f\n",
                        r.strategy.c_str(), 100 * r.accuracy, 100 * r.local_fraction,
                        r.mean_expert_queries, 100 * r.recall_fraction, r.device_macs / 1e6,
                        r.server_macs / 1e6, r.upload_bytes);
    out += line;
  }
  line = fmt::sprintf(
      "superclass of C^L right on %.2f%% of test; thresholds (validation accuracy "
      "%.2f%%): accept_top %.2f, consider %.2f, recall_below %.2f, max_parallel %d\n",
      100 * superclass_accuracy, 100 * validation_accuracy, config.thresholds.accept_top,
      config.thresholds.consider, config.thresholds.recall_below, config.thresholds.max_parallel);
  out += line;
  line = fmt::sprintf("HI + two-level: the first level answers alone at max softmax >= %.3f\n",
                      hi_thresholds.accept_locally);
  out += line;
  out += "Alg. 1 placement (modelled scenario, seeded demand):\n";
  for (size_t c = 0; c < placement.size(); ++c) {
    std::string models, shares;
    for (int n : placement[c]) models += " " + std::to_string(n);
    for (double d : demand[c]) {
      line = fmt::sprintf(" %.2f", d);
      shares += line;
    }
    line = fmt::sprintf("  cluster %zu: demand [%s ], experts {%s }, %.0f%% of its queries local\n",
                        c, shares.c_str(), models.c_str(), 100 * local_share[c]);
    out += line;
  }
  return out;
}

std::string TwoLevelStudy::ToMarkdown(const std::string& title) const {
  double large_macs = 0;
  for (const Row& r : rows) {
    if (r.strategy.rfind("full offload", 0) == 0) large_macs = r.server_macs;
  }
  std::string md =
      "## " + title + "\n\nCommand: `hiedge twolevel` (in `./scripts/results.sh`).\n\n";
  md +=
      "| strategy (test) | accuracy | answered on device | expert queries | recall | device MMAC "
      "| server MMAC | MACs vs L-ML | upload B |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    const double total = r.device_macs + r.server_macs;
    md += fmt::sprintf("| %s | %.2f%% | %.1f%% | %.3f | %.1f%% | %.3f | %.3f | %s | %.0f |\n",
                       r.strategy, 100 * r.accuracy, 100 * r.local_fraction, r.mean_expert_queries,
                       100 * r.recall_fraction, r.device_macs / 1e6, r.server_macs / 1e6,
                       large_macs > 0 ? fmt::sprintf("%.1f%%", 100 * total / large_macs) : "–",
                       r.upload_bytes);
  }
  md += fmt::sprintf(
      "\nThe first level's top superclass is right on %.2f%% of test images. Alg. 2 "
      "thresholds, calibrated on validation (%.2f%% there): accept_top %.2f, consider %.2f, "
      "recall_below %.2f, max_parallel %d. Device MACs are the whole first-level model "
      "(it also decides); server MACs are the experts asked, per image.\n\n",
      100 * superclass_accuracy, 100 * validation_accuracy, config.thresholds.accept_top,
      config.thresholds.consider, config.thresholds.recall_below, config.thresholds.max_parallel);
  return md;
}

}  // namespace hiedge
