#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>

#include "hiedge/decision/decision.h"
#include "hiedge/device/device.h"
#include "hiedge/server/http_server.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/gated_backend.h"

namespace hiedge {
namespace {

// Answers with a fixed class, or fails with a given status.
class ScriptedClient final : public OffloadClient {
 public:
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    ++calls;
    if (!fail_with.ok()) return fail_with;
    FloatTensor logits{{images.rows(), 10},
                       std::vector<float>(static_cast<size_t>(images.rows()) * 10, 0)};
    logits.data[static_cast<size_t>(answer)] = 5;
    return logits;
  }
  int answer = 8;
  Status fail_with;
  int calls = 0;
};

std::vector<float> Image(float first_pixel) {
  std::vector<float> image(16, 0.0f);
  image[0] = first_pixel;
  return image;
}

// A fake-model image [1, 4, 4] as the device takes it.
TensorView View(const std::vector<float>& image) {
  return {std::span<const float>(image), {1, 4, 4}};
}

// FakeBackend's confidence: e^3 / (e^3 + 9).
const double kFakeConfidence = std::exp(3.0) / (std::exp(3.0) + 9);

TEST(DeviceRuntimeTest, SamplesOfAnotherShapeAreRejectedNotTruncated) {
  testing::FakeBackend local;
  ScriptedClient remote;
  DeviceRuntime device(&local, &remote,
                       {OffloadPolicy::MaxSoftmax(2.0)});  // Would offload everything.
  const std::vector<float> big(3 * 32 * 32, 0.5f);
  auto wrong_shape = device.Process(TensorView{std::span<const float>(big), {3, 32, 32}});
  EXPECT_EQ(wrong_shape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong_shape.status().message().find("[3,32,32]"), std::string::npos)
      << wrong_shape.status().ToString();
  const std::vector<float> short_data(10, 0.5f);
  auto too_few = device.Process(TensorView{std::span<const float>(short_data), {1, 4, 4}});
  EXPECT_EQ(too_few.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(device.queued(), 0u);
  EXPECT_EQ(remote.calls, 0) << "nothing was offloaded";
}

TEST(DeviceRuntimeTest, ConfidentSampleStaysLocal) {
  testing::FakeBackend local;
  ScriptedClient remote;
  DeviceRuntime device(&local, &remote, {OffloadPolicy::MaxSoftmax(kFakeConfidence - 0.01)});
  auto r = device.Process(View(Image(0.25f)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->local_prediction, 2);
  EXPECT_NEAR(r->confidence, kFakeConfidence, 1e-6);
  EXPECT_FALSE(r->offloaded);
  EXPECT_EQ(r->final_prediction, 2);
  EXPECT_EQ(remote.calls, 0);
  EXPECT_EQ(r->offload_ms, 0);
}

TEST(DeviceRuntimeTest, UnsureSampleIsAnsweredByTheServer) {
  testing::FakeBackend local;
  ScriptedClient remote;
  DeviceRuntime device(&local, &remote, {OffloadPolicy::MaxSoftmax(kFakeConfidence + 0.01)});
  auto r = device.Process(View(Image(0.25f)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->offloaded);
  EXPECT_FALSE(r->fallback);
  EXPECT_EQ(r->remote_prediction, 8);
  EXPECT_EQ(r->final_prediction, 8);
  EXPECT_EQ(remote.calls, 1);
}

TEST(DeviceRuntimeTest, FailedOffloadFallsBackToLocalAnswer) {
  testing::FakeBackend local;
  for (Status failure : {Status::Unavailable("down"), Status::DeadlineExceeded("slow")}) {
    ScriptedClient remote;
    remote.fail_with = failure;
    DeviceRuntime device(&local, &remote, {OffloadPolicy::MaxSoftmax(kAlwaysOffload)});
    auto r = device.Process(View(Image(0.45f)));
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->offloaded);
    EXPECT_TRUE(r->fallback);
    EXPECT_EQ(r->remote_prediction, -1);
    EXPECT_EQ(r->final_prediction, 4);
    EXPECT_NE(r->offload_error.find(failure.message()), std::string::npos);
  }
}

TEST(DeviceRuntimeTest, NoServerConfiguredFallsBack) {
  testing::FakeBackend local;
  DeviceRuntime device(&local, nullptr, {OffloadPolicy::MaxSoftmax(kAlwaysOffload)});
  auto r = device.Process(View(Image(0.95f)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fallback);
  EXPECT_EQ(r->final_prediction, 9);
}

TEST(DeviceRuntimeTest, EverySampleGetsExactlyOneAnswerUnderRandomFailures) {
  testing::FakeBackend local;
  ScriptedClient remote;
  DeviceOptions options{OffloadPolicy::MaxSoftmax(kAlwaysOffload)};
  options.breaker.failures_to_open = 0;  // Every failure on its own (the breaker: fault_test).
  DeviceRuntime device(&local, &remote, options);
  std::mt19937 rng(3);
  int fallbacks = 0;
  for (int i = 0; i < 200; ++i) {
    remote.fail_with = rng() % 3 == 0 ? Status::Unavailable("flaky") : Status::Ok();
    auto r = device.Process(View(Image((i % 10) / 10.0f + 0.05f)));
    ASSERT_TRUE(r.ok());
    const int expected = remote.fail_with.ok() ? 8 : i % 10;
    EXPECT_EQ(r->final_prediction, expected);
    EXPECT_EQ(r->fallback, !remote.fail_with.ok());
    fallbacks += r->fallback ? 1 : 0;
  }
  EXPECT_EQ(remote.calls, 200);
  EXPECT_GT(fallbacks, 40);
}

// Over real HTTP: a server that is stopped, then restarted on the same port.
TEST(DeviceRuntimeTest, HttpOffloadFallsBackWhileServerIsDownAndResumes) {
  testing::FakeBackend local("local");
  InferenceService service;
  ASSERT_TRUE(
      service.AddModel("remote", std::make_shared<testing::FakeBackend>("remote", 9.0f)).ok());
  auto server = std::make_unique<HttpServer>(&service, HttpServerOptions{"127.0.0.1", 0});
  ASSERT_TRUE(server->Start().ok());
  const int port = server->port();
  auto client = MakeOffloadClient({"127.0.0.1", port, "remote", true});
  DeviceRuntime device(
      &local, client.get(),
      {OffloadPolicy::MaxSoftmax(kAlwaysOffload), std::chrono::milliseconds(2000)});

  auto up = device.Process(View(Image(0.65f)));
  ASSERT_TRUE(up.ok());
  EXPECT_FALSE(up->fallback) << up->offload_error;
  EXPECT_EQ(up->remote_prediction, 6);

  server->Stop();
  auto down = device.Process(View(Image(0.65f)));
  ASSERT_TRUE(down.ok());
  EXPECT_TRUE(down->fallback);
  EXPECT_EQ(down->final_prediction, 6);

  server = std::make_unique<HttpServer>(&service, HttpServerOptions{"127.0.0.1", port});
  ASSERT_TRUE(server->Start().ok());
  auto again = device.Process(View(Image(0.15f)));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->fallback) << again->offload_error;
  EXPECT_EQ(again->remote_prediction, 1);
}

TEST(DeviceRuntimeTest, OffloadCarriesTheBearerToken) {
  testing::FakeBackend local("local");
  InferenceService service;
  ASSERT_TRUE(service.AddModel("remote", std::make_shared<testing::FakeBackend>("remote")).ok());
  HttpServerOptions options{"127.0.0.1", 0};
  options.bearer_token = "t0k";
  HttpServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());
  auto anonymous = MakeOffloadClient({"127.0.0.1", server.port(), "remote", true});
  OffloadOptions with_token{"127.0.0.1", server.port(), "remote", true};
  with_token.bearer_token = "t0k";
  auto authorised = MakeOffloadClient(with_token);
  DeviceRuntime denied(&local, anonymous.get(), {OffloadPolicy::MaxSoftmax(kAlwaysOffload)});
  DeviceRuntime allowed(&local, authorised.get(), {OffloadPolicy::MaxSoftmax(kAlwaysOffload)});
  auto r = denied.Process(View(Image(0.35f)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fallback);
  EXPECT_NE(r->offload_error.find("401"), std::string::npos) << r->offload_error;
  r = allowed.Process(View(Image(0.35f)));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->fallback) << r->offload_error;
  EXPECT_EQ(r->remote_prediction, 3);
}

// A server that sheds load: one execution at a time, one queued request at most.
TEST(HttpOffloadClientTest, RetriesWithBackoffOn503WithinTheDeadline) {
  InferenceService service;
  BatchingConfig shed;
  shed.max_batch_size = 1;
  shed.max_queue_size = 1;
  auto gated = std::make_shared<testing::GatedBackend>();
  ASSERT_TRUE(service.AddModel("remote", gated, shed).ok());
  auto pending = [&] { return service.GetModelStats("remote")->pending_requests; };
  auto failures = [&] { return service.GetModelStats("remote")->request_failure; };
  HttpServer server(&service, HttpServerOptions{"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  const FloatTensor image{{1, 1, 4, 4}, Image(0.75f)};
  OffloadOptions no_retry{"127.0.0.1", server.port(), "remote", true};
  no_retry.max_retries = 0;
  // Fill the server: one executing (held by the gate), then one queued.
  std::vector<std::thread> fillers;
  auto fill = [&] {
    fillers.emplace_back([&] {
      auto c = MakeOffloadClient(no_retry);
      EXPECT_TRUE(c->Infer(image, std::chrono::seconds(20)).ok());
    });
  };
  fill();
  EXPECT_TRUE(testing::Eventually([&] { return gated->entered() == 1; }));
  fill();
  EXPECT_TRUE(testing::Eventually([&] { return pending() == 2; }));

  auto impatient = MakeOffloadClient(no_retry);
  auto shed_now = impatient->Infer(image, std::chrono::seconds(5));
  EXPECT_EQ(shed_now.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(shed_now.status().message().find("503"), std::string::npos)
      << shed_now.status().ToString();
  EXPECT_EQ(failures(), 1u);

  // A patient client is shed too, backs off, and is served once the server drains.
  OffloadOptions patient = no_retry;
  patient.max_retries = 8;
  patient.backoff_base = std::chrono::milliseconds(20);
  auto client = MakeOffloadClient(patient);
  Result<FloatTensor> eventually = Status::Internal("not run");
  std::thread patient_thread([&] { eventually = client->Infer(image, std::chrono::seconds(20)); });
  EXPECT_TRUE(testing::Eventually([&] { return failures() >= 2; }));
  gated->Open();
  patient_thread.join();
  EXPECT_TRUE(eventually.ok()) << eventually.status().ToString();
  EXPECT_EQ(gated->entered(), 3);
  for (auto& t : fillers) t.join();
}

TEST(DeviceRuntimeTest, SlowServerMissesDeadlineAndDeviceAnswersLocally) {
  testing::FakeBackend local("local");
  InferenceService service;
  ASSERT_TRUE(service
                  .AddModel("remote", std::make_shared<testing::FakeBackend>(
                                          "remote", 3.0f, std::chrono::milliseconds(400)))
                  .ok());
  HttpServer server(&service, HttpServerOptions{"127.0.0.1", 0});
  ASSERT_TRUE(server.Start().ok());
  auto client = MakeOffloadClient({"127.0.0.1", server.port(), "remote", true});
  DeviceRuntime device(&local, client.get(),
                       {OffloadPolicy::MaxSoftmax(kAlwaysOffload), std::chrono::milliseconds(50)});
  auto r = device.Process(View(Image(0.35f)));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->fallback);
  EXPECT_EQ(r->final_prediction, 3);
  // The deadline bounds the wait (generous slack for a loaded machine).
  EXPECT_LT(r->offload_ms, 350.0);
}

}  // namespace
}  // namespace hiedge
