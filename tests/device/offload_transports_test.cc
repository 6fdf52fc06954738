#include <gtest/gtest.h>

#include <algorithm>

#include "hiedge/device/device.h"

namespace hiedge {
namespace {

// A transport that answers every request with one row of zeros per image.
class ZerosClient final : public OffloadClient {
 public:
  explicit ZerosClient(int classes) : classes_(classes) {}
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    const int64_t rows = images.shape.empty() ? 0 : images.shape[0];
    return FloatTensor{{rows, classes_}, std::vector<float>(static_cast<size_t>(rows * classes_))};
  }

 private:
  int64_t classes_;
};

TEST(OffloadTransportsTest, ANewTransportIsOneRegistrationByName) {
  ASSERT_TRUE(RegisterOffloadTransport("zeros-test", [](const OffloadOptions&) {
                return std::unique_ptr<OffloadClient>(std::make_unique<ZerosClient>(3));
              }).ok());
  EXPECT_TRUE(OffloadTransportAvailable("zeros-test"));
  const std::vector<std::string> names = RegisteredOffloadTransports();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "rest"), names.end());  // Built in.
  EXPECT_NE(std::find(names.begin(), names.end(), "zeros-test"), names.end());
  ASSERT_TRUE(ParseTransport("zeros-test").ok());

  OffloadOptions options;
  options.transport = "zeros-test";
  auto client = MakeOffloadClient(options);
  auto logits = client->Infer({{2, 1, 2, 2}, std::vector<float>(8)}, std::chrono::seconds(1));
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->shape, (std::vector<int64_t>{2, 3}));
}

TEST(OffloadTransportsTest, UnknownAndMalformedTransportsAreClearErrors) {
  const auto unknown = ParseTransport("carrier-pigeon");
  ASSERT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("unknown transport 'carrier-pigeon'"),
            std::string::npos);
  EXPECT_NE(unknown.status().message().find("rest"), std::string::npos);  // Names the known.

  OffloadOptions options;
  options.transport = "carrier-pigeon";
  const auto answer =
      MakeOffloadClient(options)->Infer({{1, 1}, {0.5f}}, std::chrono::milliseconds(10));
  EXPECT_EQ(answer.status().code(), StatusCode::kFailedPrecondition);

  const auto factory = [](const OffloadOptions&) {
    return std::unique_ptr<OffloadClient>(std::make_unique<ZerosClient>(1));
  };
  for (const char* bad : {"", "Grpc", "has space", "a/b", "abcdefghijklmnopqrstuvwxyz0123456"}) {
    EXPECT_EQ(RegisterOffloadTransport(bad, factory).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(RegisterOffloadTransport("nofactory", nullptr).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(OffloadTransportAvailable("nofactory"));
}

// The other half of self-registration (SelfRegistrationTest in device_test): this
// binary links hiedge_device alone, so "grpc" is not there, and asking for it says why.
TEST(OffloadTransportsTest, ABinaryWithoutTheGrpcTargetHasNoGrpcTransport) {
  EXPECT_FALSE(OffloadTransportAvailable("grpc"));
  const auto parsed = ParseTransport("grpc");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("link hiedge_device_grpc"), std::string::npos)
      << parsed.status().message();
}

}  // namespace
}  // namespace hiedge
