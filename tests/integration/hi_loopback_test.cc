// The real thing on a test subset: shipped models, the REST server on loopback, the
// device runtime offloading by a policy calibrated on the validation split, for every
// decision module, raw and temperature-scaled.
#include <gtest/gtest.h>

#include "eval/core/eval.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/server/http_server.h"
#include "testing/both_servers.h"

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

// The shipped models over both transports: the device sending UINT8 pixel bytes gets
// bit-identical logits to FP32, for a quarter of the tensor bytes.
TEST_F(HiLoopbackTest, Uint8PixelsAnswerExactlyAsFp32ForAQuarterOfTheBytes) {
  ASSERT_NE(local_, nullptr);
  InferenceService service;
  ASSERT_TRUE(service.AddModel("lml", remote_).ok());
  ASSERT_TRUE(remote_->info().pixel_inputs) << "models/lml.json declares pixel_inputs";
  testing::BothServers servers(&service);
  ASSERT_TRUE(servers.ok());
  const Dataset batch = Head(*subset_, 64);
  const FloatTensor images{{64, 1, 28, 28}, batch.images};
  for (const std::string transport : {"rest", "grpc"}) {
    OffloadOptions options{"127.0.0.1", servers.port(transport), "lml", true};
    options.transport = transport;
    auto fp32 = MakeOffloadClient(options)->Infer(images, std::chrono::seconds(10));
    options.payload = Payload::kUint8Pixels;
    auto uint8 = MakeOffloadClient(options)->Infer(images, std::chrono::seconds(10));
    ASSERT_TRUE(fp32.ok()) << fp32.status().ToString();
    ASSERT_TRUE(uint8.ok()) << uint8.status().ToString();
    EXPECT_EQ(uint8->data, fp32->data) << "bit-identical logits";
  }
  // What goes on the wire for one image (REST, binary tensor data).
  protocol::InferRequest one;
  one.inputs.push_back({protocol::kInputName, "FP32", {1, 1, 28, 28}, Head(batch, 1).images, {}});
  const size_t fp32_bytes = protocol::EncodeInferRequest(one, true).body.size();
  one.inputs[0].datatype = "UINT8";
  for (float& v : one.inputs[0].data) v = std::round(v * 255);
  const size_t uint8_bytes = protocol::EncodeInferRequest(one, true).body.size();
  EXPECT_LT(uint8_bytes * 3, fp32_bytes) << uint8_bytes << " vs " << fp32_bytes;
}

}  // namespace
}  // namespace hiedge
