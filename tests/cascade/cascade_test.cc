// The cascade tier on hand-made cases: which rows it answers, forwards and falls back
// on, the live β moving θ along the cost curve, and the spec's errors.
#include "hiedge/cascade/cascade.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>

#include "common/files.h"
#include "hiedge/decision/decision.h"
#include "hiedge/server/http_server.h"
#include "hiedge/server/model_repository.h"
#include "hiedge/server/server.h"
#include "testing/fake_backend.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::FakeBackend;

// An image whose first pixel picks FakeBackend's class (v / 10 + 0.05 → class v).
FloatTensor Images(const std::vector<int>& classes) {
  FloatTensor x{{static_cast<int64_t>(classes.size()), 1, 4, 4},
                std::vector<float>(classes.size() * 16, 0.0f)};
  for (size_t i = 0; i < classes.size(); ++i) x.data[i * 16] = classes[i] / 10.0f + 0.05f;
  return x;
}

// The next tier, scripted: answers class 9 for every row (or the scripted failure),
// and advances the shared fake clock by `round_trip_us` per call.
class ScriptedNextTier final : public OffloadClient {
 public:
  ScriptedNextTier(Status failure, std::shared_ptr<int64_t> now_us, int64_t round_trip_us,
                   int classes = 10)
      : failure_(std::move(failure)),
        now_us_(now_us),
        round_trip_us_(round_trip_us),
        classes_(classes) {}
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    *now_us_ += round_trip_us_;
    if (!failure_.ok()) return failure_;
    FloatTensor out{{images.shape[0], classes_},
                    std::vector<float>(static_cast<size_t>(images.shape[0] * classes_), 0.0f)};
    for (int64_t r = 0; r < images.shape[0]; ++r) out.data[r * classes_ + classes_ - 1] = 5.0f;
    return out;
  }

 private:
  Status failure_;
  std::shared_ptr<int64_t> now_us_;
  int64_t round_trip_us_;
  int classes_;
};

// Max softmax of FakeBackend's rows: logit L on one class of 10 gives
// e^L / (e^L + 9). With L = 3 that is 0.69; with L = 0.5 it is 0.155.
DecisionConfig MaxSoftmaxAt(double theta) {
  DecisionConfig c;
  c.theta = theta;
  c.offload_cost = 0.1;
  return c;
}

CascadeSpec Spec() {
  CascadeSpec spec;
  spec.name = "edge";
  spec.deadline = std::chrono::milliseconds(50);
  return spec;
}

struct Tier {
  std::shared_ptr<int64_t> now_us = std::make_shared<int64_t>(0);  // The fake clock.
  std::unique_ptr<InferenceBackend> backend;
};

Tier MakeTier(float local_logit, const DecisionConfig& config, const CascadeSpec& spec,
              Status failure = Status::Ok(), int64_t round_trip_us = 1000, int classes = 10) {
  Tier tier;
  std::shared_ptr<int64_t> now = tier.now_us;
  auto made = MakeCascadeBackend(
      std::make_shared<FakeBackend>("local", local_logit), config, spec,
      [=](const OffloadOptions&) {
        return std::make_unique<ScriptedNextTier>(failure, now, round_trip_us, classes);
      },
      [now] { return *now; });
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  if (made.ok()) tier.backend = std::move(*made);
  return tier;
}

int ArgMaxOfRow(const FloatTensor& t, int64_t r) {
  const int64_t w = t.row_size();
  return static_cast<int>(std::max_element(t.data.begin() + r * w, t.data.begin() + (r + 1) * w) -
                          (t.data.begin() + r * w));
}

TEST(CascadeTest, SureRowsStayHereUnsureOnesTakeTheNextTiersAnswer) {
  // θ 0.5: logit 3 (0.69) is sure, so nothing leaves; θ 0.8 sends everything.
  Tier sure = MakeTier(3.0f, MaxSoftmaxAt(0.5), Spec());
  auto kept = sure.backend->Infer(Images({1, 2, 3}));
  ASSERT_TRUE(kept.ok());
  for (int64_t r = 0; r < 3; ++r) EXPECT_EQ(ArgMaxOfRow(*kept, r), r + 1);
  auto counters = ReadCascadeCounters(*sure.backend);
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->rows, 3u);
  EXPECT_EQ(counters->answered_here, 3u);
  EXPECT_EQ(counters->forwarded, 0u);

  Tier unsure = MakeTier(3.0f, MaxSoftmaxAt(0.8), Spec());
  auto sent = unsure.backend->Infer(Images({1, 2}));
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(ArgMaxOfRow(*sent, 0), 9);
  EXPECT_EQ(ArgMaxOfRow(*sent, 1), 9);
  counters = ReadCascadeCounters(*unsure.backend);
  EXPECT_EQ(counters->forwarded, 2u);
  EXPECT_EQ(counters->answered_here, 0u);
  EXPECT_DOUBLE_EQ(counters->next_round_trip_ms, 0.2);  // 1 ms, smoothed by 0.2 from 0.
  EXPECT_EQ(unsure.backend->info().name, "edge");
  EXPECT_EQ(unsure.backend->info().architecture, "cascade");
  std::vector<RowSource> marked;
  ASSERT_TRUE(unsure.backend->InferWithRowSources(Images({1, 2}), &marked).ok());
  EXPECT_EQ(marked, (std::vector<RowSource>{RowSource::kForwarded, RowSource::kForwarded}))
      << "answered by the next tier: nothing fell back";
  ASSERT_TRUE(sure.backend->InferWithRowSources(Images({1, 2}), &marked).ok());
  EXPECT_EQ(marked, (std::vector<RowSource>{RowSource::kHere, RowSource::kHere}));
}

TEST(CascadeTest, AFailingNextTierIsAnsweredHereAndCounted) {
  Tier tier = MakeTier(3.0f, MaxSoftmaxAt(0.8), Spec(), Status::Unavailable("cloud is down"));
  auto out = tier.backend->Infer(Images({4, 5}));
  ASSERT_TRUE(out.ok()) << "a fallback is an answer, not an error";
  EXPECT_EQ(ArgMaxOfRow(*out, 0), 4);
  EXPECT_EQ(ArgMaxOfRow(*out, 1), 5);
  auto counters = ReadCascadeCounters(*tier.backend);
  EXPECT_EQ(counters->fallbacks, 2u);
  EXPECT_EQ(counters->forwarded, 0u);
  EXPECT_NE(counters->last_error.find("cloud is down"), std::string::npos);
  // Exported for the server's /metrics.
  bool found = false;
  for (const BackendMetric& m : tier.backend->Metrics()) {
    if (m.name == "hiedge_cascade_rows_total" && m.labels.at("outcome") == "fallback") {
      EXPECT_EQ(m.value, 2.0);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // The rows are marked for the server to flag on the response.
  std::vector<RowSource> marked;
  ASSERT_TRUE(tier.backend->InferWithRowSources(Images({4, 5}), &marked).ok());
  EXPECT_EQ(marked, (std::vector<RowSource>{RowSource::kFallback, RowSource::kFallback}));
}

TEST(CascadeTest, ANextTierAnsweringAnotherShapeIsAFallback) {
  Tier tier = MakeTier(3.0f, MaxSoftmaxAt(0.8), Spec(), Status::Ok(), 1000, /*classes=*/7);
  auto out = tier.backend->Infer(Images({6}));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(ArgMaxOfRow(*out, 0), 6);
  auto counters = ReadCascadeCounters(*tier.backend);
  EXPECT_EQ(counters->fallbacks, 1u);
  EXPECT_NE(counters->last_error.find("shape"), std::string::npos);
}

// A cost curve where offloading more saves errors: θ* falls as β rises.
DecisionConfig WithCurve() {
  DecisionConfig c = MaxSoftmaxAt(0.8);
  c.cost_curve = {{0.0, 0.0, 0.20},   // β > 0.5: offload nothing.
                  {0.5, 0.2, 0.10},   // 0.1 < β < 0.5.
                  {0.8, 0.5, 0.07},   // β < 0.1 (0.03 / 0.3).
                  {2.0, 1.0, 0.06}};  // β < 0.02.
  return c;
}

TEST(CascadeTest, ASlowNextTierRaisesBetaAndLowersTheta) {
  CascadeSpec spec = Spec();
  spec.offload_cost = 0.05;
  spec.offload_cost_per_ms = 0.01;  // Each ms of round trip adds 0.01 to β.
  Tier tier = MakeTier(3.0f, WithCurve(), spec, Status::Ok(), /*round_trip_us=*/1000);
  auto counters = ReadCascadeCounters(*tier.backend);
  EXPECT_DOUBLE_EQ(counters->theta, 0.8) << "β 0.05 at first: the 0.8 point";
  ASSERT_TRUE(tier.backend->Infer(Images({1})).ok());  // 1 ms, smoothed 0.2: β 0.052.
  EXPECT_DOUBLE_EQ(ReadCascadeCounters(*tier.backend)->theta, 0.8);

  Tier slow = MakeTier(3.0f, WithCurve(), spec, Status::Ok(), /*round_trip_us=*/30000);
  ASSERT_TRUE(slow.backend->Infer(Images({1})).ok());  // 30 ms, smoothed 6: β 0.11.
  counters = ReadCascadeCounters(*slow.backend);
  EXPECT_NEAR(counters->offload_cost, 0.11, 1e-9);
  EXPECT_DOUBLE_EQ(counters->theta, 0.5);
  // Now the 0.69-confident rows stay here: offloading backed off.
  ASSERT_TRUE(slow.backend->Infer(Images({2, 3})).ok());
  EXPECT_EQ(ReadCascadeCounters(*slow.backend)->answered_here, 2u);
}

// A load-aware tier answers the same rows from another tier as its round trips change,
// says so per row and counts it; a tier of fixed β answers the same input the same way
// at any load.
TEST(CascadeTest, ALoadAwareTierCountsRowsMovedByLoadAndAFixedTierNeverMovesThem) {
  CascadeSpec aware = Spec();
  aware.offload_cost = 0.05;
  aware.offload_cost_per_ms = 0.01;
  Tier slow = MakeTier(3.0f, WithCurve(), aware, Status::Ok(), /*round_trip_us=*/30000);
  std::vector<RowSource> first, second;
  ASSERT_TRUE(slow.backend->InferWithRowSources(Images({2, 3}), &first).ok());
  ASSERT_TRUE(slow.backend->InferWithRowSources(Images({2, 3}), &second).ok());
  EXPECT_EQ(first, (std::vector<RowSource>{RowSource::kForwarded, RowSource::kForwarded}));
  EXPECT_EQ(second, (std::vector<RowSource>{RowSource::kHere, RowSource::kHere}))
      << "the slow round trip raised β: the same rows now stay here";
  EXPECT_EQ(ReadCascadeCounters(*slow.backend)->moved_by_load, 2u);

  CascadeSpec fixed = Spec();
  fixed.offload_cost = 0.05;  // Another β than the config's, but not load-aware.
  Tier steady = MakeTier(3.0f, WithCurve(), fixed, Status::Ok(), /*round_trip_us=*/30000);
  std::vector<float> answer;
  for (int round = 0; round < 5; ++round) {
    std::vector<RowSource> sources;
    auto out = steady.backend->InferWithRowSources(Images({2, 3}), &sources);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(sources, (std::vector<RowSource>{RowSource::kForwarded, RowSource::kForwarded}));
    if (round == 0) answer = out->data;
    EXPECT_EQ(out->data, answer) << "round " << round;
  }
  EXPECT_EQ(ReadCascadeCounters(*steady.backend)->moved_by_load, 0u);
  bool exported = false;
  for (const BackendMetric& m : slow.backend->Metrics()) {
    if (m.name == "hiedge_cascade_rows_moved_by_load_total") exported = m.value == 2.0;
  }
  EXPECT_TRUE(exported);
}

TEST(CascadeTest, AnotherBetaNeedsACostCurve) {
  CascadeSpec spec = Spec();
  spec.offload_cost = 0.3;  // The config was calibrated at 0.1 and has no curve.
  auto made = MakeCascadeBackend(std::make_shared<FakeBackend>(), MaxSoftmaxAt(0.8), spec,
                                 [](const OffloadOptions&) { return nullptr; });
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(made.status().message().find("cost curve"), std::string::npos);
}

TEST(CascadeTest, LiveCostSmoothsRoundTripsAndRecoversWhenIdle) {
  LiveOffloadCost cost(0.1, 0.02, 0.5, /*recovery_half_life_ms=*/1000);
  EXPECT_DOUBLE_EQ(cost.beta(0), 0.1);
  cost.ObserveRoundTrip(10, 0);  // From 0: half of it.
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(0), 5);
  EXPECT_DOUBLE_EQ(cost.beta(0), 0.2);
  cost.ObserveRoundTrip(20, 0);
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(0), 12.5);
  cost.ObserveRoundTrip(-1, 0);  // Ignored.
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(0), 12.5);
  // Idle: the estimate halves every second, and β returns to its base.
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(1'000'000), 6.25);
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(2'000'000), 3.125);
  EXPECT_NEAR(cost.beta(60'000'000), 0.1, 1e-9);
  // A new observation smooths against the decayed estimate.
  cost.ObserveRoundTrip(3.125, 2'000'000);
  EXPECT_DOUBLE_EQ(cost.round_trip_ms(2'000'000), 3.125);
}

TEST(CascadeTest, AfterASlowSpellTheTierForwardsAgain) {
  CascadeSpec spec = Spec();
  spec.offload_cost = 0.05;
  spec.offload_cost_per_ms = 0.01;
  Tier tier = MakeTier(3.0f, WithCurve(), spec, Status::Ok(), /*round_trip_us=*/80000);
  ASSERT_TRUE(tier.backend->Infer(Images({1})).ok());  // 80 ms, smoothed 16: β 0.21.
  EXPECT_DOUBLE_EQ(ReadCascadeCounters(*tier.backend)->theta, 0.5);
  ASSERT_TRUE(tier.backend->Infer(Images({2})).ok());
  EXPECT_EQ(ReadCascadeCounters(*tier.backend)->answered_here, 1u);
  // Ten idle seconds later the estimate has decayed (half-life 1 s): it tries again.
  *tier.now_us += 10'000'000;
  ASSERT_TRUE(tier.backend->Infer(Images({3})).ok());
  EXPECT_EQ(ReadCascadeCounters(*tier.backend)->forwarded, 2u);
}

TEST(CascadeSpecTest, ParsesAndResolvesPaths) {
  auto spec = CascadeSpec::FromJson(R"({"name": "edge", "local": "sml.json",
      "decision": "/abs/decision.json",
      "next": {"server": "10.0.0.2:8001", "transport": "grpc", "model": "lml",
               "deadline_ms": 40, "payload": "fp16"},
      "offload_cost": 0.2, "offload_cost_per_ms": 0.01, "max_connections": 4})",
                                    "/models");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->local_card, "/models/sml.json");
  EXPECT_EQ(spec->decision, "/abs/decision.json");
  EXPECT_EQ(spec->next.host, "10.0.0.2");
  EXPECT_EQ(spec->next.port, 8001);
  EXPECT_EQ(spec->next.transport, "grpc");
  EXPECT_EQ(spec->next.payload, Payload::kFp16);
  EXPECT_EQ(spec->deadline, std::chrono::milliseconds(40));
  EXPECT_EQ(spec->max_connections, 4);
}

TEST(CascadeSpecTest, BadSpecsNameWhatIsWrong) {
  const std::string next = R"("next": {"server": "h:1", "model": "lml"})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"local": "a", "decision": "b", )" + next + "}", "'name'"},
      {R"({"name": "e", "decision": "b", )" + next + "}", "'local'"},
      {R"({"name": "e", "local": "a", "decision": "b", "next": {"model": "lml"}})", "next.server"},
      {R"({"name": "e", "local": "a", "decision": "b", "next": {"server": "nohost"}})",
       "host:port"},
      {R"({"name": "e", "local": "a", "decision": "b",
          "next": {"server": "h:1", "deadline_ms": 0}})",
       "deadline_ms"},
      {R"({"name": "e", "local": "a", "decision": "b",
          "next": {"server": "h:1", "transport": "carrier-pigeon"}})",
       "transport"},
      {R"({"name": "e", "local": "a", "decision": "b",
          "next": {"server": "h:1", "bearer_token_env": "HIEDGE_TEST_UNSET_TOKEN"}})",
       "not set"},
      {R"({"name": "e", "local": "a", "decision": "b", )" + next + R"(, "max_connections": 0})",
       "max_connections"},
      {R"({"name": "e", "local": "a", "decision": "b", )" + next +
           R"(, "offload_cost_per_ms": -1})",
       "offload_cost_per_ms"},
      {"[1, 2]", "not a JSON object"},
  };
  unsetenv("HIEDGE_TEST_UNSET_TOKEN");
  for (const auto& [text, expected] : cases) {
    auto spec = CascadeSpec::FromJson(text, "");
    ASSERT_FALSE(spec.ok()) << text;
    EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(spec.status().message().find(expected), std::string::npos)
        << spec.status().message() << " should name " << expected;
  }
}

// A cascade tier declared in a Triton-layout repository (a card of format "cascade"
// whose weights are the spec) is served like any model and forwards to its next tier.
TEST(CascadeRepositoryTest, ARepositoryServesACascadeTier) {
  const std::string models = std::string(HIEDGE_SOURCE_DIR) + "/models";
  InferenceService cloud;
  auto lml = LoadModel(models + "/lml.json");
  ASSERT_TRUE(lml.ok());
  ASSERT_TRUE(cloud.AddModel("lml", std::move(*lml)).ok());
  HttpServer cloud_server(&cloud, {"127.0.0.1", 0});
  ASSERT_TRUE(cloud_server.Start().ok());

  testing::ScopedTempDir root("cascade_repository");
  const std::filesystem::path version = root / "edge" / "1";
  ASSERT_TRUE(WriteTextFile((root / "edge" / "config.pbtxt").string(),
                            "name: \"edge\"\nplatform: \"hiedge\"\n"
                            "default_model_filename: \"edge.json\"\nmax_batch_size: 0\n")
                  .ok());
  DecisionConfig always = MaxSoftmaxAt(kAlwaysOffload);
  always.local_model_id = *ModelIdentity(models + "/sml.json");
  ASSERT_TRUE(WriteDecisionConfig(always, (version / "decision.json").string()).ok());
  ASSERT_TRUE(WriteTextFile(
                  (version / "spec.json").string(), R"({"name": "edge", "local": ")" + models +
                                                        R"(/sml.json", "decision": "decision.json",
                  "next": {"server": "127.0.0.1:)" + std::to_string(cloud_server.port()) +
                                                        R"(", "model": "lml"}})")
                  .ok());
  auto card = CascadeCard((version / "spec.json").string());
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  ASSERT_TRUE(WriteModelCard(*card, (version / "edge.json").string()).ok());

  InferenceService edge;
  ModelRepository repository(root.path().string(), &edge);
  auto events = repository.Poll();
  ASSERT_TRUE(events.ok()) << events.status().ToString();
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE((*events)[0].status.ok()) << (*events)[0].status.ToString();
  auto config = edge.GetModelConfig("edge", "1");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->info.architecture, "cascade");

  protocol::InferRequest request;
  request.inputs.push_back(
      {"input", "FP32", {2, 1, 28, 28}, std::vector<float>(2 * 784, 0.3f), {}});
  auto answered = edge.Infer("edge", "", request);
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  auto direct = cloud.Infer("lml", "", request);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(answered->outputs[0].data, direct->outputs[0].data) << "θ > 1: the cloud answers";
  EXPECT_NE(edge.RenderMetrics().find(
                "hiedge_cascade_rows_total{model=\"edge\",outcome=\"forwarded\",version=\"1\"} 2"),
            std::string::npos)
      << edge.RenderMetrics();
}

}  // namespace
}  // namespace hiedge
