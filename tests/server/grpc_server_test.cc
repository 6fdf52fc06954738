#include "hiedge/server/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "grpc_service.grpc.pb.h"
#include "hiedge/server/http_server.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

// A ModelInferRequest for one fake image whose first pixel is `first_pixel`, sent as
// raw_input_contents like tritonclient does.
inference::ModelInferRequest RawRequest(float first_pixel, const std::string& model = "fake") {
  inference::ModelInferRequest r;
  r.set_model_name(model);
  r.set_id("req-1");
  auto* input = r.add_inputs();
  input->set_name("input");
  input->set_datatype("FP32");
  for (int64_t d : {1, 1, 4, 4}) input->add_shape(d);
  std::vector<float> pixels(16, 0.0f);
  pixels[0] = first_pixel;
  r.add_raw_input_contents(
      std::string(reinterpret_cast<const char*>(pixels.data()), 16 * sizeof(float)));
  return r;
}

int ArgmaxOfRawLogits(const inference::ModelInferResponse& reply) {
  EXPECT_EQ(reply.raw_output_contents_size(), 1);
  const std::string& raw = reply.raw_output_contents(0);
  EXPECT_EQ(raw.size(), 10 * sizeof(float));
  std::vector<float> logits(10);
  std::memcpy(logits.data(), raw.data(), std::min(raw.size(), logits.size() * sizeof(float)));
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void StartServer(GrpcServerOptions options = {}) {
    backend_ = std::make_shared<testing::FakeBackend>("fake");
    BatchingConfig batching;
    batching.max_batch_size = 8;
    batching.preferred_batch_sizes = {4};
    batching.max_queue_delay_us = 100;
    batching.max_queue_size = 32;
    ASSERT_TRUE(service_.AddModel("fake", backend_, batching, "3").ok());
    options.port = 0;
    server_ = std::make_unique<GrpcServer>(&service_, options);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
  }
  std::unique_ptr<inference::GRPCInferenceService::Stub> Stub(
      std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials(),
      const std::string& host = "127.0.0.1") {
    return inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel(host + ":" + std::to_string(server_->port()), credentials));
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  InferenceService service_;
  std::shared_ptr<testing::FakeBackend> backend_;
  std::unique_ptr<GrpcServer> server_;
};

TEST_F(GrpcServerTest, HealthAndMetadata) {
  StartServer();
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    inference::ServerLiveResponse live;
    ASSERT_TRUE(stub->ServerLive(&ctx, {}, &live).ok());
    EXPECT_TRUE(live.live());
  }
  {
    grpc::ClientContext ctx;
    inference::ServerReadyResponse ready;
    ASSERT_TRUE(stub->ServerReady(&ctx, {}, &ready).ok());
    EXPECT_TRUE(ready.ready());
  }
  for (const auto& [name, expect] :
       std::vector<std::pair<std::string, bool>>{{"fake", true}, {"nope", false}}) {
    grpc::ClientContext ctx;
    inference::ModelReadyRequest req;
    req.set_name(name);
    inference::ModelReadyResponse ready;
    ASSERT_TRUE(stub->ModelReady(&ctx, req, &ready).ok());
    EXPECT_EQ(ready.ready(), expect) << name;
  }
  {
    grpc::ClientContext ctx;
    inference::ServerMetadataResponse meta;
    ASSERT_TRUE(stub->ServerMetadata(&ctx, {}, &meta).ok());
    EXPECT_EQ(meta.name(), "hiedge");
    EXPECT_GE(meta.extensions_size(), 1);
  }
  {
    grpc::ClientContext ctx;
    inference::ModelMetadataRequest req;
    req.set_name("fake");
    inference::ModelMetadataResponse meta;
    ASSERT_TRUE(stub->ModelMetadata(&ctx, req, &meta).ok());
    EXPECT_EQ(meta.versions(0), "3");
    ASSERT_EQ(meta.inputs_size(), 1);
    EXPECT_EQ(std::vector<int64_t>(meta.inputs(0).shape().begin(), meta.inputs(0).shape().end()),
              (std::vector<int64_t>{-1, 1, 4, 4}));
  }
  {
    grpc::ClientContext ctx;
    inference::ModelMetadataRequest req;
    req.set_name("nope");
    inference::ModelMetadataResponse meta;
    EXPECT_EQ(stub->ModelMetadata(&ctx, req, &meta).error_code(), grpc::StatusCode::NOT_FOUND);
  }
}

TEST_F(GrpcServerTest, InferRawTypedAndClassification) {
  StartServer();
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    inference::ModelInferResponse reply;
    ASSERT_TRUE(stub->ModelInfer(&ctx, RawRequest(0.35f), &reply).ok());
    EXPECT_EQ(reply.model_name(), "fake");
    EXPECT_EQ(reply.model_version(), "3");
    EXPECT_EQ(reply.id(), "req-1");
    ASSERT_EQ(reply.outputs_size(), 1);
    EXPECT_EQ(reply.outputs(0).datatype(), "FP32");
    EXPECT_EQ(ArgmaxOfRawLogits(reply), 3);
  }
  {  // Typed contents instead of raw bytes.
    inference::ModelInferRequest req = RawRequest(0.75f);
    req.clear_raw_input_contents();
    auto* contents = req.mutable_inputs(0)->mutable_contents();
    for (int i = 0; i < 16; ++i) contents->add_fp32_contents(i == 0 ? 0.75f : 0.0f);
    grpc::ClientContext ctx;
    inference::ModelInferResponse reply;
    ASSERT_TRUE(stub->ModelInfer(&ctx, req, &reply).ok());
    EXPECT_EQ(ArgmaxOfRawLogits(reply), 7);
  }
  {  // Triton's classification parameter: top-2 as BYTES "score:index".
    inference::ModelInferRequest req = RawRequest(0.55f);
    auto* out = req.add_outputs();
    out->set_name("logits");
    (*out->mutable_parameters())["classification"].set_int64_param(2);
    grpc::ClientContext ctx;
    inference::ModelInferResponse reply;
    ASSERT_TRUE(stub->ModelInfer(&ctx, req, &reply).ok());
    ASSERT_EQ(reply.outputs(0).datatype(), "BYTES");
    const std::string& raw = reply.raw_output_contents(0);
    uint32_t length = 0;
    std::memcpy(&length, raw.data(), 4);
    const std::string first = raw.substr(4, length);
    EXPECT_EQ(first.substr(first.find(':') + 1), "5") << first;
  }
}

TEST_F(GrpcServerTest, MalformedRequestsGetInvalidArgumentAndServerKeepsServing) {
  StartServer();
  auto stub = Stub();
  std::vector<std::pair<std::string, inference::ModelInferRequest>> bad;
  {
    auto r = RawRequest(0.1f);
    r.mutable_inputs(0)->set_shape(3, 5);
    bad.emplace_back("wrong shape", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.mutable_raw_input_contents(0)->resize(10);
    bad.emplace_back("raw size mismatch", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.add_raw_input_contents("extra");
    bad.emplace_back("raw count mismatch", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.0f);
    bad.emplace_back("raw and typed", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.mutable_inputs(0)->set_datatype("FP17");
    bad.emplace_back("unknown datatype", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.mutable_inputs(0)->set_shape(0, -2);
    bad.emplace_back("negative dimension", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.mutable_inputs(0)->set_shape(0, int64_t{1} << 40);
    bad.emplace_back("absurd shape", r);
  }
  {
    auto r = RawRequest(0.1f);
    (*r.mutable_parameters())["timeout"].set_string_param("soon");
    bad.emplace_back("string timeout", r);
  }
  {
    auto r = RawRequest(0.1f);
    r.add_outputs()->set_name("nope");
    bad.emplace_back("unknown output", r);
  }
  for (const auto& [what, request] : bad) {
    grpc::ClientContext ctx;
    inference::ModelInferResponse reply;
    const grpc::Status s = stub->ModelInfer(&ctx, request, &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << what << ": " << s.error_message();
    EXPECT_FALSE(s.error_message().empty()) << what;
  }
  grpc::ClientContext ctx;
  inference::ModelInferResponse reply;
  EXPECT_EQ(stub->ModelInfer(&ctx, RawRequest(0.1f, "nope"), &reply).error_code(),
            grpc::StatusCode::NOT_FOUND);
  {
    // A 10 KB model name is not echoed whole: the status stays NOT_FOUND (a whole echo
    // made the trailer exceed the client's metadata limit: RESOURCE_EXHAUSTED).
    grpc::ClientContext long_name;
    const grpc::Status s =
        stub->ModelInfer(&long_name, RawRequest(0.1f, std::string(10000, 'n')), &reply);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message().substr(0, 200);
    EXPECT_LT(s.error_message().size(), 1100u);
    EXPECT_NE(s.error_message().find("(10000 bytes)"), std::string::npos);
  }
  grpc::ClientContext again;
  ASSERT_TRUE(stub->ModelInfer(&again, RawRequest(0.25f), &reply).ok());
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 2);
}

TEST_F(GrpcServerTest, ModelConfigReflectsBatching) {
  StartServer();
  auto stub = Stub();
  grpc::ClientContext ctx;
  inference::ModelConfigRequest req;
  req.set_name("fake");
  inference::ModelConfigResponse reply;
  ASSERT_TRUE(stub->ModelConfig(&ctx, req, &reply).ok());
  const inference::ModelConfig& c = reply.config();
  EXPECT_EQ(c.name(), "fake");
  EXPECT_EQ(c.max_batch_size(), 8);
  ASSERT_TRUE(c.has_dynamic_batching());
  EXPECT_EQ(c.dynamic_batching().preferred_batch_size(0), 4);
  EXPECT_EQ(c.dynamic_batching().max_queue_delay_microseconds(), 100u);
  EXPECT_EQ(c.dynamic_batching().default_queue_policy().max_queue_size(), 32u);
  ASSERT_EQ(c.input_size(), 1);
  EXPECT_EQ(c.input(0).data_type(), inference::TYPE_FP32);
  EXPECT_EQ(std::vector<int64_t>(c.input(0).dims().begin(), c.input(0).dims().end()),
            (std::vector<int64_t>{1, 4, 4}));  // Batch dimension implicit, as in Triton.
}

TEST_F(GrpcServerTest, StatisticsMatchRestStats) {
  StartServer();
  HttpServerOptions http_options;
  http_options.port = 0;
  HttpServer http(&service_, http_options);
  ASSERT_TRUE(http.Start().ok());
  auto stub = Stub();
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    inference::ModelInferResponse reply;
    ASSERT_TRUE(stub->ModelInfer(&ctx, RawRequest(0.1f * i), &reply).ok());
  }
  grpc::ClientContext bad_ctx;
  inference::ModelInferResponse bad_reply;
  auto bad = RawRequest(0.1f);
  bad.add_outputs()->set_name("nope");
  ASSERT_FALSE(stub->ModelInfer(&bad_ctx, bad, &bad_reply).ok());

  grpc::ClientContext ctx;
  inference::ModelStatisticsRequest req;  // Empty name: every model.
  inference::ModelStatisticsResponse stats;
  ASSERT_TRUE(stub->ModelStatistics(&ctx, req, &stats).ok());
  ASSERT_EQ(stats.model_stats_size(), 1);
  const inference::ModelStatistics& g = stats.model_stats(0);
  httplib::Client client("127.0.0.1", http.port());
  auto res = client.Get("/v2/models/fake/stats");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const nlohmann::json rest = nlohmann::json::parse(res->body)["model_stats"][0];
  EXPECT_EQ(g.name(), "fake");
  EXPECT_EQ(g.version(), rest["version"].get<std::string>());
  EXPECT_EQ(g.inference_count(), 5u);
  EXPECT_EQ(g.inference_count(), rest["inference_count"].get<uint64_t>());
  EXPECT_EQ(g.execution_count(), rest["execution_count"].get<uint64_t>());
  EXPECT_EQ(g.inference_stats().success().count(), 5u);
  EXPECT_EQ(g.inference_stats().fail().count(), 1u);
  EXPECT_EQ(g.inference_stats().success().ns(),
            rest["inference_stats"]["success"]["ns"].get<uint64_t>());
  EXPECT_EQ(g.inference_stats().queue().ns(),
            rest["inference_stats"]["queue"]["ns"].get<uint64_t>());
  EXPECT_EQ(g.inference_stats().compute_infer().ns(),
            rest["inference_stats"]["compute_infer"]["ns"].get<uint64_t>());
  http.Stop();
}

// Oversized header metadata is refused, and the server keeps serving.
TEST_F(GrpcServerTest, OversizedMetadataIsRefused) {
  StartServer();
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    ctx.AddMetadata("x-padding", std::string(12 * 1024, 'a'));  // Beyond the 8 KiB bound.
    inference::ModelInferResponse reply;
    EXPECT_FALSE(stub->ModelInfer(&ctx, RawRequest(0.3f), &reply).ok());
  }
  // The refusal may close the connection: an RPC already sent on it fails UNAVAILABLE
  // (the client cannot know yet), and the next, waiting for the channel to reconnect,
  // is answered by a server that still serves. A few such races at most, within 10 s.
  const auto give_up = std::chrono::system_clock::now() + std::chrono::seconds(10);
  grpc::Status status;
  inference::ModelInferResponse reply;
  for (int attempt = 0; attempt < 10 && std::chrono::system_clock::now() < give_up; ++attempt) {
    grpc::ClientContext ctx;
    ctx.set_wait_for_ready(true);
    ctx.set_deadline(give_up);
    status = stub->ModelInfer(&ctx, RawRequest(0.3f), &reply);
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE) break;
  }
  ASSERT_TRUE(status.ok()) << status.error_code() << ": " << status.error_message();
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 3);
}

TEST_F(GrpcServerTest, BearerTokenGuardsAllButHealth) {
  GrpcServerOptions options;
  options.bearer_token = "s3cret";
  StartServer(options);
  auto stub = Stub();
  {
    grpc::ClientContext ctx;
    inference::ServerLiveResponse live;
    EXPECT_TRUE(stub->ServerLive(&ctx, {}, &live).ok());
  }
  for (const std::string& header : {std::string(), std::string("Bearer wrong")}) {
    grpc::ClientContext ctx;
    if (!header.empty()) ctx.AddMetadata("authorization", header);
    inference::ModelInferResponse reply;
    EXPECT_EQ(stub->ModelInfer(&ctx, RawRequest(0.3f), &reply).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    // Two authorization entries are refused, not resolved by taking the first.
    grpc::ClientContext twice;
    twice.AddMetadata("authorization", "Bearer s3cret");
    twice.AddMetadata("authorization", "Bearer other");
    inference::ModelInferResponse reply;
    EXPECT_EQ(stub->ModelInfer(&twice, RawRequest(0.3f), &reply).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer s3cret");
  inference::ModelInferResponse reply;
  ASSERT_TRUE(stub->ModelInfer(&ctx, RawRequest(0.3f), &reply).ok());
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 3);
  {
    grpc::ClientContext lower;  // The scheme is case-insensitive (RFC 7235), as on REST.
    lower.AddMetadata("authorization", "bearer s3cret");
    EXPECT_TRUE(stub->ModelInfer(&lower, RawRequest(0.3f), &reply).ok());
  }
  {
    grpc::ClientContext probe;  // The same open probes as REST: model ready needs no token.
    inference::ModelReadyRequest req;
    req.set_name("fake");
    inference::ModelReadyResponse ready;
    ASSERT_TRUE(stub->ModelReady(&probe, req, &ready).ok());
    EXPECT_TRUE(ready.ready());
  }
  {
    grpc::ClientContext metadata;
    inference::ServerMetadataResponse out;
    EXPECT_EQ(stub->ServerMetadata(&metadata, {}, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_F(GrpcServerTest, TlsServesTrustingClientsOnly) {
  GrpcServerOptions options;
  options.tls_cert_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.crt";
  options.tls_key_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.key";
  StartServer(options);
  std::ifstream cert_file(options.tls_cert_file);
  const std::string cert((std::istreambuf_iterator<char>(cert_file)),
                         std::istreambuf_iterator<char>());
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = cert;
  auto secure = Stub(grpc::SslCredentials(ssl), "localhost");
  grpc::ClientContext ctx;
  inference::ModelInferResponse reply;
  const grpc::Status s = secure->ModelInfer(&ctx, RawRequest(0.65f), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 6);

  auto plaintext = Stub(grpc::InsecureChannelCredentials());
  grpc::ClientContext plain_ctx;
  plain_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(plaintext->ModelInfer(&plain_ctx, RawRequest(0.65f), &reply).ok());
}

// Without the guard (`--grpc-no-guard`) gRPC listens on the port itself: the same
// answers, plaintext and TLS, and the guard's counters stay at zero.
TEST_F(GrpcServerTest, WithoutTheGuardGrpcServesThePortItself) {
  GrpcServerOptions options;
  options.reset_guard = false;
  StartServer(options);
  auto stub = Stub();
  grpc::ClientContext ctx;
  inference::ModelInferResponse reply;
  ASSERT_TRUE(stub->ModelInfer(&ctx, RawRequest(0.35f), &reply).ok());
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 3);
  EXPECT_EQ(server_->guard_counters().connections, 0u);
  server_->Stop();

  GrpcServerOptions tls;
  tls.reset_guard = false;
  tls.port = 0;
  tls.tls_cert_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.crt";
  tls.tls_key_file = std::string(HIEDGE_SOURCE_DIR) + "/tests/testdata/tls/server.key";
  server_ = std::make_unique<GrpcServer>(&service_, tls);
  ASSERT_TRUE(server_->Start().ok());
  std::ifstream cert_file(tls.tls_cert_file);
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs.assign(std::istreambuf_iterator<char>(cert_file),
                            std::istreambuf_iterator<char>());
  auto secure = Stub(grpc::SslCredentials(ssl), "localhost");
  grpc::ClientContext secure_ctx;
  const grpc::Status s = secure->ModelInfer(&secure_ctx, RawRequest(0.65f), &reply);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ArgmaxOfRawLogits(reply), 6);
}

// gRPC's socket lives in a private folder named after the server's pid; a server killed
// with SIGKILL leaves its folder, and the next start removes the folders of dead pids
// (and keeps those of live ones).
TEST(GrpcServerStartTest, SocketFoldersOfDeadServersAreRemovedAtStart) {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // Gone: its pid names a dead server.
  const auto temp = std::filesystem::temp_directory_path();
  const auto dead = temp / ("hiedge-grpc-" + std::to_string(child) + "-test");
  const auto live = temp / ("hiedge-grpc-" + std::to_string(getpid()) + "-test");
  std::filesystem::create_directories(dead);
  std::filesystem::create_directories(live);
  InferenceService service;
  GrpcServerOptions options;
  options.port = 0;
  GrpcServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  std::filesystem::remove_all(live);
}

TEST(GrpcServerStartTest, BadTlsFilesAndBusyPortAreErrors) {
  InferenceService service;
  GrpcServerOptions only_cert;
  only_cert.port = 0;
  only_cert.tls_cert_file = "/nonexistent.crt";
  EXPECT_EQ(GrpcServer(&service, only_cert).Start().code(), StatusCode::kInvalidArgument);
  only_cert.tls_key_file = "/nonexistent.key";
  EXPECT_FALSE(GrpcServer(&service, only_cert).Start().ok());

  GrpcServerOptions options;
  options.port = 0;
  GrpcServer first(&service, options);
  ASSERT_TRUE(first.Start().ok());
  options.port = first.port();
  GrpcServer second(&service, options);
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
  // Without the guard too: gRPC must not share a busy port (SO_REUSEPORT).
  options.reset_guard = false;
  GrpcServer third(&service, options);
  EXPECT_EQ(third.Start().code(), StatusCode::kUnavailable);
  GrpcServerOptions bad_tls;
  bad_tls.port = 0;
  bad_tls.reset_guard = false;
  bad_tls.tls_cert_file = "/nonexistent.crt";
  EXPECT_EQ(GrpcServer(&service, bad_tls).Start().code(), StatusCode::kInvalidArgument);
  bad_tls.tls_key_file = "/nonexistent.key";
  EXPECT_EQ(GrpcServer(&service, bad_tls).Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

// More concurrent RPCs than the workers and their queue hold: the excess is refused at
// once with UNAVAILABLE (no unbounded growth of threads or queued work), the rest are
// served.
TEST(GrpcServerLimitsTest, RpcsBeyondTheQueueAreRefusedAtOnce) {
  InferenceService service;
  ASSERT_TRUE(service
                  .AddModel("slow", std::make_shared<testing::FakeBackend>(
                                        "slow", 3.0f, std::chrono::milliseconds(300)))
                  .ok());
  GrpcServerOptions options;
  options.port = 0;
  options.worker_threads = 2;
  options.max_queued_rpcs = 4;
  GrpcServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 24; ++c) {
    clients.emplace_back([&] {
      auto stub = inference::GRPCInferenceService::NewStub(grpc::CreateChannel(
          "127.0.0.1:" + std::to_string(server.port()), grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      inference::ModelInferResponse reply;
      const grpc::Status s = stub->ModelInfer(&ctx, RawRequest(0.5f, "slow"), &reply);
      if (s.ok()) {
        ok.fetch_add(1);
      } else if (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
                 s.error_message().find("queued") != std::string::npos) {
        refused.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_GE(ok.load(), 6) << "2 running + 4 queued";
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + refused.load(), 24);
}

}  // namespace
}  // namespace hiedge
