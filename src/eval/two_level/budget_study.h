// Expert-call budgets under shift (issue 11, item 6): the two-level device on loopback
// servers over clean and corrupted test sets, with the budget off and on. Reports the
// expert calls per image achieved and the images the budget cut short.
#pragma once

#include <string>
#include <vector>

#include "eval/core/table.h"
#include "eval/two_level/two_level_eval.h"

namespace hiedge {

struct BudgetStudyOptions {
  std::string two_level_config = "models/two_level.json";
  std::vector<std::string> corruptions = {"", "noise", "contrast"};  // "" = the clean set.
  int severity = 3;
  double budget = 1.5;  // Expert calls per image; each set also runs unlimited.
  size_t images = 10000;
  bool progress = true;
};

struct BudgetStudyRow {
  std::string test_set;  // "clean" or "<corruption> (severity s)".
  double budget = 0;     // 0 = unlimited.
  TwoLevelRunSummary run;
};

struct BudgetStudy {
  BudgetStudyOptions options;
  std::vector<BudgetStudyRow> rows;

  Table Rows() const;  // One row per (test set, budget), as every rendering shows it.
  std::string ToTable() const { return Rows().ToText(); }
  std::string ToJson() const;
  std::string ToCsv() const { return Rows().ToCsv(); }
  std::string ToMarkdown() const;
};

// Every test set of `options` through RunTwoLevelOnLoopback, unlimited then budgeted.
Result<BudgetStudy> RunBudgetStudy(const BudgetStudyOptions& options, const Dataset& test);

}  // namespace hiedge
