// The real thing on a test subset: shipped models, the REST server on loopback, the
// device runtime offloading by a threshold calibrated on the validation split.
#include <gtest/gtest.h>

#include "eval/eval.h"
#include "hiedge/calibrate.h"
#include "hiedge/http_server.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

TEST(HiLoopbackTest, DeviceAndServerOnShippedModels) {
  auto local = LoadModel(kModels + "/sml.json");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  auto remote_loaded = LoadModel(kModels + "/lml.json");
  ASSERT_TRUE(remote_loaded.ok()) << remote_loaded.status().ToString();
  std::shared_ptr<InferenceBackend> remote = std::move(remote_loaded).value();
  auto train = LoadFashionMnist(kFashionMnistDir, Split::kTrain);
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(train.ok() && test.ok());
  const Dataset validation = Head(SplitTrainValidation(*train).validation, 2000);
  const Dataset subset = Head(*test, 300);

  auto lv = Predict(**local, validation);
  auto rv = Predict(*remote, validation);
  ASSERT_TRUE(lv.ok() && rv.ok());
  const DecisionConfig config =
      CalibrateMinCost(JoinOutcomes(*lv, *rv, validation), CostModel{0.1, 1.0});
  ASSERT_GT(config.theta, 0);

  InferenceService service;
  ASSERT_TRUE(service.AddModel("lml", remote).ok());
  HttpServer server(&service, {"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto client = MakeOffloadClient({"127.0.0.1", server.port(), "lml", true});
  DeviceRuntime device(local->get(), client.get(), {config.theta, std::chrono::seconds(5)});
  double wall = 0;
  auto records = RunDevice(device, subset, "hi", &wall, false);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), subset.size());

  // Offline predictions of both models, to check every answer's origin.
  auto local_offline = Predict(**local, subset);
  auto remote_offline = Predict(*remote, subset);
  ASSERT_TRUE(local_offline.ok() && remote_offline.ok());
  size_t offloaded = 0;
  for (size_t i = 0; i < subset.size(); ++i) {
    const SampleRecord& r = (*records)[i];
    EXPECT_FALSE(r.fallback) << i << ": " << r.offload_error;
    EXPECT_EQ(r.local_prediction, local_offline->labels[i]) << i;
    EXPECT_EQ(r.offloaded, r.confidence < config.theta) << i;
    if (r.offloaded) {
      ++offloaded;
      EXPECT_EQ(r.remote_prediction, remote_offline->labels[i]) << i;
      EXPECT_EQ(r.final_prediction, r.remote_prediction);
    } else {
      EXPECT_EQ(r.final_prediction, r.local_prediction);
    }
  }
  EXPECT_GT(offloaded, 0u);
  EXPECT_LT(offloaded, subset.size() / 2);
  const StrategyResult hi =
      Summarize("hi", config.theta, *records, subset, CostModel{0.1, 1.0}, wall);
  EXPECT_GE(hi.accuracy, AccuracyOf(*local_offline, subset));
  EXPECT_EQ(hi.fallbacks, 0u);
}

}  // namespace
}  // namespace hiedge
