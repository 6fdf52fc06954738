// The real thing on a test subset: shipped models, the REST server on loopback, the
// device runtime offloading by a policy calibrated on the validation split, for every
// decision module, raw and temperature-scaled.
#include <gtest/gtest.h>

#include "eval/eval.h"
#include "hiedge/calibrate.h"
#include "hiedge/http_server.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

class HiLoopbackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto local = LoadModel(kModels + "/sml.json");
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    local_ = std::move(local).value().release();
    auto remote = LoadModel(kModels + "/lml.json");
    ASSERT_TRUE(remote.ok()) << remote.status().ToString();
    remote_ = std::move(remote).value();
    auto train = LoadFashionMnist(kFashionMnistDir, Split::kTrain);
    auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
    ASSERT_TRUE(train.ok() && test.ok());
    validation_ = new Dataset(Head(SplitTrainValidation(*train).validation, 2000));
    subset_ = new Dataset(Head(*test, 300));
    auto lv = Predict(*local_, *validation_);
    auto rv = Predict(*remote_, *validation_);
    auto lt = Predict(*local_, *subset_);
    auto rt = Predict(*remote_, *subset_);
    ASSERT_TRUE(lv.ok() && rv.ok() && lt.ok() && rt.ok());
    local_val_ = new Predictions(*lv);
    remote_val_ = new Predictions(*rv);
    local_test_ = new Predictions(*lt);
    remote_test_ = new Predictions(*rt);
  }

  static InferenceBackend* local_;
  static std::shared_ptr<InferenceBackend> remote_;
  static Dataset *validation_, *subset_;
  static Predictions *local_val_, *remote_val_, *local_test_, *remote_test_;
};

InferenceBackend* HiLoopbackTest::local_ = nullptr;
std::shared_ptr<InferenceBackend> HiLoopbackTest::remote_;
Dataset *HiLoopbackTest::validation_ = nullptr, *HiLoopbackTest::subset_ = nullptr;
Predictions *HiLoopbackTest::local_val_ = nullptr, *HiLoopbackTest::remote_val_ = nullptr,
            *HiLoopbackTest::local_test_ = nullptr, *HiLoopbackTest::remote_test_ = nullptr;

// Each module's config, deployed on the device against the REST server, reproduces
// the offline study's test figures exactly: same offloads, same answers, same accuracy.
TEST_F(HiLoopbackTest, EveryDeployedModuleReproducesTheStudyThroughTheDevicePath) {
  ASSERT_NE(local_, nullptr);
  InferenceService service;
  ASSERT_TRUE(service.AddModel("lml", remote_).ok());
  HttpServer server(&service, {"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto client = MakeOffloadClient({"127.0.0.1", server.port(), "lml", true});
  const CostModel cost{0.1, 1.0};
  for (const std::string& module : ConfidenceModuleNames()) {
    for (bool temperature : {false, true}) {
      SCOPED_TRACE(module + (temperature ? "+T" : ""));
      auto config =
          CalibratePolicy(Labelled(*local_val_, *remote_val_, validation_->labels),
                          {.module = module, .fit_temperature = temperature, .cost = cost});
      ASSERT_TRUE(config.ok()) << config.status().ToString();
      // Deployed the way the tools deploy it: through the config's JSON.
      auto deployed = DecisionConfig::FromJson(config->ToJson());
      ASSERT_TRUE(deployed.ok());
      auto policy = OffloadPolicy::FromConfig(*deployed);
      ASSERT_TRUE(policy.ok());
      ASSERT_GT(policy->theta(), policy->module().ScoreRange(10).first);

      DeviceRuntime device(local_, client.get(), {*policy, std::chrono::seconds(5)});
      double wall = 0;
      auto records = RunDevice(device, *subset_, "hi", &wall, false);
      ASSERT_TRUE(records.ok()) << records.status().ToString();
      ASSERT_EQ(records->size(), subset_->size());

      // The study's figures on the same samples, from offline predictions.
      const std::vector<SampleOutcome> study =
          PolicyOutcomes(*policy, Labelled(*local_test_, *remote_test_, subset_->labels));
      const ThresholdPoint offline = EvaluateThreshold(study, policy->theta(), cost);
      size_t offloaded = 0;
      for (size_t i = 0; i < subset_->size(); ++i) {
        const SampleRecord& r = (*records)[i];
        EXPECT_FALSE(r.fallback) << i << ": " << r.offload_error;
        EXPECT_EQ(r.local_prediction, local_test_->labels[i]) << i;
        EXPECT_EQ(r.offloaded, ShouldOffload(study[i].confidence, policy->theta())) << i;
        EXPECT_EQ(r.final_prediction,
                  r.offloaded ? remote_test_->labels[i] : local_test_->labels[i])
            << i;
        offloaded += r.offloaded ? 1 : 0;
      }
      EXPECT_EQ(offloaded, offline.offloaded);
      const StrategyResult hi = Summarize("hi", policy->theta(), *records, *subset_, cost, wall);
      EXPECT_DOUBLE_EQ(hi.accuracy, offline.accuracy());
      EXPECT_EQ(hi.fallbacks, 0u);
      EXPECT_GT(offloaded, 0u);
      EXPECT_LT(offloaded, subset_->size() / 2);
    }
  }
}

}  // namespace
}  // namespace hiedge
