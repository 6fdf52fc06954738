// `hiedge filter`: the binary-filter use case (seed 000, §4) at the filter's default
// threshold and at thresholds fitted on validation to chosen false-positive rates.
#include <cstdio>

#include "commands.h"
#include "eval/filter/filter_study.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct FilterArgs {
  std::string filter = "models/footwear.json";
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  FilterStudyOptions study;
  StudyOutputs outputs;
  int threads = 1;
};

Status RunFilter(const FilterArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(const ModelCard card, ReadModelCard(a.filter));
  if (card.positive_classes.empty()) {
    return Status::InvalidArgument(a.filter + " is not a binary filter (no positive_classes)");
  }
  HIEDGE_ASSIGN_OR_RETURN(auto filter, LoadModel(a.filter, {"", a.threads}));
  HIEDGE_ASSIGN_OR_RETURN(auto remote, LoadModel(a.remote, {"", a.threads}));
  HIEDGE_ASSIGN_OR_RETURN(const StudySplits splits, LoadStudySplits(a.data_dir, remote->info()));
  auto samples = [&](const Dataset& data) -> Result<std::vector<FilterSample>> {
    HIEDGE_ASSIGN_OR_RETURN(const Predictions f, Predict(*filter, data, 500, true));
    HIEDGE_ASSIGN_OR_RETURN(const Predictions r, Predict(*remote, data, 500, true));
    return FilterSamples(f, r, data, card.positive_classes);
  };
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<FilterSample> val, samples(splits.validation));
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<FilterSample> tst, samples(splits.test));
  HIEDGE_ASSIGN_OR_RETURN(
      const FilterStudy study,
      RunFilterStudy(filter->info().name, card.positive_classes, val, tst, a.study));
  return ReportStudy(study, a.outputs);
}

}  // namespace

void AddFilterCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "filter",
      "The binary-filter use case (seed 000) at its default threshold and at thresholds "
      "fitted on validation to chosen false-positive rates");
  auto a = std::make_shared<FilterArgs>();
  cmd->add_option("--filter", a->filter, "Binary-filter S-ML card (with positive_classes)")
      ->capture_default_str();
  cmd->add_option("--remote", a->remote, "L-ML model card (the fine classes)")
      ->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--false-positive-rate", a->study.false_positive_rates,
                  "Validation false-positive rate to fit a threshold to (repeatable; default: "
                  "the seed's weak filter, 3521/9000)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--beta", a->study.betas,
                  "Offload costs β per sample of interest (repeatable; default 0, 0.05, .., 1)")
      ->check(CLI::Range(0.0, 1.0));
  AddStudyOutputOptions(cmd, &a->outputs);
  cmd->add_option("--threads", a->threads, "Intra-op threads")
      ->check(Positive())
      ->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunFilter(*a)); });
}

}  // namespace hiedge::cli
