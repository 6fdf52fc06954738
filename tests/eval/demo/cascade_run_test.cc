// The device -> edge -> cloud run on loopback equals the offline three-tier cascade
// sample by sample, and its per-tier counts add up.
#include "eval/demo/cascade_run.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

TEST(CascadeRunTest, ThreeTiersOnLoopbackMatchTheOfflineCascade) {
  auto train = LoadFashionMnist(kFashionMnistDir, Split::kTrain);
  auto test_set = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(train.ok() && test_set.ok());
  const Dataset validation = Head(SplitTrainValidation(*train).validation, 1500);
  const Dataset test = Head(*test_set, 400);
  CascadeRunOptions o;
  o.device_model = kModels + "/sml.json";
  o.edge_model = kModels + "/sml_large.json";
  o.cloud_model = kModels + "/lml.json";
  o.device_offload_cost = 0.05;
  o.edge_offload_cost = 0.05;
  o.deadline = std::chrono::seconds(5);
  auto run = RunCascadeOnLoopback(o, validation, test);
  ASSERT_TRUE(run.ok()) << run.status().ToString();

  // Offline: max softmax per tier against the thresholds the run calibrated.
  auto device = LoadModel(o.device_model), edge = LoadModel(o.edge_model),
       cloud = LoadModel(o.cloud_model);
  ASSERT_TRUE(device.ok() && edge.ok() && cloud.ok());
  auto d = Predict(**device, test), e = Predict(**edge, test), c = Predict(**cloud, test);
  ASSERT_TRUE(d.ok() && e.ok() && c.ok());
  size_t correct = 0, to_edge = 0, to_cloud = 0;
  for (size_t i = 0; i < test.size(); ++i) {
    int answer = d->labels[i];
    if (d->confidences[i] < run->device_theta) {
      ++to_edge;
      answer = e->labels[i];
      if (e->confidences[i] < run->edge_theta) {
        ++to_cloud;
        answer = c->labels[i];
      }
    }
    correct += answer == test.labels[i] ? 1 : 0;
  }
  EXPECT_EQ(run->result.offloaded, to_edge);
  EXPECT_EQ(run->edge_rows, to_edge);
  EXPECT_EQ(run->cloud_forwarded, to_cloud);
  EXPECT_EQ(run->edge_fallbacks, 0u);
  EXPECT_EQ(run->edge_answered + run->cloud_forwarded, run->edge_rows);
  EXPECT_NEAR(run->result.accuracy, static_cast<double>(correct) / test.size(), 1e-12);
  ASSERT_GT(to_edge, 0u);
  ASSERT_GT(to_cloud, 0u) << "every tier must answer some for the test to mean anything";
  ASSERT_LT(to_cloud, to_edge);
  const double errors = static_cast<double>(test.size() - correct);
  EXPECT_NEAR(run->cost_per_sample, (errors + 0.05 * to_edge + 0.05 * to_cloud) / test.size(),
              1e-12);
}

}  // namespace
}  // namespace hiedge
