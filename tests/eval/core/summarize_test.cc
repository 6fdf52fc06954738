#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eval/core/eval.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

Dataset Labels(std::vector<int32_t> labels) {
  Dataset ds;
  ds.channels = 1;
  ds.height = 4;
  ds.width = 4;
  ds.num_classes = 10;
  ds.labels = std::move(labels);
  ds.images.assign(ds.labels.size() * 16, 0.0f);
  for (size_t i = 0; i < ds.labels.size(); ++i) ds.images[i * 16] = ds.labels[i] / 10.0f + 0.05f;
  return ds;
}

SampleRecord Record(int local, bool offloaded, int remote, bool fallback, double ms) {
  SampleRecord r;
  r.local_prediction = local;
  r.offloaded = offloaded;
  r.remote_prediction = remote;
  r.fallback = fallback;
  r.final_prediction = offloaded && !fallback ? remote : local;
  r.local_ms = ms;
  r.offload_ms = offloaded ? 2 * ms : 0;
  return r;
}

TEST(SummarizeTest, CountsErrorsWhereTheyHappenAndPricesThem) {
  const Dataset data = Labels({1, 2, 3, 4});
  const std::vector<SampleRecord> records = {
      Record(1, false, -1, false, 1.0),  // right locally
      Record(0, false, -1, false, 1.0),  // wrong locally
      Record(0, true, 3, false, 1.0),    // offloaded, server right
      Record(5, true, -1, true, 1.0),    // offloaded, fell back, wrong locally
  };
  const StrategyResult s = Summarize("x", 0.5, records, data, CostModel{0.25, 1.0}, 2.0);
  EXPECT_EQ(s.samples, 4u);
  EXPECT_EQ(s.offloaded, 2u);
  EXPECT_EQ(s.fallbacks, 1u);
  EXPECT_EQ(s.device_errors, 2u);
  EXPECT_EQ(s.server_errors, 0u);
  EXPECT_DOUBLE_EQ(s.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(s.cost, 2 * 0.25 + 2);
  EXPECT_DOUBLE_EQ(s.mean_latency_ms, (1 + 1 + 3 + 3) / 4.0);
  EXPECT_DOUBLE_EQ(s.mean_offload_ms, 2.0);
  EXPECT_DOUBLE_EQ(s.throughput_per_s, 2.0);
}

TEST(SummarizeTest, EmptyRunIsAllZero) {
  const StrategyResult s = Summarize("none", 0, {}, Labels({}), CostModel{}, 0);
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.accuracy, 0);
  EXPECT_EQ(s.offload_fraction(), 0);
}

TEST(ReportTest, JsonCarriesTheDocumentedSchema) {
  StrategyResult s;
  s.strategy = "No offload";
  s.samples = 10;
  s.offloaded = 3;
  const auto j = nlohmann::json::parse(ResultsToJson({s}));
  ASSERT_EQ(j.size(), 1u);
  for (const char* key : {"strategy", "accuracy", "offload_fraction", "cost", "mean_latency_ms",
                          "throughput_per_s", "device_errors", "server_errors"}) {
    EXPECT_TRUE(j[0].contains(key)) << key;
  }
  EXPECT_DOUBLE_EQ(j[0]["offload_fraction"].get<double>(), 0.3);
  const std::string csv = ResultsToCsv({s});
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);
  EXPECT_NE(ResultsToTable({s}).find("No offload"), std::string::npos);
}

TEST(PredictTest, BatchesAndJoins) {
  testing::FakeBackend model;
  const Dataset data = Labels({0, 9, 4, 4, 7});
  auto p = Predict(model, data, 2);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->labels, (std::vector<int>{0, 9, 4, 4, 7}));
  EXPECT_EQ(model.calls(), 3);  // 2 + 2 + 1
  EXPECT_DOUBLE_EQ(AccuracyOf(*p, data), 1.0);
  Predictions wrong = *p;
  wrong.labels[1] = 0;
  const auto outcomes = JoinOutcomes(*p, wrong, data);
  EXPECT_TRUE(outcomes[1].local_correct);
  EXPECT_FALSE(outcomes[1].remote_correct);
  EXPECT_EQ(Predict(model, data, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(RunDeviceTest, AnswersEverySampleInOrder) {
  testing::FakeBackend model;
  DeviceRuntime device(&model, nullptr, {OffloadPolicy::MaxSoftmax(0.0)});
  double wall = 0;
  auto ok = RunDevice(device, Labels({3, 4}), "t", &wall, false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].final_prediction, 4);
}

}  // namespace
}  // namespace hiedge

#include "eval/core/timing.h"

namespace hiedge {
namespace {

TEST(MeasureJobTimesTest, TimesLocalAndLoopbackOffload) {
  testing::FakeBackend local;
  auto remote = std::make_shared<testing::FakeBackend>("remote");
  auto times = MeasureJobTimes(local, remote, Labels({1, 2, 3}), 3);
  ASSERT_TRUE(times.ok()) << times.status().ToString();
  EXPECT_GT(times->local_ms, 0);
  EXPECT_GT(times->offload_ms, times->local_ms);  // A round trip costs more than a local call.
  EXPECT_EQ(remote->calls(), 3);
  EXPECT_EQ(MeasureJobTimes(local, remote, Labels({}), 3).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(MeasureOffloadOverLinksTest, AShapedLinkPaysItsDelaysLoopbackDoesNot) {
  auto remote = std::make_shared<testing::FakeBackend>("remote");
  auto loopback = eval::ParseLinkProfile("loopback");
  auto delayed = eval::ParseLinkProfile("delay=10");
  ASSERT_TRUE(loopback.ok() && delayed.ok());
  auto trips = MeasureOffloadOverLinks(remote, Labels({1, 2, 3}), 20, {*loopback, *delayed});
  ASSERT_TRUE(trips.ok()) << trips.status().ToString();
  ASSERT_EQ(trips->size(), 2u);
  EXPECT_EQ((*trips)[0].link, "loopback");
  EXPECT_EQ((*trips)[0].samples, 20);
  EXPECT_LT((*trips)[0].offload_ms, 20.0);
  EXPECT_GE((*trips)[1].offload_ms, 20.0) << "two one-way delays of 10 ms";
  EXPECT_EQ(remote->calls(), 2 * 21) << "one warm-up request per link, then 20 timed";
  EXPECT_EQ(MeasureOffloadOverLinks(remote, Labels({}), 20, {*loopback}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
