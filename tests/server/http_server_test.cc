#include "hiedge/server/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/fake_backend.h"

namespace hiedge {
namespace {

using nlohmann::json;

std::string ImageJson(float first_pixel, const std::string& datatype = "FP32",
                      const std::string& shape = "[1,1,4,4]") {
  std::vector<float> pixels(16, 0.0f);
  pixels[0] = first_pixel;
  return R"({"inputs":[{"name":"input","datatype":")" + datatype + R"(","shape":)" + shape +
         R"(,"data":)" + json(pixels).dump() + "}]}";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_shared<testing::FakeBackend>("fake");
    ASSERT_TRUE(service_.AddModel("fake", backend_).ok());
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = 64 * 1024;
    server_ = std::make_unique<HttpServer>(&service_, options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void TearDown() override { server_->Stop(); }

  // Posts an infer request and returns the response; checks it is an OIP error when not 200.
  httplib::Result Infer(const std::string& body, const httplib::Headers& headers = {},
                        const std::string& model = "fake") {
    auto res = client_->Post(("/v2/models/" + model + "/infer").c_str(), headers, body,
                             "application/json");
    if (res && res->status != 200) {
      json error = json::parse(res->body, nullptr, false);
      EXPECT_TRUE(error.is_object() && error.contains("error") && error["error"].is_string())
          << "error body is not {\"error\": ...}: " << res->body;
    }
    return res;
  }

  void ExpectGoodRequestStillServed() {
    auto res = Infer(ImageJson(0.35f));
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
    json j = json::parse(res->body);
    const std::vector<float> logits = j["outputs"][0]["data"].get<std::vector<float>>();
    EXPECT_EQ(std::max_element(logits.begin(), logits.end()) - logits.begin(), 3);
  }

  InferenceService service_;
  std::shared_ptr<testing::FakeBackend> backend_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, HealthAndMetadataEndpoints) {
  EXPECT_EQ(client_->Get("/v2/health/live")->status, 200);
  EXPECT_EQ(client_->Get("/v2/health/ready")->status, 200);
  json server = json::parse(client_->Get("/v2")->body);
  EXPECT_EQ(server["name"], "hiedge");
  EXPECT_TRUE(std::find(server["extensions"].begin(), server["extensions"].end(),
                        "binary_tensor_data") != server["extensions"].end());
  auto meta = client_->Get("/v2/models/fake");
  ASSERT_EQ(meta->status, 200);
  json m = json::parse(meta->body);
  EXPECT_EQ(m["inputs"][0]["name"], "input");
  EXPECT_EQ(m["inputs"][0]["shape"], json({-1, 1, 4, 4}));
  EXPECT_EQ(m["outputs"][0]["shape"], json({-1, 10}));
  EXPECT_EQ(client_->Get("/v2/models/fake/ready")->status, 200);
  EXPECT_EQ(client_->Get("/v2/models/fake/versions/1/ready")->status, 200);
  EXPECT_EQ(client_->Get("/v2/models/fake/versions/9/ready")->status, 404);
  EXPECT_EQ(client_->Get("/v2/models/nope")->status, 404);
  EXPECT_EQ(client_->Get("/v2/models/nope/ready")->status, 404);
}

TEST_F(HttpServerTest, ReadyFollowsService) {
  service_.SetReady(false);
  EXPECT_EQ(client_->Get("/v2/health/ready")->status, 503);
  EXPECT_EQ(client_->Get("/v2/health/live")->status, 200);
  service_.SetReady(true);
  EXPECT_EQ(client_->Get("/v2/health/ready")->status, 200);
}

TEST_F(HttpServerTest, JsonInference) {
  auto res = Infer(ImageJson(0.72f));
  ASSERT_EQ(res->status, 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["model_name"], "fake");
  EXPECT_EQ(j["outputs"][0]["name"], "logits");
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 10}));
  EXPECT_EQ(j["outputs"][0]["data"][7], 3.0);
}

TEST_F(HttpServerTest, BinaryInferenceBothWays) {
  protocol::InferRequest request;
  request.inputs.push_back({"input", "FP32", {2, 1, 4, 4}, std::vector<float>(32, 0.0f), {}});
  request.inputs[0].data[16] = 0.55f;  // Second image -> class 5.
  request.outputs.push_back({"logits", true, 0});
  const protocol::EncodedBody body = protocol::EncodeInferRequest(request, true);
  auto res =
      Infer(body.body, {{protocol::kHeaderLengthHeader, std::to_string(*body.header_length)}});
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_TRUE(res->has_header(protocol::kHeaderLengthHeader));
  auto response = protocol::ParseInferResponse(
      res->body, std::stoul(res->get_header_value(protocol::kHeaderLengthHeader)));
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  const std::vector<float>& logits = response->outputs[0].data;
  ASSERT_EQ(logits.size(), 20u);
  EXPECT_EQ(logits[0], 3.0f);
  EXPECT_EQ(logits[15], 3.0f);
}

TEST_F(HttpServerTest, ClassificationExtension) {
  std::string body = ImageJson(0.2f);
  body.pop_back();
  body += R"(,"outputs":[{"name":"logits","parameters":{"classification":2}}]})";
  auto res = Infer(body);
  ASSERT_EQ(res->status, 200) << res->body;
  json j = json::parse(res->body);
  EXPECT_EQ(j["outputs"][0]["datatype"], "BYTES");
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 2}));
  const std::string top = j["outputs"][0]["data"][0];
  EXPECT_EQ(top.substr(top.find(':')), ":2");
}

TEST_F(HttpServerTest, BadRequestsGetClear4xxAndServerKeepsServing) {
  struct Case {
    const char* what;
    std::string body;
    httplib::Headers headers;
    std::string model;
    int status;
    const char* message_part;
  };
  const std::string binary_json =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,4,4],"parameters":{"binary_data_size":64}}]})";
  const std::vector<Case> cases = {
      {"malformed JSON", "{\"inputs\": [", {}, "fake", 400, "malformed JSON"},
      {"wrong shape", ImageJson(0.1f, "FP32", "[1,1,2,8]"), {}, "fake", 400, "expects [-1,1,4,4]"},
      {"wrong datatype", ImageJson(0.1f, "INT32"), {}, "fake", 400, "expects FP32"},
      {"unknown input",
       R"({"inputs":[{"name":"image","datatype":"FP32","shape":[1],"data":[1]}]})",
       {},
       "fake",
       400,
       "unknown input"},
      {"unknown output",
       ImageJson(0.1f).substr(0, ImageJson(0.1f).size() - 1) + R"(,"outputs":[{"name":"probs"}]})",
       {},
       "fake",
       400,
       "unknown output"},
      {"binary size mismatch",
       binary_json + std::string(60, '\0'),
       {{protocol::kHeaderLengthHeader, std::to_string(binary_json.size())}},
       "fake",
       400,
       "exceeds"},
      {"bad header length",
       ImageJson(0.1f),
       {{protocol::kHeaderLengthHeader, "abc"}},
       "fake",
       400,
       "not a non-negative integer"},
      {"unknown model", ImageJson(0.1f), {}, "nope", 404, "unknown model"},
      {"oversize body", std::string(100 * 1024, ' '), {}, "fake", 413, "server's limit"},
  };
  for (const Case& c : cases) {
    auto res = Infer(c.body, c.headers, c.model);
    ASSERT_TRUE(res) << c.what << ": no response (" << httplib::to_string(res.error()) << ")";
    EXPECT_EQ(res->status, c.status) << c.what << ": " << res->body;
    EXPECT_NE(res->body.find(c.message_part), std::string::npos) << c.what << ": " << res->body;
    ExpectGoodRequestStillServed();
  }
}

TEST_F(HttpServerTest, MetricsAndStatsCountRequests) {
  ExpectGoodRequestStillServed();
  ExpectGoodRequestStillServed();
  ASSERT_EQ(Infer(ImageJson(0.1f, "INT32"))->status, 400);
  auto metrics = client_->Get("/metrics");
  ASSERT_EQ(metrics->status, 200);
  const std::string& text = metrics->body;
  EXPECT_NE(text.find("nv_inference_request_success{model=\"fake\",version=\"1\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("nv_inference_request_failure{model=\"fake\",version=\"1\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("nv_inference_count{model=\"fake\",version=\"1\"} 2"), std::string::npos);
  EXPECT_NE(text.find("nv_inference_exec_count{model=\"fake\",version=\"1\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("nv_inference_pending_request_count{model=\"fake\",version=\"1\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("nv_inference_compute_infer_duration_us"), std::string::npos);
  auto stats = client_->Get("/v2/models/fake/stats");
  ASSERT_EQ(stats->status, 200);
  json j = json::parse(stats->body);
  EXPECT_EQ(j["model_stats"][0]["name"], "fake");
  EXPECT_EQ(j["model_stats"][0]["inference_stats"]["success"]["count"], 2);
  EXPECT_EQ(j["model_stats"][0]["inference_stats"]["fail"]["count"], 1);
  EXPECT_EQ(j["model_stats"][0]["execution_count"], 2);
  EXPECT_EQ(client_->Get("/v2/models/nope/stats")->status, 404);
}

TEST_F(HttpServerTest, UnknownRouteIs404Json) {
  auto res = client_->Get("/v3/whatever");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_TRUE(json::parse(res->body, nullptr, false).contains("error"));
}

TEST_F(HttpServerTest, ManyConcurrentClientsAllGetTheirOwnAnswer) {
  constexpr int kClients = 12;
  constexpr int kRequests = 40;
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client client("127.0.0.1", server_->port());
      for (int i = 0; i < kRequests; ++i) {
        const int expected = (c + i) % 10;
        auto res = client.Post("/v2/models/fake/infer", ImageJson(expected / 10.0f + 0.05f),
                               "application/json");
        if (!res || res->status != 200) {
          failed.fetch_add(1);
          continue;
        }
        const auto logits = json::parse(res->body)["outputs"][0]["data"].get<std::vector<float>>();
        if (std::max_element(logits.begin(), logits.end()) - logits.begin() != expected)
          wrong.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(backend_->calls(), kClients * kRequests);
}

TEST(HttpServerAuthTest, BearerTokenGuardsEverythingButHealth) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  HttpServerOptions options{"127.0.0.1", 0};
  options.bearer_token = "s3cret";
  HttpServer server(&service, options);
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  EXPECT_EQ(client.Get("/v2/health/live")->status, 200);
  EXPECT_EQ(client.Get("/v2/health/ready")->status, 200);
  auto denied = client.Post("/v2/models/fake/infer", ImageJson(0.3f), "application/json");
  EXPECT_EQ(denied->status, 401);
  EXPECT_NE(denied->body.find("bearer token"), std::string::npos);
  EXPECT_EQ(client.Get("/v2/models/fake", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client.Get("/metrics")->status, 401);
  auto allowed = client.Post("/v2/models/fake/infer", {{"Authorization", "Bearer s3cret"}},
                             ImageJson(0.3f), "application/json");
  EXPECT_EQ(allowed->status, 200);
}

TEST(HttpServerStartTest, PortInUseIsUnavailable) {
  InferenceService service;
  HttpServer first(&service, {"127.0.0.1", 0});
  ASSERT_TRUE(first.Start().ok());
  HttpServer second(&service, {"127.0.0.1", first.port()});
  EXPECT_EQ(second.Start().code(), StatusCode::kUnavailable);
}

// One FakeBackend image [1, 1, 4, 4] in `datatype`, its first value `first`, the rest 0.
protocol::InferRequest OneFakeImage(const std::string& datatype, float first) {
  protocol::InferRequest r;
  std::vector<float> data(16, 0.0f);
  data[0] = first;
  r.inputs.push_back({"input", datatype, {1, 1, 4, 4}, data, {}});
  return r;
}

// A model whose card declares pixel inputs takes UINT8 bytes and answers exactly as for
// the same pixels in FP32 (byte / 255); other models and non-byte values are refused.
TEST(InferenceServiceTest, PixelModelsTakeUint8BytesExactlyAsFp32) {
  InferenceService service;
  auto pixels = std::make_shared<testing::FakeBackend>("pixels");
  pixels->set_pixel_inputs(true);
  ASSERT_TRUE(service.AddModel("pixels", pixels).ok());
  ASSERT_TRUE(service.AddModel("features", std::make_shared<testing::FakeBackend>()).ok());
  for (int byte : {0, 64, 77, 128, 255}) {
    auto as_bytes = service.Infer("pixels", "", OneFakeImage("UINT8", static_cast<float>(byte)));
    auto as_floats =
        service.Infer("pixels", "", OneFakeImage("FP32", static_cast<float>(byte) / 255.0f));
    ASSERT_TRUE(as_bytes.ok()) << as_bytes.status().ToString();
    ASSERT_TRUE(as_floats.ok());
    EXPECT_EQ(as_bytes->outputs[0].data, as_floats->outputs[0].data) << byte;
  }
  auto refused = service.Infer("features", "", OneFakeImage("UINT8", 3));
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("pixel_inputs"), std::string::npos)
      << refused.status().ToString();
  for (float not_a_byte : {256.0f, -1.0f, 0.5f}) {
    auto bad = service.Infer("pixels", "", OneFakeImage("UINT8", not_a_byte));
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << not_a_byte;
    EXPECT_NE(bad.status().message().find("out of range"), std::string::npos);
  }
  auto other = service.Infer("pixels", "", OneFakeImage("INT32", 3));
  EXPECT_NE(other.status().message().find("expects FP32 or FP16 or UINT8 pixels"),
            std::string::npos)
      << other.status().ToString();
}

TEST(InferenceServiceTest, AnyModelTakesFp16) {
  InferenceService service;
  ASSERT_TRUE(service.AddModel("features", std::make_shared<testing::FakeBackend>()).ok());
  auto half = service.Infer("features", "", OneFakeImage("FP16", 0.375f));
  auto full = service.Infer("features", "", OneFakeImage("FP32", 0.375f));
  ASSERT_TRUE(half.ok()) << half.status().ToString();
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(half->outputs[0].data, full->outputs[0].data);
  // A half that decodes to Inf is as non-finite as any other.
  protocol::InferRequest inf = OneFakeImage("FP16", std::numeric_limits<float>::infinity());
  EXPECT_EQ(service.Infer("features", "", inf).status().code(), StatusCode::kInvalidArgument);
}

TEST(InferenceServiceTest, DuplicateModelRejected) {
  InferenceService service;
  auto backend = std::make_shared<testing::FakeBackend>();
  ASSERT_TRUE(service.AddModel("m", backend).ok());
  EXPECT_EQ(service.AddModel("m", backend).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service.AddModel("", backend).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(service.ModelNames(), std::vector<std::string>{"m"});
}

}  // namespace
}  // namespace hiedge
