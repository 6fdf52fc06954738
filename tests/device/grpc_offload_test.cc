// The device's gRPC link against the real gRPC server on loopback.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"
#include "hiedge/server/grpc_server.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/fault_proxy.h"
#include "testing/gated_backend.h"

namespace hiedge {
namespace {

constexpr double kAlwaysOffload = 2.0;

std::vector<float> Image(float first_pixel) {
  std::vector<float> pixels(16, 0.0f);
  pixels[0] = first_pixel;
  return pixels;
}

// A fake-model image [1, 4, 4] as the device takes it.
TensorView View(const std::vector<float>& image) {
  return {std::span<const float>(image), {1, 4, 4}};
}

OffloadOptions GrpcOptions(int port) {
  OffloadOptions o;
  o.port = port;
  o.model = "remote";
  o.transport = "grpc";
  return o;
}

class GrpcOffloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        service_.AddModel("remote", std::make_shared<testing::FakeBackend>("remote", 9.0f)).ok());
  }
  std::unique_ptr<GrpcServer> Serve(GrpcServerOptions options) {
    auto server = std::make_unique<GrpcServer>(&service_, options);
    EXPECT_TRUE(server->Start().ok());
    return server;
  }
  InferenceService service_;
  testing::FakeBackend local_{"local"};
};

TEST_F(GrpcOffloadTest, FallsBackAtOnceWhileDownAndResumesWithinTwoSecondsOfARestart) {
  GrpcServerOptions options;
  options.port = 0;
  auto server = Serve(options);
  const int port = server->port();
  auto client = MakeOffloadClient(GrpcOptions(port));
  DeviceRuntime device(
      &local_, client.get(),
      {OffloadPolicy::MaxSoftmax(kAlwaysOffload), std::chrono::milliseconds(2000)});
  auto up = device.Process(View(Image(0.65f)));
  ASSERT_TRUE(up.ok());
  EXPECT_FALSE(up->fallback) << up->offload_error;
  EXPECT_EQ(up->remote_prediction, 6);

  server->Stop(0);
  for (int i = 0; i < 3; ++i) {
    auto down = device.Process(View(Image(0.45f)));
    ASSERT_TRUE(down.ok());
    EXPECT_TRUE(down->fallback);
    EXPECT_EQ(down->final_prediction, 4);
    EXPECT_LT(down->offload_ms, 1000) << "a dead server must not eat the 2 s deadline";
  }

  options.port = port;
  server = Serve(options);
  const auto restarted = std::chrono::steady_clock::now();
  bool resumed = false;
  while (!resumed && std::chrono::steady_clock::now() - restarted < std::chrono::seconds(3)) {
    auto r = device.Process(View(Image(0.15f)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->final_prediction, 1);
    resumed = !r->fallback;
    if (!resumed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - restarted).count();
  EXPECT_TRUE(resumed);
  EXPECT_LT(seconds, 2.0);
}

TEST_F(GrpcOffloadTest, CarriesTheTokenAndSpeaksTls) {
  GrpcServerOptions options;
  options.port = 0;
  options.bearer_token = "t0ken";
  options.tls_cert_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.crt";
  options.tls_key_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.key";
  auto server = Serve(options);
  OffloadOptions o = GrpcOptions(server->port());
  o.host = "localhost";
  o.tls_root_cert_file = options.tls_cert_file;
  auto anonymous = MakeOffloadClient(o);
  auto denied = anonymous->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.35f)}, std::chrono::seconds(2));
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.status().message().find("bearer"), std::string::npos)
      << denied.status().message();
  o.bearer_token = "t0ken";
  auto authorised = MakeOffloadClient(o);
  auto ok = authorised->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.35f)}, std::chrono::seconds(2));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(std::max_element(ok->data.begin(), ok->data.end()) - ok->data.begin(), 3);

  o.tls_root_cert_file = "/nonexistent/root.pem";
  auto broken = MakeOffloadClient(o);
  EXPECT_EQ(broken->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.35f)}, std::chrono::seconds(1))
                .status()
                .code(),
            StatusCode::kUnavailable);
}

TEST_F(GrpcOffloadTest, ShedLoadIsRetriedThenFallsBackWithinTheDeadline) {
  // One execution at a time, one queued request at most: held by a gate, two requests
  // fill the server, and the next is shed with UNAVAILABLE, which the client retries.
  InferenceService busy;
  BatchingConfig batching;
  batching.max_batch_size = 1;
  batching.max_queue_size = 1;
  auto gated = std::make_shared<testing::GatedBackend>();
  ASSERT_TRUE(busy.AddModel("remote", gated, batching).ok());
  GrpcServerOptions options;
  options.port = 0;
  GrpcServer server(&busy, options);
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::thread> fillers;
  for (int i = 0; i < 2; ++i) {
    fillers.emplace_back([&] {
      auto c = MakeOffloadClient(GrpcOptions(server.port()));
      (void)c->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.5f)}, std::chrono::seconds(10));
    });
  }
  ASSERT_TRUE(testing::Eventually([&] {
    return gated->entered() == 1 && busy.GetModelStats("remote")->pending_requests == 2;
  }));
  OffloadOptions o = GrpcOptions(server.port());
  o.max_retries = 1;
  auto client = MakeOffloadClient(o);
  const auto start = std::chrono::steady_clock::now();
  auto r = client->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.5f)}, std::chrono::milliseconds(100));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok());
  EXPECT_GE(busy.GetModelStats("remote")->request_failure, 1u) << "the server shed it";
  EXPECT_LT(took, std::chrono::seconds(2)) << "bounded by the deadline, not the held requests";
  gated->Open();
  for (auto& t : fillers) t.join();
}

// A server that is not there: a refused connection falls back at once, every time,
// never after the deadline (device.h's promise), before any answer was ever received.
TEST_F(GrpcOffloadTest, ClosedPortFallsBackAtOnceForEverySample) {
  int closed_port = 0;
  {
    GrpcServerOptions options;
    options.port = 0;
    auto probe = Serve(options);
    closed_port = probe->port();
    probe->Stop(0);
  }
  auto client = MakeOffloadClient(GrpcOptions(closed_port));
  DeviceRuntime device(&local_, client.get(),
                       {OffloadPolicy::MaxSoftmax(kAlwaysOffload), std::chrono::milliseconds(500)});
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    auto r = device.Process(View(Image(0.45f)));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->fallback);
    EXPECT_EQ(r->final_prediction, 4);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0) << "200 samples against a closed port; a deadline each would be 100 s";
}

// A connection closed during the handshake is not an absent server: the call is retried,
// waiting for the channel's reconnect, and answered within its deadline (64 clients
// connecting at once lost a client's requests to one such connect before).
TEST_F(GrpcOffloadTest, AConnectionClosedDuringTheHandshakeIsRetriedNotFallenBackOn) {
  GrpcServerOptions options;
  options.port = 0;
  auto server = Serve(options);
  testing::FaultProxy proxy(server->port());
  proxy.set_mode(testing::FaultProxy::Mode::kDrop);
  auto client = MakeOffloadClient(GrpcOptions(proxy.port()));
  Result<FloatTensor> answer = Status::Internal("not run");
  std::thread call([&] {
    answer = client->Infer(FloatTensor{{1, 1, 4, 4}, Image(0.5f)}, std::chrono::seconds(10));
  });
  EXPECT_TRUE(testing::Eventually([&] { return proxy.dropped() >= 1; }));
  proxy.set_mode(testing::FaultProxy::Mode::kForward);
  call.join();
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->shape, (std::vector<int64_t>{1, 10}));
}

// Linking a target registers what it offers: no code in the tests calls
// RegisterGrpcOffloadTransport, RegisterTorchBackends or RegisterCascadeBackend; this
// binary links hiedge_device_grpc, hiedge_torch and hiedge_cascade (their self_register.cc).
TEST(SelfRegistrationTest, LinkedTargetsRegisterTheirTransportsAndBackends) {
  EXPECT_TRUE(OffloadTransportAvailable("grpc"));
  std::vector<std::string> formats;
  for (const BackendInfo& info : RegisteredBackends()) formats.push_back(info.format);
  for (const char* format : {"hiedge", "torchscript", "cascade", "onnx"}) {
    EXPECT_NE(std::find(formats.begin(), formats.end(), format), formats.end()) << format;
  }
}

}  // namespace
}  // namespace hiedge
