// Expert-call budgets under shift, end to end on loopback servers with the shipped
// two-level models: the budget holds on a shifted stream that overruns it unlimited.
#include "eval/two_level/budget_study.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace hiedge {
namespace {

TEST(BudgetStudyTest, TheBudgetHoldsUnderNoiseThatOverrunsItUnlimited) {
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  BudgetStudyOptions o;
  o.two_level_config = std::string(HIEDGE_SOURCE_DIR) + "/models/two_level.json";
  o.corruptions = {"", "noise"};
  o.budget = 1.2;
  o.images = 150;
  o.progress = false;
  auto study = RunBudgetStudy(o, *test);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  ASSERT_EQ(study->rows.size(), 4u);
  const BudgetStudyRow& noisy_unlimited = study->rows[2];
  const BudgetStudyRow& noisy_budgeted = study->rows[3];
  EXPECT_EQ(noisy_unlimited.test_set, "noise (severity 3)");
  EXPECT_EQ(noisy_unlimited.budget, 0);
  // Noise makes the first level unsure: unlimited, it asks more experts than the budget.
  EXPECT_GT(noisy_unlimited.run.mean_experts_asked, o.budget);
  EXPECT_EQ(noisy_unlimited.run.budget_limited, 0u);
  EXPECT_LE(noisy_budgeted.run.mean_experts_asked, o.budget + 1e-9);
  EXPECT_GT(noisy_budgeted.run.budget_limited, 0u);
  for (const BudgetStudyRow& r : study->rows) {
    EXPECT_EQ(r.run.samples, o.images);
    EXPECT_EQ(r.run.fallbacks, 0u) << r.test_set;
  }
  const std::string md = study->ToMarkdown();
  EXPECT_NE(md.find("| noise (severity 3) | 1.20 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| clean | none |"), std::string::npos) << md;
  // The same rows as CSV (`--csv`): a header, then one line per (test set, budget).
  const std::string csv = study->ToCsv();
  EXPECT_EQ(csv.rfind("test set,budget,accuracy,expert calls per image,", 0), 0u) << csv;
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), study->rows.size() + 1);
  EXPECT_NE(csv.find("\nclean,none,"), std::string::npos) << csv;

  o.budget = 0;
  EXPECT_EQ(RunBudgetStudy(o, *test).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
