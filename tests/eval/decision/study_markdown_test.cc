// The results-document sections of the multi-tier studies, on hand-made rows: the
// derived figures (MACs against the L-ML, the gain over the best cut) are computed
// from the rows, not copied.
#include <gtest/gtest.h>

#include "eval/two_level/partition_study.h"
#include "eval/two_level/two_level_eval.h"

namespace hiedge {
namespace {

TEST(StudyMarkdownTest, TwoLevelRowsShowTheirMacsAsAShareOfTheLargeModels) {
  TwoLevelStudy study;
  study.rows.push_back({"full offload (lml)", 0.94, 0, 0, 0, 20e6, 784, 0});
  study.rows.push_back({"two-level, Alg. 2 + recall", 0.93, 1.2, 0.01, 1e6, 4e6, 6272, 0});
  const std::string md = study.ToMarkdown("Two-level");
  EXPECT_EQ(md.rfind("## Two-level\n", 0), 0u) << md;
  EXPECT_NE(md.find("| two-level, Alg. 2 + recall | 93.00% | 0.0% | 1.200 | 1.0% | 1.000 | "
                    "4.000 | 25.0% | 6272 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| full offload (lml) | 94.00% | 0.0% | 0.000 | 0.0% | 0.000 | 20.000 | "
                    "100.0% | 784 |"),
            std::string::npos)
      << md;
  study.rows.erase(study.rows.begin());  // No L-ML row: no share to show.
  EXPECT_NE(study.ToMarkdown("x").find("| 4.000 | – | 6272 |"), std::string::npos);
}

TEST(StudyMarkdownTest, PartitionNamesTheBestCutAndTheGainOverIt) {
  PartitionStudy study;
  study.images = 100;
  PartitionStudyRow two_level;
  two_level.approach = "two-level (Alg. 2 + recall)";
  two_level.idle_mean_ms = 0.5;
  two_level.loaded_mean_ms = 1.5;
  PartitionStudyRow cut1 = two_level, cut2 = two_level;
  cut1.approach = "cut 1";
  cut1.cut = 1;
  cut1.idle_mean_ms = 2.0;
  cut1.loaded_mean_ms = 4.0;
  cut2.approach = "cut 2";
  cut2.cut = 2;
  cut2.idle_mean_ms = 1.0;  // The best cut: lowest idle time.
  cut2.loaded_mean_ms = 3.0;
  study.rows = {two_level, cut1, cut2};
  const std::string md = study.ToMarkdown();
  EXPECT_NE(md.find("Against the best cut (cut 2), two-level's mean time per input is 50% "
                    "lower idle and 50% lower loaded"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| cut 1 |"), std::string::npos);
}

}  // namespace
}  // namespace hiedge
