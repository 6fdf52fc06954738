// `hiedge exits`: the accuracy and MACs of every early exit of a model, on the
// validation and test splits; --write records them in the model's card.
#include <cstdio>

#include "commands.h"
#include "engine/features.h"
#include "eval/core/eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct ExitsArgs {
  std::string model = "models/sml.json";
  std::string data_dir = kFashionMnistDir;
  bool write = false;
};

Result<std::vector<ExitFacts>> MeasureExits(InferenceBackend& model, const Dataset& validation,
                                            const Dataset& test) {
  const ModelInfo& info = model.info();
  if (info.stage_macs.size() != static_cast<size_t>(info.num_stages)) {
    return Status::FailedPrecondition("the backend does not count MACs per stage; use xnnpack");
  }
  HIEDGE_ASSIGN_OR_RETURN(std::vector<Predictions> val, PredictAllExits(model, validation));
  HIEDGE_ASSIGN_OR_RETURN(std::vector<Predictions> tst, PredictAllExits(model, test));
  std::vector<ExitFacts> exits;
  for (size_t e = 0; e < info.early_exit_after_stage.size(); ++e) {
    ExitFacts f;
    f.after_stage = info.early_exit_after_stage[e];
    f.macs = info.exit_head_macs[e];
    for (int s = 0; s <= f.after_stage; ++s) f.macs += info.stage_macs[static_cast<size_t>(s)];
    f.validation_accuracy = AccuracyOf(val[e], validation);
    f.test_accuracy = AccuracyOf(tst[e], test);
    exits.push_back(f);
  }
  return exits;
}

Status RunExits(const ExitsArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(a.model));
  HIEDGE_ASSIGN_OR_RETURN(auto model, LoadModel(a.model, {"xnnpack", 1}));
  HIEDGE_ASSIGN_OR_RETURN(Dataset train, LoadData(a.data_dir, Split::kTrain));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  // As the model sees them: a binary filter's two classes, an expert's features.
  HIEDGE_ASSIGN_OR_RETURN(const Dataset validation,
                          DatasetForCard(card, a.model, SplitForValidation(train).validation));
  HIEDGE_ASSIGN_OR_RETURN(test, DatasetForCard(card, a.model, test));
  HIEDGE_ASSIGN_OR_RETURN(std::vector<ExitFacts> exits, MeasureExits(*model, validation, test));
  std::printf("%-8s %-12s %14s %12s %12s\n", "exit", "after stage", "MACs", "validation", "test");
  for (size_t e = 0; e < exits.size(); ++e) {
    std::printf("%-8zu %-12d %14lld %11.2f%% %11.2f%%\n", e, exits[e].after_stage,
                static_cast<long long>(exits[e].macs), 100 * exits[e].validation_accuracy,
                100 * exits[e].test_accuracy);
  }
  std::printf("%-8s %-12d %14lld %11.2f%% %11.2f%%\n", "final", model->info().num_stages - 1,
              static_cast<long long>(model->info().macs_per_sample), 100 * card.validation_accuracy,
              100 * card.test_accuracy);
  if (exits.empty()) std::fprintf(stderr, "%s has no early exits\n", a.model.c_str());
  if (!a.write) return Status::Ok();
  card.exits = exits;
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, a.model));
  std::fprintf(stderr, "wrote the exits into %s\n", a.model.c_str());
  return Status::Ok();
}

}  // namespace

void AddExitsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "exits", "Accuracy and MACs of each early exit of a model (validation and test splits)");
  auto a = std::make_shared<ExitsArgs>();
  cmd->add_option("--model", a->model, "Model card")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_flag("--write", a->write, "Record the exits in the model card");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunExits(*a)); });
}

}  // namespace hiedge::cli
