// The device link through a fault-injecting proxy: deadlines hold on a slow or stalled
// link, dropped connections fall back, and offloading resumes when the link heals.
#include <gtest/gtest.h>

#include "hiedge/decision.h"
#include "hiedge/device.h"
#include "hiedge/http_server.h"
#include "testing/fake_backend.h"
#include "testing/fault_proxy.h"

namespace hiedge {
namespace {

using std::chrono::milliseconds;

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(service_.AddModel("remote", std::make_shared<testing::FakeBackend>("remote", 9.0f)).ok());
    server_ = std::make_unique<HttpServer>(&service_, HttpServerOptions{"127.0.0.1", 0});
    ASSERT_TRUE(server_->Start().ok());
    proxy_ = std::make_unique<testing::FaultProxy>(server_->port());
    client_ = MakeOffloadClient({"127.0.0.1", proxy_->port(), "remote", true});
  }
  void TearDown() override {
    client_.reset();
    proxy_.reset();
    server_->Stop();
  }

  Result<SampleRecord> Process(milliseconds deadline) {
    DeviceRuntime device(&local_, client_.get(), {kAlwaysOffload, deadline});
    std::vector<float> image(16, 0.0f);
    image[0] = 0.45f;
    return device.Process(image.data());
  }

  testing::FakeBackend local_{"local"};
  InferenceService service_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<testing::FaultProxy> proxy_;
  std::unique_ptr<OffloadClient> client_;
};

TEST_F(FaultTest, HealthyLinkOffloads) {
  auto r = Process(milliseconds(2000));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fallback) << r->offload_error;
  EXPECT_EQ(r->remote_prediction, 4);
}

TEST_F(FaultTest, SlowLinkDeadlineHolds) {
  proxy_->set_delay(milliseconds(400));
  auto r = Process(milliseconds(100));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fallback);
  EXPECT_EQ(r->final_prediction, 4);  // The local answer.
  EXPECT_LT(r->offload_ms, 350.0);    // Bounded by the deadline, not the link.
}

TEST_F(FaultTest, BandwidthCapSlowsButDelivers) {
  proxy_->set_bandwidth(20000);  // 20 kB/s: a ~0.5 kB request and answer take tens of ms.
  auto r = Process(milliseconds(3000));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fallback) << r->offload_error;
  EXPECT_GT(r->offload_ms, 10.0);
}

TEST_F(FaultTest, StalledAndDroppedConnectionsFallBackThenRecover) {
  proxy_->set_mode(testing::FaultProxy::Mode::kStall);
  auto stalled = Process(milliseconds(150));
  ASSERT_TRUE(stalled.ok());
  EXPECT_TRUE(stalled->fallback);
  EXPECT_LT(stalled->offload_ms, 400.0);
  client_ = MakeOffloadClient({"127.0.0.1", proxy_->port(), "remote", true});
  proxy_->set_mode(testing::FaultProxy::Mode::kDrop);
  auto dropped = Process(milliseconds(300));
  ASSERT_TRUE(dropped.ok());
  EXPECT_TRUE(dropped->fallback);
  proxy_->set_mode(testing::FaultProxy::Mode::kForward);
  auto healed = Process(milliseconds(2000));
  ASSERT_TRUE(healed.ok());
  EXPECT_FALSE(healed->fallback) << healed->offload_error;
}

}  // namespace
}  // namespace hiedge
