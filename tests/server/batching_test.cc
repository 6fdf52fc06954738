#include "hiedge/server/batching.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "hiedge/server/server.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/gated_backend.h"

namespace hiedge {
namespace {

BatchingConfig Config(int64_t max_batch, int64_t delay_us, size_t max_queue = 0,
                      std::vector<int64_t> preferred = {}) {
  BatchingConfig c;
  c.max_batch_size = max_batch;
  c.max_queue_delay_us = delay_us;
  c.max_queue_size = max_queue;
  c.preferred_batch_sizes = std::move(preferred);
  return c;
}

TEST(BatchQueueTest, WaitsForCompanyUntilTheDelay) {
  BatchQueue q(Config(8, 1000));
  ASSERT_TRUE(q.Enqueue({1, 2, 0, 0}).ok());
  EXPECT_TRUE(q.TakeBatch(500).empty());  // 2 of 8 rows, waited 500 < 1000 us.
  EXPECT_EQ(q.NextWakeUs(), 1000);
  ASSERT_TRUE(q.Enqueue({2, 3, 600, 0}).ok());
  EXPECT_TRUE(q.TakeBatch(900).empty());
  const auto batch = q.TakeBatch(1000);  // The oldest has waited long enough.
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].id, 1u);
  EXPECT_EQ(batch[1].id, 2u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(q.NextWakeUs(), -1);
}

TEST(BatchQueueTest, FullOrPreferredBatchesRunAtOnce) {
  BatchQueue q(Config(4, 1000000, 0, {3}));
  ASSERT_TRUE(q.Enqueue({1, 2, 0, 0}).ok());
  ASSERT_TRUE(q.Enqueue({2, 2, 0, 0}).ok());
  EXPECT_EQ(q.TakeBatch(0).size(), 2u);  // 4 rows = max_batch_size.
  ASSERT_TRUE(q.Enqueue({3, 1, 0, 0}).ok());
  ASSERT_TRUE(q.Enqueue({4, 2, 0, 0}).ok());
  EXPECT_EQ(q.TakeBatch(0).size(), 2u);  // 3 rows is preferred.
}

TEST(BatchQueueTest, NeverSplitsARequestAndKeepsOrder) {
  BatchQueue q(Config(4, 0));
  ASSERT_TRUE(q.Enqueue({1, 3, 0, 0}).ok());
  ASSERT_TRUE(q.Enqueue({2, 3, 0, 0}).ok());
  auto first = q.TakeBatch(0);
  ASSERT_EQ(first.size(), 1u);  // 3 + 3 > 4: the second waits.
  EXPECT_EQ(first[0].id, 1u);
  EXPECT_EQ(q.TakeBatch(0)[0].id, 2u);
}

TEST(BatchQueueTest, FullQueueAndOversizeRequestsAreRejected) {
  BatchQueue q(Config(4, 100, 2));
  ASSERT_TRUE(q.Enqueue({1, 1, 0, 0}).ok());
  ASSERT_TRUE(q.Enqueue({2, 1, 0, 0}).ok());
  EXPECT_EQ(q.Enqueue({3, 1, 0, 0}).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(q.Enqueue({4, 5, 0, 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(q.size(), 2u);
}

TEST(BatchQueueTest, ExpiredRequestsAreTakenOutBeforeRunning) {
  BatchQueue q(Config(8, 1000));
  ASSERT_TRUE(q.Enqueue({1, 1, 0, 300}).ok());
  ASSERT_TRUE(q.Enqueue({2, 1, 0, 0}).ok());
  EXPECT_EQ(q.NextWakeUs(), 300);  // The deadline comes before the delay.
  EXPECT_TRUE(q.TakeExpired(299).empty());
  const auto expired = q.TakeExpired(300);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, 1u);
  EXPECT_EQ(q.size(), 1u);
}

// The threaded batcher on the real clock: concurrent callers share batches and each
// gets its own rows back.
TEST(DynamicBatcherTest, ConcurrentRequestsAreBatchedAndAnsweredCorrectly) {
  auto backend = std::make_shared<testing::FakeBackend>("fake");
  DynamicBatcher batcher(backend, Config(16, 20000));
  constexpr int kClients = 16;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < 5; ++i) {
        const int expected = (c + i) % 10;
        FloatTensor x{{1, 1, 4, 4}, std::vector<float>(16, 0.0f)};
        x.data[0] = expected / 10.0f + 0.05f;
        auto y = batcher.Infer(x);
        if (!y.ok() || y->shape != std::vector<int64_t>{1, 10} ||
            std::max_element(y->data.begin(), y->data.end()) - y->data.begin() != expected) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LT(backend->calls(), kClients * 5);  // Some requests shared a batch.
}

TEST(DynamicBatcherTest, QueueTimeoutAndBadShapeAreRejected) {
  // A slow model keeps the worker busy while a second request times out in the queue.
  auto backend =
      std::make_shared<testing::FakeBackend>("slow", 3.0f, std::chrono::milliseconds(200));
  DynamicBatcher batcher(backend, Config(1, 0));
  FloatTensor x{{1, 1, 4, 4}, std::vector<float>(16, 0.0f)};
  std::thread busy([&] { EXPECT_TRUE(batcher.Infer(x).ok()); });
  EXPECT_TRUE(testing::Eventually([&] { return backend->calls() == 1; }));
  auto late = batcher.Infer(x, /*timeout_us=*/1000);
  EXPECT_EQ(late.status().code(), StatusCode::kOverloaded);
  EXPECT_NE(late.status().message().find("timed out"), std::string::npos);
  busy.join();
  EXPECT_EQ(batcher.Infer({{1, 1, 2, 8}, std::vector<float>(16)}).status().code(),
            StatusCode::kInvalidArgument);
}

// With max batch 1, each request is its own batch: the backend holds as many at once as
// there are instances, and no more.
void ExpectConcurrentBatches(int instances) {
  auto backend = std::make_shared<testing::GatedBackend>();
  BatchingConfig config = Config(1, 0);
  config.instances = instances;
  DynamicBatcher batcher(backend, config);
  constexpr int kRequests = 4;
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int i = 0; i < kRequests; ++i) {
    threads.emplace_back([&] {
      if (batcher.Infer({{1, 1, 4, 4}, std::vector<float>(16, 0.0f)}).ok()) answered.fetch_add(1);
    });
  }
  EXPECT_TRUE(testing::Eventually([&] { return backend->entered() == instances; }));
  // The others stay queued while every instance is held (they would enter at once).
  EXPECT_FALSE(testing::Eventually([&] { return backend->entered() > instances; },
                                   std::chrono::milliseconds(50)));
  backend->Open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered.load(), kRequests);
  EXPECT_EQ(backend->entered(), kRequests);
}

TEST(DynamicBatcherTest, EachInstanceRunsOneBatchAtATime) {
  ExpectConcurrentBatches(1);
  ExpectConcurrentBatches(2);
  ExpectConcurrentBatches(3);
}

// The fake model, marking as fallbacks the rows whose first pixel is >= 0.5.
class MarkingBackend final : public InferenceBackend {
 public:
  const ModelInfo& info() const override { return fake_.info(); }
  Result<FloatTensor> Infer(const FloatTensor& input) override { return fake_.Infer(input); }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    return fake_.InferAllExits(input);
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    return fake_.RunStages(input, first, last);
  }
  Result<FloatTensor> InferWithRowSources(const FloatTensor& input,
                                          std::vector<RowSource>* rows) override {
    rows->clear();
    for (int64_t r = 0; r < input.shape[0]; ++r) {
      rows->push_back(input.row(r)[0] >= 0.5f ? RowSource::kFallback : RowSource::kHere);
    }
    return fake_.Infer(input);
  }

 private:
  testing::FakeBackend fake_;
};

// `marked` of `rows` rows have a first pixel >= 0.5.
protocol::InferRequest RowsMarking(int64_t rows, int64_t marked) {
  protocol::InferRequest request;
  request.inputs.push_back({protocol::kInputName,
                            "FP32",
                            {rows, 1, 4, 4},
                            std::vector<float>(static_cast<size_t>(rows) * 16, 0.0f),
                            {}});
  for (int64_t r = 0; r < marked; ++r) request.inputs[0].data[static_cast<size_t>(r) * 16] = 0.9f;
  return request;
}

TEST(InferenceServiceBatchingTest, EachResponseFlagsItsOwnFallbackRows) {
  InferenceService service;
  auto backend = std::make_shared<MarkingBackend>();
  ASSERT_TRUE(service.AddModel("batched", backend, Config(16, 20000)).ok());
  ASSERT_TRUE(service.AddModel("direct", backend).ok());
  for (const char* model : {"batched", "direct"}) {
    SCOPED_TRACE(model);
    // Concurrent requests may share a batch; each response counts only its own rows.
    std::vector<std::thread> threads;
    std::vector<std::map<std::string, int64_t>> parameters(4);
    std::vector<std::string> sources(4);
    std::atomic<int> failed{0};
    for (int64_t i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        auto r = service.Infer(model, "", RowsMarking(3, i));
        if (!r.ok()) failed.fetch_add(1);
        if (r.ok()) {
          parameters[static_cast<size_t>(i)] = r->parameters;
          sources[static_cast<size_t>(i)] = r->string_parameters[protocol::kRowSourcesParameter];
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failed.load(), 0);
    EXPECT_EQ(parameters[0].count(protocol::kFallbackRowsParameter), 0u) << "no fallback, no flag";
    for (int64_t i = 1; i < 4; ++i) {
      EXPECT_EQ(parameters[static_cast<size_t>(i)][protocol::kFallbackRowsParameter], i) << i;
    }
    // Who answered each row, in order.
    EXPECT_EQ(sources[0], "here,here,here");
    EXPECT_EQ(sources[2], "fallback,fallback,here");
    // A batched model also reports each request's wait in its queue.
    const bool batched = std::string(model) == "batched";
    for (const auto& p : parameters) {
      ASSERT_EQ(p.count(protocol::kQueueParameter), batched ? 1u : 0u);
      if (batched) EXPECT_GE(p.at(protocol::kQueueParameter), 0);
    }
  }
}

TEST(InferenceServiceBatchingTest, FullQueueIsResourceExhaustedThroughTheService) {
  auto backend =
      std::make_shared<testing::FakeBackend>("slow", 3.0f, std::chrono::milliseconds(100));
  InferenceService service;
  ASSERT_TRUE(service.AddModel("m", backend, Config(1, 0, 1)).ok());
  protocol::InferRequest request;
  request.inputs.push_back(
      {protocol::kInputName, "FP32", {1, 1, 4, 4}, std::vector<float>(16, 0.0f), {}});
  std::atomic<int> exhausted{0}, ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto r = service.Infer("m", "", request);
      if (r.ok()) ok.fetch_add(1);
      if (r.status().code() == StatusCode::kResourceExhausted) exhausted.fetch_add(1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(exhausted.load(), 1);
  EXPECT_EQ(ok.load() + exhausted.load(), 6);
  auto stats = service.GetModelStats("m");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->request_success, static_cast<uint64_t>(ok.load()));
  EXPECT_EQ(stats->request_failure, static_cast<uint64_t>(exhausted.load()));
  EXPECT_EQ(stats->execution_count, static_cast<uint64_t>(ok.load()));  // max batch 1
  EXPECT_EQ(stats->pending_requests, 0);
  EXPECT_NE(
      service.RenderMetrics().find("nv_inference_queue_duration_us{model=\"m\",version=\"1\"}"),
      std::string::npos);
}

}  // namespace
}  // namespace hiedge
