// Load: 64 concurrent clients x 2,000 requests against the REST server with dynamic
// batching. Every request must be answered, and every answer must equal offline
// inference of the same input. Uses the deterministic fake model so the test measures
// the server, not the model.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "hiedge/device.h"
#include "hiedge/http_server.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

TEST(ServerLoadTest, SixtyFourClientsTwoThousandRequestsNoneLostNoneWrong) {
  constexpr int kClients = 64;
  constexpr int kRequests = 2000;
  auto backend = std::make_shared<testing::FakeBackend>("fake");
  InferenceService service;
  BatchingConfig batching;
  batching.max_batch_size = 32;
  batching.max_queue_delay_us = 200;
  ASSERT_TRUE(service.AddModel("fake", backend, batching).ok());
  HttpServerOptions options{"127.0.0.1", 0};
  options.worker_threads = kClients + 8;
  options.keep_alive_timeout_seconds = 10;
  HttpServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());

  std::atomic<int> lost{0}, wrong{0}, answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = MakeOffloadClient({"127.0.0.1", server.port(), "fake", true});
      testing::FakeBackend offline("offline");
      for (int i = 0; i < kRequests; ++i) {
        FloatTensor x{{1, 1, 4, 4}, std::vector<float>(16, 0.0f)};
        x.data[0] = static_cast<float>((c * 7 + i) % 100) / 100.0f;
        auto remote = client->Infer(x, std::chrono::seconds(30));
        if (!remote.ok()) {
          if (lost.fetch_add(1) < 3) ADD_FAILURE() << "request lost: " << remote.status().ToString();
          continue;
        }
        answered.fetch_add(1);
        if (remote->data != offline.Infer(x)->data) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(lost.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(answered.load(), kClients * kRequests);
  auto stats = service.GetModelStats("fake");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->request_success, static_cast<uint64_t>(kClients * kRequests));
  EXPECT_EQ(stats->request_failure, 0u);
  EXPECT_LT(stats->execution_count, stats->request_success);  // Requests were batched.
  EXPECT_EQ(stats->pending_requests, 0);
}

}  // namespace
}  // namespace hiedge

#include "hiedge/loadgen.h"

namespace hiedge {
namespace {

TEST(LoadgenTest, SweepsConcurrencyAndReportsPercentiles) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  HttpServer server(&service, {"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  Dataset images;
  images.channels = 1;
  images.height = images.width = 4;
  images.num_classes = 10;
  images.images.assign(16 * 8, 0.5f);
  images.labels.assign(8, 5);
  LoadgenOptions options;
  options.server = {"127.0.0.1", server.port(), "fake", true};
  options.concurrency = {1, 4};
  options.window = std::chrono::milliseconds(150);
  options.max_windows = 4;
  options.stability = 0.5;
  auto levels = RunLoad(options, images);
  ASSERT_TRUE(levels.ok()) << levels.status().ToString();
  ASSERT_EQ(levels->size(), 2u);
  for (const LoadLevel& l : *levels) {
    EXPECT_GT(l.requests, 0u);
    EXPECT_EQ(l.failures, 0u);
    EXPECT_GT(l.throughput_per_s, 0);
    EXPECT_LE(l.p50_ms, l.p90_ms);
    EXPECT_LE(l.p90_ms, l.p99_ms);
    EXPECT_GE(l.windows, 2);
  }
  EXPECT_NE(LoadLevelsToJson(*levels).find("\"p99_ms\""), std::string::npos);
  EXPECT_EQ(RunLoad(options, Dataset{}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
