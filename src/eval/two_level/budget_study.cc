#include "eval/two_level/budget_study.h"

#include <fmt/printf.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "hiedge/data/corruptions.h"

namespace hiedge {

Result<BudgetStudy> RunBudgetStudy(const BudgetStudyOptions& o, const Dataset& test) {
  if (!(o.budget > 0)) return Status::InvalidArgument("budgets: the budget must be > 0");
  BudgetStudy study;
  study.options = o;
  const Dataset images = Head(test, o.images);
  for (const std::string& corruption : o.corruptions) {
    Dataset shifted = images;
    std::string name = "clean";
    if (!corruption.empty()) {
      HIEDGE_ASSIGN_OR_RETURN(shifted, ApplyCorruption(images, corruption, o.severity, /*seed=*/1));
      name = fmt::sprintf("%s (severity %d)", corruption, o.severity);
    }
    for (const double budget : {0.0, o.budget}) {
      if (o.progress) {
        std::fprintf(stderr, "budgets: %s, %s\n", name.c_str(),
                     budget > 0 ? fmt::sprintf("budget %.2f", budget).c_str() : "unlimited");
      }
      TwoLevelLoopbackOptions run;
      run.config_path = o.two_level_config;
      run.progress = false;
      run.expert_budget = budget;
      std::vector<std::vector<int>> placement;
      HIEDGE_ASSIGN_OR_RETURN(TwoLevelRunSummary summary,
                              RunTwoLevelOnLoopback(run, shifted, &placement));
      study.rows.push_back({name, budget, summary});
    }
  }
  return study;
}

Table BudgetStudy::Rows() const {
  Table table({"test set", "budget", "accuracy", "expert calls per image", "budget-limited images",
               "fallbacks"});
  for (const BudgetStudyRow& r : rows) {
    table.AddRow(
        {r.test_set, r.budget > 0 ? fmt::sprintf("%.2f", r.budget) : std::string("none"),
         fmt::sprintf("%.2f%%", 100 * r.run.accuracy),
         fmt::sprintf("%.3f", r.run.mean_experts_asked),
         fmt::sprintf("%.1f%%", r.run.samples ? 100.0 * static_cast<double>(r.run.budget_limited) /
                                                    r.run.samples
                                              : 0.0),
         std::to_string(r.run.fallbacks)});
  }
  return table;
}

std::string BudgetStudy::ToJson() const {
  nlohmann::json rows_json = nlohmann::json::array();
  for (const BudgetStudyRow& r : rows) {
    rows_json.push_back({{"test_set", r.test_set},
                         {"budget", r.budget},
                         {"summary", nlohmann::json::parse(r.run.ToJson())}});
  }
  return nlohmann::json{{"config", options.two_level_config},
                        {"severity", options.severity},
                        {"rows", rows_json}}
             .dump(2) +
         "\n";
}

std::string BudgetStudy::ToMarkdown() const {
  std::string md = fmt::sprintf(
      "## Expert-call budgets under shift (two-level on loopback)\n\n"
      "Command: `hiedge budgets` (in `./scripts/results.sh`). The two-level device over %zu "
      "test images, clean and corrupted, with no budget and with %.2f expert calls per image "
      "(`--expert-budget`). Over every prefix of the stream, calls stay within budget × "
      "images; an image the budget cannot afford keeps its most confident experts and is "
      "counted as budget-limited.\n\n",
      rows.empty() ? size_t{0} : rows.front().run.samples, options.budget);
  return md + Rows().ToMarkdown() + "\n";
}

}  // namespace hiedge
