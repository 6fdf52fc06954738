// The service's statistics follow Triton's semantics, and its metrics carry the
// served version.
#include <gtest/gtest.h>

#include "hiedge/server.h"
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

}  // namespace
}  // namespace hiedge
