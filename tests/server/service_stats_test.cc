// The service's statistics follow Triton's semantics, and its metrics carry the
// served version.
#include <gtest/gtest.h>

#include "hiedge/server/server.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

protocol::InferRequest Request(std::vector<int64_t> shape) {
  protocol::InferRequest r;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  r.inputs.push_back(
      {"input", "FP32", shape, std::vector<float>(static_cast<size_t>(n), 0.5f), {}});
  return r;
}

TEST(ServiceStatsTest, FailuresHaveTheirOwnDurationAndStayOutOfComputeAndQueue) {
  InferenceService service;
  ASSERT_TRUE(
      service
          .AddModel("m",
                    std::make_shared<testing::FakeBackend>("m", 3.0f, std::chrono::milliseconds(2)),
                    {}, "3")
          .ok());
  ASSERT_TRUE(service.Infer("m", "", Request({2, 1, 4, 4})).ok());
  ASSERT_FALSE(service.Infer("m", "", Request({1, 1, 5, 5})).ok());  // Wrong shape.
  ASSERT_FALSE(service.Infer("m", "", Request({1, 1, 4, 4, 1})).ok());
  auto report = service.GetStatisticsReport("m", "");
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->version, "3");
  EXPECT_EQ(report->success.count, 1u);
  EXPECT_EQ(report->fail.count, 2u);
  EXPECT_GT(report->fail.ns, 0u) << "failed requests' time is reported";
  EXPECT_EQ(report->compute_infer.count, 1u) << "only successful requests count in compute";
  EXPECT_EQ(report->queue.count, 1u);
  EXPECT_GE(report->compute_infer.ns, 2'000'000u);  // The 2 ms model ran once.
  EXPECT_GE(report->success.ns, report->compute_infer.ns);
  EXPECT_EQ(report->inference_count, 2u);  // Rows of the successful request.
  EXPECT_EQ(report->execution_count, 1u);
}

TEST(ServiceStatsTest, MetricsCarryTheServedVersion) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("m", std::make_shared<testing::FakeBackend>("m"), {}, "7").ok());
  const std::string text = service.RenderMetrics();
  EXPECT_NE(text.find(R"(nv_inference_request_success{model="m",version="7"})"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(R"(version="1")"), std::string::npos) << text;
}

TEST(ServiceStatsTest, RowsAreCappedWithAndWithoutBatching) {
  ServiceLimits limits;
  limits.max_rows_per_request = 4;
  InferenceService service(limits);
  BatchingConfig batching;
  batching.max_batch_size = 2;
  ASSERT_TRUE(service.AddModel("plain", std::make_shared<testing::FakeBackend>("plain")).ok());
  ASSERT_TRUE(
      service.AddModel("batched", std::make_shared<testing::FakeBackend>("batched"), batching)
          .ok());
  EXPECT_EQ(*service.MaxRowsPerRequest("plain"), 4);
  EXPECT_EQ(*service.MaxRowsPerRequest("batched"), 2);
  EXPECT_TRUE(service.Infer("plain", "", Request({4, 1, 4, 4})).ok());
  EXPECT_EQ(service.Infer("plain", "", Request({5, 1, 4, 4})).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(service.Infer("batched", "", Request({2, 1, 4, 4})).ok());
  EXPECT_EQ(service.Infer("batched", "", Request({3, 1, 4, 4})).status().code(),
            StatusCode::kInvalidArgument);
}

// A model cheaper than the hand-off to a worker runs on the transport's thread, once
// 100 answers show it is cheap; batched models, large bodies and slow models never do.
TEST(InlineExecutionTest, OnlyCheapUnbatchedModelsRunInline) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("cheap", std::make_shared<testing::FakeBackend>()).ok());
  ASSERT_TRUE(service
                  .AddModel("slow", std::make_shared<testing::FakeBackend>(
                                        "slow", 1.0f, std::chrono::milliseconds(1)))
                  .ok());
  BatchingConfig batching;
  batching.max_batch_size = 4;
  ASSERT_TRUE(service.AddModel("batched", std::make_shared<testing::FakeBackend>(), batching).ok());
  protocol::InferRequest request;
  request.inputs.push_back({"input", "FP32", {1, 1, 4, 4}, std::vector<float>(16, 0.5f), {}});
  EXPECT_FALSE(service.RunsInline("cheap", 100)) << "nothing seen yet";
  for (int i = 0; i < 100; ++i) {
    for (const char* model : {"cheap", "slow", "batched"}) {
      ASSERT_TRUE(service.Infer(model, "", request).ok()) << model;
    }
  }
  EXPECT_TRUE(service.RunsInline("cheap", 100));
  EXPECT_FALSE(service.RunsInline("cheap", size_t{1} << 20)) << "a large body";
  EXPECT_FALSE(service.RunsInline("slow", 100));
  EXPECT_FALSE(service.RunsInline("batched", 100));
  EXPECT_FALSE(service.RunsInline("unknown", 100));
  ServiceLimits never;
  never.inline_below_us = 0;
  InferenceService off(never);
  ASSERT_TRUE(off.AddModel("cheap", std::make_shared<testing::FakeBackend>()).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(off.Infer("cheap", "", request).ok());
  EXPECT_FALSE(off.RunsInline("cheap", 100));
}

}  // namespace
}  // namespace hiedge
