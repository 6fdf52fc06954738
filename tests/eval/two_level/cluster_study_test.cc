// Skewed clusters: the demand measured on each stream follows its mix, Alg. 1 puts a
// cluster's dominant superclass on its own server, and the streams run end to end.
#include "eval/two_level/cluster_study.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace hiedge {
namespace {

TEST(ClusterStudyTest, PlacementFollowsEachClustersMeasuredDemand) {
  auto train = LoadFashionMnist(kFashionMnistDir, Split::kTrain);
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(train.ok() && test.ok());
  ClusterStudyOptions o;
  o.two_level_config = std::string(HIEDGE_SOURCE_DIR) + "/models/two_level.json";
  o.calibration_images = 400;
  o.test_images = 120;
  auto study = RunClusterStudy(o, SplitTrainValidation(*train).validation, *test);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  ASSERT_EQ(study->rows.size(), 3u);
  std::set<int> placed;
  for (const ClusterRow& r : study->rows) {
    SCOPED_TRACE(r.cluster);
    ASSERT_EQ(r.measured_demand.size(), r.true_mix.size());
    for (size_t n = 0; n < r.true_mix.size(); ++n) {
      // 400 draws: the first level's top superclass tracks the mix within a few points.
      EXPECT_NEAR(r.measured_demand[n], r.true_mix[n], 0.08) << n;
    }
    placed.insert(r.experts.begin(), r.experts.end());
    EXPECT_GE(r.local_hit, 0.0);
    EXPECT_LE(r.local_hit, 1.0);
    EXPECT_GT(r.accuracy, 0.85);
    EXPECT_GE(r.modelled_mean_ms, r.p50_ms * 0.5);
  }
  EXPECT_EQ(placed.size(), 4u) << "every superclass placed somewhere";
  // Alg. 1: each superclass's expert is served by the cluster that measured most
  // demand for it.
  for (int n = 0; n < 4; ++n) {
    size_t most = 0;
    for (size_t c = 1; c < study->rows.size(); ++c) {
      if (study->rows[c].measured_demand[static_cast<size_t>(n)] >
          study->rows[most].measured_demand[static_cast<size_t>(n)]) {
        most = c;
      }
    }
    const std::vector<int>& there = study->rows[most].experts;
    EXPECT_NE(std::find(there.begin(), there.end(), n), there.end()) << "superclass " << n;
  }
  EXPECT_NE(study->ToTable().find("blind placement"), std::string::npos);
}

}  // namespace
}  // namespace hiedge
