// `hiedge budgets`: the two-level device's expert-call budget under distribution
// shift, on loopback servers: calls per image achieved and images cut short.
#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/two_level/budget_study.h"
#include "hiedge/data/corruptions.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct BudgetsArgs {
  BudgetStudyOptions study;
  std::string data_dir = kFashionMnistDir;
  StudyOutputs outputs;
};

Status RunBudgets(BudgetsArgs a) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  HIEDGE_ASSIGN_OR_RETURN(BudgetStudy study, RunBudgetStudy(a.study, test));
  return ReportStudy(study, a.outputs);
}

}  // namespace

void AddBudgetsCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "budgets",
      "Two-level expert-call budgets under shift: calls per image and images cut short, with "
      "the budget off and on, on loopback servers");
  auto a = std::make_shared<BudgetsArgs>();
  cmd->add_option("--config", a->study.two_level_config, "Two-level config")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--corruption", a->study.corruptions,
                  "Test sets: corruption names, '' for the clean set (repeatable)")
      ->capture_default_str();
  cmd->add_option("--severity", a->study.severity, "Corruption severity 1..5")
      ->check(CLI::Range(1, 5))
      ->capture_default_str();
  cmd->add_option("--expert-budget", a->study.budget, "Expert calls per image when budgeted")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--images", a->study.images, "Test images per run")
      ->check(Positive())
      ->capture_default_str();
  AddStudyOutputOptions(cmd, &a->outputs);
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunBudgets(*a)); });
}

}  // namespace hiedge::cli
