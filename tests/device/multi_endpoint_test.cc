#include <gtest/gtest.h>

#include "hiedge/device/device.h"
#include "hiedge/decision/endpoint_selector.h"

namespace hiedge {
namespace {

// A scripted endpoint on a shared fake clock: each call advances time by its latency
// and answers with its id as the only logit, or fails when `down`.
struct FakeEndpoint final : OffloadClient {
  FakeEndpoint(int id, int64_t* clock, int64_t latency_us)
      : id(id), clock(clock), latency_us(latency_us) {}
  Result<FloatTensor> Infer(const FloatTensor&, std::chrono::microseconds deadline) override {
    ++calls;
    if (down) {
      *clock += 50;
      return Status::Unavailable("endpoint " + std::to_string(id) + " down");
    }
    if (latency_us > deadline.count()) {
      *clock += deadline.count();
      return Status::DeadlineExceeded("too slow");
    }
    *clock += latency_us;
    return FloatTensor{{1, 1}, {static_cast<float>(id)}};
  }
  // With `reports_queue`, the server says how much of its latency beyond 1 ms was
  // queueing, as a batched hiedge model does.
  Result<FloatTensor> InferReporting(const FloatTensor& images, std::chrono::microseconds deadline,
                                     ServerReport* report) override {
    *report = {};
    auto out = Infer(images, deadline);
    if (out.ok() && reports_queue) report->queue_us = std::max<int64_t>(0, latency_us - 1000);
    return out;
  }
  int id;
  int64_t* clock;
  int64_t latency_us;
  bool down = false;
  bool reports_queue = false;
  int calls = 0;
};

class MultiEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<OffloadClient>> endpoints;
    for (int i = 0; i < 3; ++i) {
      auto e = std::make_unique<FakeEndpoint>(i, &now_, std::vector<int64_t>{4000, 1000, 2500}[i]);
      fakes_.push_back(e.get());
      endpoints.push_back(std::move(e));
    }
    client_ = MakeMultiEndpointClient(std::move(endpoints), {0.3, 10000000, 200000},
                                      [this] { return now_; });
  }
  int Send(std::chrono::microseconds deadline = std::chrono::milliseconds(50)) {
    auto r = client_->Infer(FloatTensor{{1, 1}, {0}}, deadline);
    return r.ok() ? static_cast<int>(r->data[0]) : -1;
  }

  int64_t now_ = 0;
  std::vector<FakeEndpoint*> fakes_;
  std::unique_ptr<OffloadClient> client_;
};

TEST_F(MultiEndpointTest, SettlesOnTheFastestServer) {
  for (int i = 0; i < 3; ++i) Send();  // One measurement each.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(Send(), 1);
  EXPECT_EQ(fakes_[1]->calls, 21);
}

TEST_F(MultiEndpointTest, FailsOverWithinTheRequestAndAvoidsTheDeadServer) {
  for (int i = 0; i < 3; ++i) Send();
  fakes_[1]->down = true;
  EXPECT_EQ(Send(), 2) << "the failed request went on to the next-best server";
  EXPECT_EQ(Send(), 2);
  EXPECT_EQ(fakes_[1]->calls, 2) << "no second try during the cooldown";
  fakes_[1]->down = false;
  now_ += 300000;
  EXPECT_EQ(Send(), 1) << "after the cooldown the fast server is back";
}

TEST_F(MultiEndpointTest, AllDownFailsWithinTheDeadline) {
  for (FakeEndpoint* f : fakes_) f->down = true;
  const int64_t start = now_;
  EXPECT_EQ(Send(), -1);
  EXPECT_LE(now_ - start, 50000);
  for (FakeEndpoint* f : fakes_) EXPECT_EQ(f->calls, 1) << "each endpoint tried once";
}

TEST_F(MultiEndpointTest, QueueingAtTheFavouriteMovesTrafficAway) {
  for (int i = 0; i < 3; ++i) Send();
  fakes_[1]->latency_us = 8000;  // Server 1's queue builds up.
  int moved_at = -1;
  for (int i = 0; i < 20 && moved_at < 0; ++i) {
    if (Send() != 1) moved_at = i;
  }
  EXPECT_GE(moved_at, 1);
  EXPECT_EQ(Send(), 2);
}

// A queue of 2 ms at the favourite: smoothed round trips alone take a few requests to
// notice (1.6, 2.0, 2.3 ms < 2.5 ms of server 2); the reported queue moves traffic at
// the next request.
int RequestsUntilTrafficMoves(bool reports_queue) {
  int64_t now = 0;
  std::vector<FakeEndpoint*> fakes;
  std::vector<std::unique_ptr<OffloadClient>> endpoints;
  for (int i = 0; i < 3; ++i) {
    auto e = std::make_unique<FakeEndpoint>(i, &now, std::vector<int64_t>{4000, 1000, 2500}[i]);
    e->reports_queue = reports_queue;
    fakes.push_back(e.get());
    endpoints.push_back(std::move(e));
  }
  auto client = MakeMultiEndpointClient(std::move(endpoints), {0.3, 10000000, 200000},
                                        [&now] { return now; });
  auto send = [&] {
    auto r = client->Infer(FloatTensor{{1, 1}, {0}}, std::chrono::milliseconds(50));
    return r.ok() ? static_cast<int>(r->data[0]) : -1;
  };
  for (int i = 0; i < 3; ++i) send();
  fakes[1]->latency_us = 3000;
  for (int i = 0; i < 20; ++i) {
    if (send() != 1) return i;
  }
  return -1;
}

TEST(MultiEndpointQueueTest, AReportedQueueMovesTrafficBeforeRoundTripsShowIt) {
  EXPECT_EQ(RequestsUntilTrafficMoves(/*reports_queue=*/true), 1);
  EXPECT_GE(RequestsUntilTrafficMoves(/*reports_queue=*/false), 3);
}

}  // namespace
}  // namespace hiedge
