// Server-set thresholds on the device: the price a server reports moves θ on the
// decision config's cost curve, decays without news, nonsense prices are ignored and
// counted, and a refusal falls back at once without opening the breaker.
#include <gtest/gtest.h>

#include <memory>

#include "device/offload_link.h"
#include "hiedge/device/device.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

using std::chrono::milliseconds;

// Answers class 4 after 1 ms with `price_ppm` (or a malformed price), or refuses.
class PricedServer final : public OffloadClient {
 public:
  explicit PricedServer(std::shared_ptr<int64_t> now_us) : now_us_(std::move(now_us)) {}
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds d) override {
    ServerReport ignored;
    return InferReporting(images, d, &ignored);
  }
  Result<FloatTensor> InferReporting(const FloatTensor& images, std::chrono::microseconds,
                                     ServerReport* report) override {
    ++calls;
    *now_us_ += 1000;
    *report = {};
    report->price_ppm = price_ppm;
    report->malformed_price = malformed;
    if (refuse) return Status::Overloaded("over the latency objective");
    FloatTensor out{{images.shape[0], 10},
                    std::vector<float>(static_cast<size_t>(images.shape[0]) * 10)};
    for (int64_t r = 0; r < images.shape[0]; ++r) out.data[r * 10 + 4] = 5.0f;
    return out;
  }
  int64_t price_ppm = -1;
  bool malformed = false;
  bool refuse = false;
  int calls = 0;

 private:
  std::shared_ptr<int64_t> now_us_;
};

DecisionConfig Curve() {
  DecisionConfig config;
  config.theta = 0.8;
  config.offload_cost = 0.05;
  config.cost_curve = {{0.0, 0.0, 0.20}, {0.5, 0.2, 0.10}, {0.8, 0.5, 0.07}, {2.0, 1.0, 0.06}};
  return config;
}

struct PriceRig {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(0);
  PricedServer server{now};
  testing::FakeBackend local{"local", 3.0f};  // Max softmax 0.69 on every sample.
  std::unique_ptr<DeviceRuntime> device;
  explicit PriceRig(bool follow) {
    DeviceOptions options{OffloadPolicy::MaxSoftmax(0.8), milliseconds(500)};
    options.cost_curve = Curve();
    options.follow_server_price = follow;
    device = std::make_unique<DeviceRuntime>(&local, &server, options, [now = now] { return *now; });
  }
  SampleRecord Next() {
    std::vector<float> image(16, 0.0f);
    auto r = device->Process(TensorView{std::span<const float>(image), {1, 4, 4}});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : SampleRecord{};
  }
};

TEST(ServerPriceDeviceTest, APriceRaisesBetaAndThetaFollowsTheCurve) {
  PriceRig rig(/*follow=*/true);
  rig.server.price_ppm = 100'000;  // β 0.05 + 0.1: θ 0.5 keeps the 0.69-sure samples.
  EXPECT_TRUE(rig.Next().offloaded) << "no price known yet";
  EXPECT_NEAR(rig.device->offload_beta(), 0.15, 1e-3);
  EXPECT_FALSE(rig.Next().offloaded);
  EXPECT_FALSE(rig.Next().offloaded);
  EXPECT_EQ(rig.server.calls, 1);
  // Without news the price halves every second: after 10 s the device probes again.
  *rig.now += 10'000'000;
  rig.server.price_ppm = 0;
  EXPECT_TRUE(rig.Next().offloaded);
  EXPECT_NEAR(rig.device->offload_beta(), 0.05, 1e-9);
  EXPECT_TRUE(rig.Next().offloaded);
}

TEST(ServerPriceDeviceTest, ADeviceNotFollowingIgnoresThePrice) {
  PriceRig rig(/*follow=*/false);
  rig.server.price_ppm = 1'000'000;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rig.Next().offloaded);
  EXPECT_NEAR(rig.device->offload_beta(), 0.05, 1e-9);
}

TEST(ServerPriceDeviceTest, NonsensePricesAreIgnoredAndCounted) {
  PriceRig rig(/*follow=*/true);
  rig.server.malformed = true;  // What the clients report for negative, huge or text.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(rig.Next().offloaded);
  EXPECT_EQ(rig.device->ignored_prices(), 3u);
  EXPECT_NEAR(rig.device->offload_beta(), 0.05, 1e-9);
}

TEST(ServerPriceDeviceTest, ARefusalFallsBackAtOnceAndNeverOpensTheBreaker) {
  PriceRig rig(/*follow=*/true);
  rig.server.refuse = true;
  rig.server.price_ppm = 0;  // Refused, price still 0: θ stays, every sample tries.
  for (int i = 0; i < 10; ++i) {
    const SampleRecord r = rig.Next();
    EXPECT_TRUE(r.fallback);
    EXPECT_EQ(r.offload_error.rfind("OVERLOADED", 0), 0u) << r.offload_error;
    EXPECT_LT(r.offload_ms, 2.0) << "no wait for the deadline";
  }
  EXPECT_EQ(rig.server.calls, 10);
  EXPECT_FALSE(rig.device->breaker().open());
}

// The clients' reading of the price from answers and refusals.
TEST(ServerPriceParsingTest, OnlyIntegersInRangeAreTaken) {
  auto read = [](protocol::InferResponse response) {
    ServerReport report;
    internal::ReadPrice(response, &report);
    return report;
  };
  protocol::InferResponse r;
  EXPECT_EQ(read(r).price_ppm, -1);
  EXPECT_FALSE(read(r).malformed_price);
  r.parameters[protocol::kOffloadPriceParameter] = 250'000;
  EXPECT_EQ(read(r).price_ppm, 250'000);
  for (int64_t bad : {int64_t{-1}, kMaxOffloadPricePpm + 1, INT64_MAX}) {
    r.parameters[protocol::kOffloadPriceParameter] = bad;
    EXPECT_TRUE(read(r).malformed_price) << bad;
    EXPECT_EQ(read(r).price_ppm, -1) << bad;
  }
  protocol::InferResponse text;
  text.string_parameters[protocol::kOffloadPriceParameter] = "NaN";
  EXPECT_TRUE(read(text).malformed_price);
  for (const char* bad : {"", "-5", "1e6", "NaN", "99999999999", "12x"}) {
    ServerReport report;
    internal::ReadPrice(std::string_view(bad), &report);
    EXPECT_TRUE(report.malformed_price) << bad;
    EXPECT_EQ(report.price_ppm, -1) << bad;
  }
  ServerReport good;
  internal::ReadPrice(std::string_view("1500000"), &good);
  EXPECT_EQ(good.price_ppm, 1'500'000);
}

}  // namespace
}  // namespace hiedge
