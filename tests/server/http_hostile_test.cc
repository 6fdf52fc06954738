// The REST transport against what a hostile network sends: deep nesting, broken
// framing, oversized and chunked bodies, slow clients, connection floods, wrong
// methods and tokens, non-finite numbers. Each answer must be a clear HTTP error and
// the server must keep serving everyone else.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/memory_budget.h"
#include "hiedge/server/http_server.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/raw_http.h"

namespace hiedge {
namespace {

using nlohmann::json;
using testing::RawConnection;

std::string Post(const std::string& path, const std::string& body,
                 const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string ImageJson(const std::string& data, const std::string& shape = "[1,1,4,4]") {
  return R"({"inputs":[{"name":"input","datatype":"FP32","shape":)" + shape + R"(,"data":)" + data +
         "}]}";
}

std::string Zeros(int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += i ? ",0" : "0";
  return s + "]";
}

class HttpHostileTest : public ::testing::Test {
 protected:
  void Serve(HttpServerOptions options = {}, ServiceLimits limits = {}) {
    service_ = std::make_unique<InferenceService>(limits);
    ASSERT_TRUE(service_->AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
    options.port = 0;
    options.max_body_bytes = 64 * 1024;
    server_ = std::make_unique<HttpServer>(service_.get(), options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void SetUp() override { Serve(); }
  void TearDown() override { server_->Stop(); }

  // Sends raw bytes on a fresh connection and returns the one response.
  std::string Exchange(const std::string& bytes) {
    RawConnection c(server_->port());
    EXPECT_TRUE(c.ok());
    c.Send(bytes);
    return c.ReadResponse();
  }

  void ExpectStillServing() {
    const std::string r = Exchange(Post("/v2/models/fake/infer", ImageJson(Zeros(16))));
    EXPECT_EQ(RawConnection::StatusOf(r), 200) << r;
  }

  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpHostileTest, DataNestedFiftyThousandDeepIsRejectedNotACrash) {
  const std::string deep = std::string(50000, '[') + "1" + std::string(50000, ']');
  HttpServerOptions big;
  server_->Stop();
  big.max_body_bytes = 1 << 20;
  service_ = std::make_unique<InferenceService>();
  ASSERT_TRUE(service_->AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  big.port = 0;
  server_ = std::make_unique<HttpServer>(service_.get(), big);
  ASSERT_TRUE(server_->Start().ok());
  const std::string r = Exchange(Post("/v2/models/fake/infer", ImageJson(deep)));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  EXPECT_NE(r.find("nested deeper"), std::string::npos) << r;
  ExpectStillServing();
}

TEST_F(HttpHostileTest, DataNestedDeeperThanTheShapeIs400) {
  // Rank 4 allows 4 levels; 5 is one too many.
  const std::string r =
      Exchange(Post("/v2/models/fake/infer", ImageJson("[[[[[" + Zeros(16).substr(1) + "]]]]")));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  EXPECT_NE(r.find("deeper than its 4-dimensional shape"), std::string::npos) << r;
  // Exactly the rank is fine.
  const std::string ok = Exchange(
      Post("/v2/models/fake/infer", ImageJson("[[[[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,0]]]]")));
  EXPECT_EQ(RawConnection::StatusOf(ok), 200) << ok;
}

TEST_F(HttpHostileTest, AmbiguousFramingIs400) {
  const std::string head = "POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\n";
  for (const std::string& framing : {
           std::string("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
           std::string("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
           std::string("Content-Length: 5\r\nContent-Length: 6\r\n"),
           std::string("Transfer-Encoding: gzip\r\n"),
           std::string("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       }) {
    RawConnection c(server_->port());
    c.Send(head + framing + "\r\n0\r\n\r\n");
    const std::string r = c.ReadResponse();
    EXPECT_EQ(RawConnection::StatusOf(r), 400) << framing << " -> " << r;
    EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  }
  ExpectStillServing();
}

// HTTP/1.1 without Host (or with two) is a 400 (RFC 9112 §3.2); two Authorization
// headers are refused, not resolved by taking the first; HTTP/1.0 needs no Host.
TEST_F(HttpHostileTest, MissingHostAndRepeatedAuthorizationAre400) {
  EXPECT_EQ(RawConnection::StatusOf(Exchange("GET /v2/health/live HTTP/1.1\r\n\r\n")), 400);
  EXPECT_EQ(RawConnection::StatusOf(
                Exchange("GET /v2/health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")),
            400);
  EXPECT_EQ(RawConnection::StatusOf(Exchange("GET /v2/health/live HTTP/1.0\r\n\r\n")), 200);
  const std::string twice = Exchange(
      "GET /v2/health/live HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer a\r\n"
      "Authorization: Bearer b\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(twice), 400) << twice;
  EXPECT_NE(twice.find("more than one Authorization"), std::string::npos) << twice;
  ExpectStillServing();
}

// An error never echoes a client's string in full: a 10 KB model name is cut in the
// message, and the status is still 404.
TEST_F(HttpHostileTest, ErrorsQuoteClientStringsBounded) {
  const std::string name(10000, 'm');
  const std::string r = Exchange("GET /v2/models/" + name + " HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(r), 404) << r.substr(0, 300);
  EXPECT_LT(r.size(), 1500u) << r.substr(0, 300);
  EXPECT_NE(r.find("(10000 bytes)"), std::string::npos) << r.substr(0, 300);
}

TEST_F(HttpHostileTest, WrongMethodIs405WithAllow) {
  const std::string r = Exchange("DELETE /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(r), 405) << r;
  EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos) << r;
  const std::string get_infer = Exchange("GET /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(get_infer), 405) << get_infer;
  EXPECT_NE(get_infer.find("Allow: POST"), std::string::npos);
  EXPECT_EQ(RawConnection::StatusOf(Exchange("GET /v3 HTTP/1.1\r\nHost: t\r\n\r\n")), 404);
  // The absolute form of the target is accepted (RFC 9112 §3.2.2).
  EXPECT_EQ(RawConnection::StatusOf(
                Exchange("GET http://t:8000/v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n")),
            200);
  EXPECT_EQ(
      RawConnection::StatusOf(Exchange("GET /v2/models/../../etc HTTP/1.1\r\nHost: t\r\n\r\n")),
      404);
}

TEST_F(HttpHostileTest, AbsurdShapesAndHeaderLengthsAre400) {
  const std::string huge_shape =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[9223372036854775807,2],"data":[1,2]}]})";
  std::string r = Exchange(Post("/v2/models/fake/infer", huge_shape));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  r = Exchange(Post("/v2/models/fake/infer", "{}",
                    "Inference-Header-Content-Length: 18446744073709551615\r\n"));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  ExpectStillServing();
}

TEST_F(HttpHostileTest, HeadAnswersHeadersWithoutABody) {
  RawConnection c(server_->port());
  c.Send("HEAD /v2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  const std::string all = c.ReadAll();
  EXPECT_EQ(RawConnection::StatusOf(all), 200) << all;
  EXPECT_NE(all.find("Content-Length: "), std::string::npos) << all;
  EXPECT_EQ(all.find("\r\n\r\n") + 4, all.size()) << "HEAD reply carries a body: " << all;
}

TEST_F(HttpHostileTest, ChunkedBodyBeyondTheLimitIs413BeforeItIsBuffered) {
  RawConnection c(server_->port());
  ASSERT_TRUE(
      c.Send("POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "4000\r\n" + std::string(0x4000, ' ') + "\r\n";  // 16 KiB.
  size_t peak_budget = 0;
  for (int i = 0; i < 64 && c.Send(chunk); ++i) {  // Up to 1 MiB against a 64 KiB limit.
    peak_budget = std::max(peak_budget, service_->inflight_budget().in_use());
  }
  const std::string r = c.ReadResponse();
  EXPECT_EQ(RawConnection::StatusOf(r), 413) << r;
  EXPECT_LE(peak_budget, size_t{64 * 1024 + 0x4000 + 4096});
  EXPECT_TRUE(c.ReadUntilClosed()) << "closed with a reset, not a FIN";
  EXPECT_EQ(service_->inflight_budget().in_use(), 0u);
  ExpectStillServing();
}

TEST_F(HttpHostileTest, DeclaredBodyBeyondTheLimitIs413WithoutReadingIt) {
  RawConnection c(server_->port());
  c.Send("POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n");
  const std::string r = c.ReadResponse();
  EXPECT_EQ(RawConnection::StatusOf(r), 413) << r;
}

TEST_F(HttpHostileTest, JsonIsAcceptedWhateverTheContentType) {
  // curl -d sends application/x-www-form-urlencoded; bodies over 8 KB must still work.
  std::string data = "[";
  for (int i = 0; i < 16; ++i) data += std::string(i ? "," : "") + "0.0000000000000000000001";
  data += "]";
  std::string body = ImageJson(data);
  body.insert(1, R"("id":")" + std::string(9000, 'x') + R"(",)");
  ASSERT_GT(body.size(), 9000u);
  const std::string r = Exchange(
      Post("/v2/models/fake/infer", body, "Content-Type: application/x-www-form-urlencoded\r\n"));
  EXPECT_EQ(RawConnection::StatusOf(r), 200) << r.substr(0, 300);
}

TEST_F(HttpHostileTest, ExpectContinueGetsAnInterimResponse) {
  RawConnection c(server_->port());
  const std::string body = ImageJson(Zeros(16));
  c.Send(
      "POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n");
  const std::string interim = c.ReadResponse();
  EXPECT_EQ(RawConnection::StatusOf(interim), 100) << interim;
  c.Send(body);
  EXPECT_EQ(RawConnection::StatusOf(c.ReadResponse()), 200);
}

TEST_F(HttpHostileTest, NonFiniteInputsAre400) {
  // JSON cannot spell NaN; 1e300 is a valid double but an infinite float.
  std::string data = Zeros(16);
  data.replace(1, 1, "1e300");
  const std::string r = Exchange(Post("/v2/models/fake/infer", ImageJson(data)));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  EXPECT_NE(r.find("non-finite"), std::string::npos) << r;
  // Binary NaN.
  std::string floats(16 * 4, '\0');
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(floats.data() + 8, &nan, 4);
  const std::string header =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[1,1,4,4],"parameters":{"binary_data_size":64}}]})";
  const std::string binary =
      Exchange(Post("/v2/models/fake/infer", header + floats,
                    "Inference-Header-Content-Length: " + std::to_string(header.size()) + "\r\n"));
  EXPECT_EQ(RawConnection::StatusOf(binary), 400) << binary;
  EXPECT_NE(binary.find("element 2"), std::string::npos) << binary;
}

TEST_F(HttpHostileTest, RowsBeyondTheCapAre400) {
  server_->Stop();
  ServiceLimits limits;
  limits.max_rows_per_request = 3;
  Serve({}, limits);
  const std::string ok = Exchange(Post("/v2/models/fake/infer", ImageJson(Zeros(48), "[3,1,4,4]")));
  EXPECT_EQ(RawConnection::StatusOf(ok), 200) << ok;
  const std::string r = Exchange(Post("/v2/models/fake/infer", ImageJson(Zeros(64), "[4,1,4,4]")));
  EXPECT_EQ(RawConnection::StatusOf(r), 400) << r;
  EXPECT_NE(r.find("at most 3 per request"), std::string::npos) << r;
}

TEST_F(HttpHostileTest, InflightBudgetExhaustedIs503WithRetryAfter) {
  server_->Stop();
  ServiceLimits limits;
  limits.inflight_budget_bytes = 1024;  // Less than one JSON request's decode estimate.
  Serve({}, limits);
  const std::string r = Exchange(Post("/v2/models/fake/infer", ImageJson(Zeros(16))));
  EXPECT_EQ(RawConnection::StatusOf(r), 503) << r;
  EXPECT_NE(r.find("Retry-After: 1"), std::string::npos) << r;
  EXPECT_EQ(service_->inflight_budget().in_use(), 0u);
  // Health is not charged.
  EXPECT_EQ(RawConnection::StatusOf(Exchange("GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n")),
            200);
}

TEST_F(HttpHostileTest, SlowUploadsHoldOnlyWhatTheySentOfTheBudget) {
  server_->Stop();
  ServiceLimits limits;
  limits.inflight_budget_bytes = 32 * 1024;
  Serve({}, limits);  // Bodies up to 64 KiB; budget 32 KiB.
  // Eight uploads announce 60 KB each and send 10 bytes: together they declare far
  // more than the budget, but hold 80 bytes of it.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server_->port()));
    slow.back()->Send(
        "POST /v2/models/fake/infer HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\n"
        "{\"inputs\":");
  }
  ASSERT_TRUE(testing::Eventually([&] { return service_->inflight_budget().in_use() == 80; }))
      << service_->inflight_budget().in_use();
  ExpectStillServing();  // A fresh request still fits.
}

TEST_F(HttpHostileTest, ConnectionsBeyondTheCapGetA503NotAReset) {
  server_->Stop();
  HttpServerOptions options;
  options.max_connections = 4;
  Serve(options);
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(server_->port()));
    held.back()->Send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
    ASSERT_EQ(RawConnection::StatusOf(held.back()->ReadResponse()), 200);  // Now registered.
  }
  RawConnection extra(server_->port());
  extra.Send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string r = extra.ReadResponse();
  EXPECT_EQ(RawConnection::StatusOf(r), 503) << r;
  EXPECT_NE(r.find("connection limit"), std::string::npos);
  EXPECT_TRUE(extra.ReadUntilClosed()) << "refused with a reset";
  // Refusals linger (so the peer reads its 503) and are capped too: with 4 of them
  // lingering (`extra` and 3 more), the next connection is closed without an answer.
  std::vector<std::unique_ptr<RawConnection>> refused;
  for (int i = 0; i < 3; ++i) {
    refused.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_EQ(RawConnection::StatusOf(refused.back()->ReadResponse()), 503);  // Not closed yet.
  }
  RawConnection flood(server_->port());
  EXPECT_EQ(flood.ReadResponse(), "") << "a refusal beyond the cap costs no linger";
  refused.clear();
  held.pop_back();  // One leaves; a newcomer is served.
  testing::Eventually([&] { return server_->open_connections() < 4; });
  RawConnection later(server_->port());
  later.Send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(later.ReadResponse()), 200);
}

TEST_F(HttpHostileTest, HeaderNotCompletedInTimeGets408AndClose) {
  server_->Stop();
  HttpServerOptions options;
  options.header_timeout_ms = 200;
  Serve(options);
  RawConnection c(server_->port());
  c.Send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n");  // Never finished.
  const std::string r = c.ReadResponse();
  EXPECT_EQ(RawConnection::StatusOf(r), 408) << r;
  EXPECT_TRUE(c.ReadUntilClosed());
}

TEST_F(HttpHostileTest, IdleKeepAliveConnectionsAreClosed) {
  server_->Stop();
  HttpServerOptions options;
  options.idle_timeout_ms = 100;
  Serve(options);
  RawConnection c(server_->port());
  c.Send("GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(RawConnection::StatusOf(c.ReadResponse()), 200);
  EXPECT_TRUE(c.ReadUntilClosed());  // Closed by the server, long before the 10 s timeout.
  testing::Eventually([&] { return server_->open_connections() == 0; });
}

TEST_F(HttpHostileTest, BearerSchemeIsCaseInsensitiveAndProbesAreOpen) {
  server_->Stop();
  HttpServerOptions options;
  options.bearer_token = "s3cret";
  Serve(options);
  auto get = [&](const std::string& path, const std::string& auth) {
    return RawConnection::StatusOf(
        Exchange("GET " + path + " HTTP/1.1\r\nHost: t\r\n" +
                 (auth.empty() ? "" : "Authorization: " + auth + "\r\n") + "\r\n"));
  };
  EXPECT_EQ(get("/v2", ""), 401);
  EXPECT_EQ(get("/v2", "Bearer s3cret"), 200);
  EXPECT_EQ(get("/v2", "bearer s3cret"), 200);
  EXPECT_EQ(get("/v2", "BEARER   s3cret"), 200);
  EXPECT_EQ(get("/v2", "Bearer s3cre"), 401);
  EXPECT_EQ(get("/v2", "Bearer s3cretX"), 401);
  EXPECT_EQ(get("/v2", "Basic s3cret"), 401);
  EXPECT_EQ(get("/metrics", ""), 401);
  // The probes, as on gRPC: server live/ready and model ready.
  EXPECT_EQ(get("/v2/health/live", ""), 200);
  EXPECT_EQ(get("/v2/health/ready", ""), 200);
  EXPECT_EQ(get("/v2/models/fake/ready", ""), 200);
}

}  // namespace
}  // namespace hiedge
