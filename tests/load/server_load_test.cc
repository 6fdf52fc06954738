// Load: 64 concurrent clients x 2,000 requests against the server (REST, then gRPC)
// with dynamic batching. Every request must be answered, and every answer must equal offline
// inference of the same input. Uses the deterministic fake model so the test measures
// the server, not the model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "hiedge/device/device.h"
#include "hiedge/server/http_server.h"
#include "testing/both_servers.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

class ServerLoadTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServerLoadTest, SixtyFourClientsTwoThousandRequestsNoneLostNoneWrong) {
  constexpr int kClients = 64;
  constexpr int kRequests = 2000;
  auto backend = std::make_shared<testing::FakeBackend>("fake");
  InferenceService service;
  BatchingConfig batching;
  batching.max_batch_size = 32;
  batching.max_queue_delay_us = 200;
  ASSERT_TRUE(service.AddModel("fake", backend, batching).ok());
  HttpServerOptions options;
  options.worker_threads = kClients + 8;
  testing::BothServers servers(&service, options);
  ASSERT_TRUE(servers.ok());

  std::atomic<int> lost{0}, wrong{0}, answered{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto client = servers.Client(GetParam(), "fake");
      testing::FakeBackend offline("offline");
      for (int i = 0; i < kRequests; ++i) {
        FloatTensor x{{1, 1, 4, 4}, std::vector<float>(16, 0.0f)};
        x.data[0] = static_cast<float>((c * 7 + i) % 100) / 100.0f;
        auto remote = client->Infer(x, std::chrono::seconds(30));
        if (!remote.ok()) {
          if (lost.fetch_add(1) < 3)
            ADD_FAILURE() << "request lost: " << remote.status().ToString();
          continue;
        }
        answered.fetch_add(1);
        if (remote->data != offline.Infer(x)->data) wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(lost.load(), 0) << servers.GuardReport();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(answered.load(), kClients * kRequests);
  auto stats = service.GetModelStats("fake");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->request_success, static_cast<uint64_t>(kClients * kRequests));
  EXPECT_EQ(stats->request_failure, 0u);
  EXPECT_LT(stats->execution_count, stats->request_success);  // Requests were batched.
  EXPECT_EQ(stats->pending_requests, 0);
}

INSTANTIATE_TEST_SUITE_P(Transports, ServerLoadTest,
                         ::testing::Values(std::string("rest"), std::string("grpc")),
                         testing::TransportTestName<::testing::TestParamInfo<std::string>>);

// Resident set size of this process, in bytes.
size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// A storm far beyond a small queue, over both transports at once: the server sheds the
// excess with 503 / UNAVAILABLE, never crashes or hangs, serves normally afterwards,
// and its memory stays flat from storm to storm (the queue bounds what it holds).
// A REST connection burst can also overflow httplib's listen backlog (5, compiled into
// Debian's library), dropping a connection before any answer: the client treats that
// like a 503 (retryable shedding), so it is counted apart, never as a wrong answer.
TEST(ServerStormTest, QueueFullStormShedsWithBoundedMemory) {
  auto backend = std::make_shared<testing::FakeBackend>("fake", 3.0f, std::chrono::milliseconds(2));
  InferenceService service;
  BatchingConfig batching;
  batching.max_batch_size = 4;
  batching.max_queue_size = 8;
  ASSERT_TRUE(service.AddModel("fake", backend, batching).ok());
  HttpServerOptions options;
  options.worker_threads = 40;
  testing::BothServers servers(&service, options);
  ASSERT_TRUE(servers.ok());

  std::atomic<int> ok{0}, shed{0}, dropped{0}, other{0};
  auto storm = [&] {
    std::vector<std::thread> clients;
    for (int c = 0; c < 64; ++c) {
      clients.emplace_back([&, c] {
        OffloadOptions link = servers.Link(c % 2 == 1 ? "grpc" : "rest", "fake");
        link.max_retries = 0;  // Measure shedding, not the client's patience.
        auto client = MakeOffloadClient(link);
        for (int i = 0; i < 60; ++i) {
          auto r = client->Infer(FloatTensor{{1, 1, 4, 4}, std::vector<float>(16, 0.5f)},
                                 std::chrono::seconds(5));
          if (r.ok()) {
            ok.fetch_add(1);
          } else if (r.status().message().find("503") != std::string::npos ||
                     r.status().message().find("gRPC 14") != std::string::npos) {
            shed.fetch_add(1);
          } else if (r.status().message().find("failed: Read") != std::string::npos ||
                     r.status().message().find("failed: Write") != std::string::npos) {
            dropped.fetch_add(1);
          } else if (other.fetch_add(1) < 3) {
            ADD_FAILURE() << r.status().ToString();
          }
        }
      });
    }
    for (auto& t : clients) t.join();
  };
  storm();  // Warm-up: thread stacks, connections and allocator pools reach steady state.
  const size_t after_first = ResidentBytes();
  for (int round = 0; round < 3; ++round) storm();
  const size_t after_last = ResidentBytes();
  EXPECT_GT(shed.load(), 0) << "the storm must overflow the 8-request queue";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(other.load(), 0);
  const double growth_mb =
      (static_cast<double>(after_last) - static_cast<double>(after_first)) / (1 << 20);
  EXPECT_LT(dropped.load(), shed.load() / 10) << "503/UNAVAILABLE is the main way to shed";
  std::fprintf(
      stderr,
      "storm: %d served, %d shed (503/UNAVAILABLE), %d connections dropped; RSS %.1f MB after "
      "round 1, %+.1f MB after 3 more rounds\n",
      ok.load(), shed.load(), dropped.load(), static_cast<double>(after_first) / (1 << 20),
      growth_mb);
  EXPECT_LT(growth_mb, 16.0);
  auto stats = service.GetModelStats("fake");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending_requests, 0);
  auto client = servers.Client("rest", "fake");
  EXPECT_TRUE(
      client
          ->Infer(FloatTensor{{1, 1, 4, 4}, std::vector<float>(16, 0.5f)}, std::chrono::seconds(5))
          .ok());
}

}  // namespace
}  // namespace hiedge

#include "eval/fleet/loadgen.h"

namespace hiedge {
namespace {

// `count` 1x4x4 images for FakeBackend, all alike.
Dataset FakeImages(size_t count) {
  Dataset images;
  images.channels = 1;
  images.height = images.width = 4;
  images.num_classes = 10;
  images.images.assign(16 * count, 0.5f);
  images.labels.assign(count, 5);
  return images;
}

TEST(LoadgenTest, SweepsConcurrencyAndReportsPercentiles) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  HttpServer server(&service, {"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  const Dataset images = FakeImages(8);
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

// A dead server: every request counts as sent and failed (it printed "8611 of 0
// requests failed"), and clients back off instead of spinning on refusals.
TEST(LoadgenTest, FailuresAreCountedAsRequestsAndBackedOff) {
  const Dataset images = FakeImages(2);
  LoadgenOptions options;
  options.server = {"127.0.0.1", 1, "fake", true};  // Nothing listens on port 1.
  options.concurrency = {2};
  options.window = std::chrono::milliseconds(300);
  options.max_windows = 2;
  auto levels = RunLoad(options, images);
  ASSERT_TRUE(levels.ok());
  const LoadLevel& l = levels->front();
  EXPECT_GT(l.failures, 0u);
  EXPECT_EQ(l.requests, l.failures) << "every request sent failed";
  EXPECT_EQ(l.throughput_per_s, 0);
  // 2 clients x 300 ms with backoff up to 100 ms: dozens, not thousands.
  EXPECT_LT(l.failures, 200u);
}

}  // namespace
}  // namespace hiedge
