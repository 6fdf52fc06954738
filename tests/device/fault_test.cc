// The device link through a fault-injecting proxy, over REST and over gRPC: deadlines
// hold on a slow or stalled link, dropped connections fall back, and offloading
// resumes when the link heals.
#include <gtest/gtest.h>

#include <thread>

#include "hiedge/server/batching.h"
#include "hiedge/decision/decision.h"
#include "hiedge/device/device.h"
#include "testing/both_servers.h"
#include "testing/fake_backend.h"
#include "testing/fault_proxy.h"

namespace hiedge {
namespace {

using std::chrono::milliseconds;

class FaultTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        service_.AddModel("remote", std::make_shared<testing::FakeBackend>("remote", 9.0f)).ok());
    servers_ = std::make_unique<testing::BothServers>(&service_);
    ASSERT_TRUE(servers_->ok());
    proxy_ = std::make_unique<testing::FaultProxy>(servers_->port(GetParam()));
    client_ = MakeClient();
  }
  void TearDown() override {
    client_.reset();
    proxy_.reset();
    servers_.reset();
  }
  std::unique_ptr<OffloadClient> MakeClient() {
    OffloadOptions o = servers_->Link(GetParam(), "remote");
    o.port = proxy_->port();
    return MakeOffloadClient(o);
  }

  Result<SampleRecord> Process(milliseconds deadline) {
    DeviceRuntime device(&local_, client_.get(),
                         {OffloadPolicy::MaxSoftmax(kAlwaysOffload), deadline});
    std::vector<float> image(16, 0.0f);
    image[0] = 0.45f;
    return device.Process(TensorView{std::span<const float>(image), {1, 4, 4}});
  }

  testing::FakeBackend local_{"local"};
  InferenceService service_;
  std::unique_ptr<testing::BothServers> servers_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<OffloadClient> client_;
};

TEST_P(FaultTest, HealthyLinkOffloads) {
  auto r = Process(milliseconds(2000));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fallback) << r->offload_error;
  EXPECT_EQ(r->remote_prediction, 4);
}

TEST_P(FaultTest, SlowLinkDeadlineHolds) {
  proxy_->set_delay(milliseconds(400));
  auto r = Process(milliseconds(100));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fallback);
  EXPECT_EQ(r->final_prediction, 4);  // The local answer.
  // Bounded by the deadline, not the link: the link alone takes 800 ms there and back.
  EXPECT_LT(r->offload_ms, 800.0);
}

TEST_P(FaultTest, BandwidthCapSlowsButDelivers) {
  proxy_->set_bandwidth(20000);  // 20 kB/s: a ~0.5 kB request and answer take tens of ms.
  auto r = Process(milliseconds(3000));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fallback) << r->offload_error;
  EXPECT_GT(r->offload_ms, 10.0);
}

TEST_P(FaultTest, StalledAndDroppedConnectionsFallBackThenRecover) {
  proxy_->set_mode(testing::FaultProxy::Mode::kStall);
  auto stalled = Process(milliseconds(150));
  ASSERT_TRUE(stalled.ok());
  EXPECT_TRUE(stalled->fallback);
  EXPECT_LT(stalled->offload_ms, 2000.0);  // A stalled link never answers.
  client_ = MakeClient();
  proxy_->set_mode(testing::FaultProxy::Mode::kDrop);
  auto dropped = Process(milliseconds(300));
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(dropped->fallback);
  proxy_->set_mode(testing::FaultProxy::Mode::kForward);
  // REST reconnects on the next request; a gRPC channel after a failed connect waits
  // out its reconnect backoff (100-500 ms), answering locally meanwhile.
  const auto healed_at = std::chrono::steady_clock::now();
  bool recovered = false;
  while (!recovered && std::chrono::steady_clock::now() - healed_at < std::chrono::seconds(2)) {
    auto r = Process(milliseconds(2000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->final_prediction, 4);
    recovered = !r->fallback;
    if (!recovered) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(recovered) << "offloading did not resume within 2 s of the link healing";
}

// Over either transport, a batched hiedge model's answer carries its queue wait,
// which the client reports (the selector's input); a model without a queue reports none.
TEST_P(FaultTest, ClientsReportTheServersQueueWait) {
  InferenceService service;
  BatchingConfig batching;
  batching.max_batch_size = 8;
  batching.max_queue_delay_us = 100;
  ASSERT_TRUE(service.AddModel("batched", std::make_shared<testing::FakeBackend>(), batching).ok());
  ASSERT_TRUE(service.AddModel("direct", std::make_shared<testing::FakeBackend>()).ok());
  testing::BothServers servers(&service);
  ASSERT_TRUE(servers.ok());
  const FloatTensor image{{1, 1, 4, 4}, std::vector<float>(16, 0.25f)};
  ServerReport report;
  auto batched = servers.Client(GetParam(), "batched")
                     ->InferReporting(image, std::chrono::seconds(5), &report);
  ASSERT_TRUE(batched.ok()) << batched.status().ToString();
  EXPECT_GE(report.queue_us, 0);
  EXPECT_EQ(report.fallback_rows, 0);
  auto direct =
      servers.Client(GetParam(), "direct")->InferReporting(image, std::chrono::seconds(5), &report);
  ASSERT_TRUE(direct.ok()) << direct.status().ToString();
  EXPECT_EQ(report.queue_us, -1);
}

INSTANTIATE_TEST_SUITE_P(Transports, FaultTest,
                         ::testing::Values(std::string("rest"), std::string("grpc")),
                         testing::TransportTestName<::testing::TestParamInfo<std::string>>);

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

// A server as the device sees it, scripted: every call fails with `failure` (or answers
// class 4) after `round_trip_us` on the shared fake clock; calls are counted.
class ScriptedServer final : public OffloadClient {
 public:
  ScriptedServer(std::shared_ptr<int64_t> now_us, int64_t round_trip_us)
      : now_us_(std::move(now_us)), round_trip_us_(round_trip_us) {}
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    ++calls;
    *now_us_ += round_trip_us_;
    if (!failure.ok()) return failure;
    FloatTensor out{{images.shape[0], 10},
                    std::vector<float>(static_cast<size_t>(images.shape[0]) * 10)};
    for (int64_t r = 0; r < images.shape[0]; ++r) out.data[r * 10 + 4] = 5.0f;
    return out;
  }
  Status failure;
  int calls = 0;

 private:
  std::shared_ptr<int64_t> now_us_;
  int64_t round_trip_us_;
};

DeviceOptions AlwaysOffloadWithBreaker() {
  DeviceOptions options{OffloadPolicy::MaxSoftmax(kAlwaysOffload), milliseconds(500)};
  options.breaker = {
      .failures_to_open = 3, .cooldown_us = 1'000'000, .max_cooldown_us = 30'000'000};
  return options;
}

struct BreakerRig {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(0);
  ScriptedServer server{now, 500'000};  // A hung server: each failure costs the deadline.
  testing::FakeBackend local{"local"};
  DeviceRuntime device{&local, &server, AlwaysOffloadWithBreaker(), [now = now] { return *now; }};
  SampleRecord Next() {
    std::vector<float> image(16, 0.0f);
    auto r = device.Process(TensorView{std::span<const float>(image), {1, 4, 4}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : SampleRecord{};
  }
};

// A hung server: after 3 timeouts in a row the breaker opens and offloads fall back at
// once (no call, no wait); after the cool-down one probe goes out; a failed probe
// doubles the cool-down, a good one closes the circuit.
TEST(CircuitBreakerDeviceTest, AHungServerFallsBackAtOnceUntilAProbeGetsThrough) {
  BreakerRig rig;
  rig.server.failure = Status::DeadlineExceeded("deadline passed");
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rig.Next().fallback);
  EXPECT_EQ(rig.server.calls, 3);
  EXPECT_TRUE(rig.device.breaker().open());
  const int64_t before = *rig.now;
  for (int i = 0; i < 20; ++i) {
    const SampleRecord r = rig.Next();
    EXPECT_TRUE(r.fallback);
    EXPECT_NE(r.offload_error.find("circuit open"), std::string::npos) << r.offload_error;
  }
  EXPECT_EQ(rig.server.calls, 3) << "an open circuit sends nothing";
  EXPECT_EQ(*rig.now, before) << "and waits for nothing";
  *rig.now += 1'000'000;  // The first cool-down (1 s): one probe, which fails.
  rig.Next();
  EXPECT_EQ(rig.server.calls, 4);
  *rig.now += 1'000'000;  // Not yet: the cool-down doubled to 2 s.
  rig.Next();
  EXPECT_EQ(rig.server.calls, 4);
  rig.server.failure = Status::Ok();
  *rig.now += 1'000'000;
  EXPECT_FALSE(rig.Next().fallback) << "the probe got through";
  EXPECT_FALSE(rig.device.breaker().open());
  EXPECT_FALSE(rig.Next().fallback);
  EXPECT_EQ(rig.server.calls, 6);
}

// A refused token is permanent: one request, then offloading stops for good.
TEST(CircuitBreakerDeviceTest, RefusedCredentialsStopOffloadingAfterOneRequest) {
  BreakerRig rig;
  rig.server.failure = Status::Unauthenticated("401: bad token");
  for (int i = 0; i < 10; ++i) {
    const SampleRecord r = rig.Next();
    EXPECT_TRUE(r.fallback);
    EXPECT_NE(r.offload_error.find("offloading stopped"), std::string::npos) << r.offload_error;
  }
  EXPECT_EQ(rig.server.calls, 1);
  EXPECT_EQ(rig.device.offload_stopped().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

// Load-aware offloading on the device: a slow server raises β with its smoothed round
// trip, θ is re-chosen on the config's cost curve and the device offloads less; idle,
// the estimate decays and it offloads again (the cascade tier's mechanism, shared).
TEST(LoadAwareDeviceTest, ASlowServerLowersThetaAndARecoveredOneRaisesItAgain) {
  DecisionConfig config;
  config.theta = 0.8;
  config.offload_cost = 0.05;
  config.cost_curve = {{0.0, 0.0, 0.20}, {0.5, 0.2, 0.10}, {0.8, 0.5, 0.07}, {2.0, 1.0, 0.06}};
  auto now = std::make_shared<int64_t>(0);
  ScriptedServer server(now, 30'000);         // 30 ms per offload.
  testing::FakeBackend local("local", 3.0f);  // Max softmax 0.69 on every sample.
  DeviceOptions options{OffloadPolicy::MaxSoftmax(0.8), milliseconds(500)};
  options.offload_cost_per_ms = 0.01;
  options.cost_curve = config;
  DeviceRuntime device(&local, &server, options, [now] { return *now; });
  std::vector<float> image(16, 0.0f);
  auto next = [&] {
    auto r = device.Process(TensorView{std::span<const float>(image), {1, 4, 4}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : SampleRecord{};
  };
  EXPECT_TRUE(next().offloaded) << "β 0.05: θ 0.8";
  // 30 ms smoothed by 0.2 from 0: 6 ms, β 0.11: θ 0.5, so the 0.69-sure samples stay.
  EXPECT_FALSE(next().offloaded);
  EXPECT_FALSE(next().offloaded);
  EXPECT_EQ(server.calls, 1);
  *now += 10'000'000;  // Ten idle seconds: the estimate halves every second.
  EXPECT_TRUE(next().offloaded) << "recovered: θ back at 0.8";
  // Off (no per-ms price): θ stays the config's whatever the round trips.
  DeviceOptions fixed{OffloadPolicy::MaxSoftmax(0.8), milliseconds(500)};
  fixed.cost_curve = config;
  DeviceRuntime steady(&local, &server, fixed, [now] { return *now; });
  for (int i = 0; i < 3; ++i) {
    auto r = steady.Process(TensorView{std::span<const float>(image), {1, 4, 4}});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->offloaded);
  }
}

}  // namespace
}  // namespace hiedge
