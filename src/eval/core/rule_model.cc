#include "eval/core/rule_model.h"

#include <chrono>
#include <cstdio>

#include "common/files.h"
#include "eval/core/eval.h"
#include "hiedge/decision/statistical_rule.h"
#include "hiedge/engine/model.h"

namespace hiedge {

Result<ModelCard> FitRuleModel(const RuleFitOptions& o, const Dataset& train,
                               const Dataset& validation, const Dataset& test) {
  const auto start = std::chrono::steady_clock::now();
  HIEDGE_ASSIGN_OR_RETURN(StatisticalRule rule, FitStatisticalRule(train));
  const std::string rule_text = rule.ToJson();
  ModelCard card;
  card.name = o.name;
  card.architecture = kStatisticalRuleArchitecture;
  card.format = kStatisticalRuleArchitecture;
  card.weights = o.name + ".rule.json";
  card.dataset = o.dataset;
  card.input_shape = {train.channels, train.height, train.width};
  card.num_classes = train.num_classes;
  card.pixel_inputs = false;
  card.parameter_count = static_cast<int64_t>(rule.bands.size()) * kRuleStatistics * 3;
  card.size_bytes = card.parameter_count * static_cast<int64_t>(sizeof(double));
  card.macs_per_sample = 0;  // Window statistics only: no multiply-accumulate layers.
  card.seed = o.seed;
  card.training_command = o.training_command;
  const std::string card_path = o.output_dir + "/" + o.name + ".json";
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(o.output_dir + "/" + card.weights, rule_text));
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  // Accuracy through the engine's loaded model: what a device will run.
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> model, LoadModel(card_path));
  HIEDGE_ASSIGN_OR_RETURN(Predictions on_validation, Predict(*model, validation, 256, false));
  HIEDGE_ASSIGN_OR_RETURN(Predictions on_test, Predict(*model, test, 256, false));
  card.validation_accuracy = AccuracyOf(on_validation, validation);
  card.test_accuracy = AccuracyOf(on_test, test);
  card.training_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  std::fprintf(stderr, "fitted %s: validation accuracy %.2f%%, test %.2f%%\n", o.name.c_str(),
               100 * card.validation_accuracy, 100 * card.test_accuracy);
  return card;
}

}  // namespace hiedge
