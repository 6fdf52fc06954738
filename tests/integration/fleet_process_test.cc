// Fleets against real `hiedge serve` processes:
//  - admission under --slo-ms: refusals are immediate, REST 503 with Retry-After and
//    the price, gRPC RESOURCE_EXHAUSTED; a device falls back at once; per-client
//    counts and refusals show on /metrics; a malformed client id is a 400;
//  - `hiedge fleet` end to end on small fleets: its files and their invariants, over
//    REST and gRPC, growing and shrinking.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "hiedge/data/data.h"
#include "hiedge/device/device.h"
#include "hiedge/protocol/protocol.h"
#include "testing/run_process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::ServerProcess;
using Clock = std::chrono::steady_clock;

// The L-ML batched under a 50 us server SLO: after the first batch shows what a row
// costs (far more than 50 us), every request is predicted to miss it.
std::vector<std::string> TightSlo() {
  return {"--models-dir", testing::kShippedModels, "--model",  "lml", "--max-batch-size", "8",
          "--max-queue-delay-us", "100", "--slo-ms", "0.05"};
}

FloatTensor OneImage(const Dataset& test, size_t i) {
  const TensorView view = test.sample(i);
  FloatTensor x{{1, 1, 28, 28}, std::vector<float>(view.data.begin(), view.data.end())};
  return x;
}

TEST(AdmissionProcessTest, RefusalsAreImmediateOnBothTransportsAndCarryThePrice) {
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  testing::ScopedTempDir dir("admission");
  ServerProcess server(0, 0, (dir.path() / "serve.log").string(), TightSlo());
  ASSERT_TRUE(server.spawned());
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server.WaitServing(&http_port, &grpc_port)) << server.Log();

  for (const std::string transport : {"rest", "grpc"}) {
    OffloadOptions o;
    o.model = "lml";
    o.transport = transport;
    o.port = transport == "rest" ? http_port : grpc_port;
    o.client_id = transport == "rest" ? "dev-rest" : "dev-grpc";
    auto client = MakeOffloadClient(o);
    ServerReport report;
    // The first request teaches the server a row's cost (it may be admitted or not).
    (void)client->InferReporting(OneImage(*test, 0), std::chrono::seconds(2), &report);
    // At most one probe per 50 ms period gets through to re-measure.
    int refused = 0;
    for (int i = 1; i <= 5; ++i) {
      const auto start = Clock::now();
      auto r = client->InferReporting(OneImage(*test, static_cast<size_t>(i)),
                                      std::chrono::seconds(2), &report);
      const auto took = Clock::now() - start;
      if (r.ok()) continue;
      ++refused;
      EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().ToString();
      EXPECT_LT(took, std::chrono::milliseconds(200)) << "a refusal must not wait";
      EXPECT_GE(report.price_ppm, 0) << "a refusal carries the price";
      EXPECT_FALSE(report.malformed_price);
    }
    EXPECT_GE(refused, 4) << "admitted under a 50 us SLO";
  }

  // REST by hand: 503, Retry-After and the price header; a malformed client id is 400.
  httplib::Client http("127.0.0.1", http_port);
  const protocol::EncodedBody body = protocol::EncodeInferRequest(
      {"", {{protocol::kInputName, "FP32", {1, 1, 28, 28}, OneImage(*test, 7).data, {}}}, {}},
      false);
  auto refused = http.Post("/v2/models/lml/infer", body.body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_TRUE(refused->has_header("Retry-After"));
  EXPECT_TRUE(refused->has_header(protocol::kOffloadPriceHeader));
  auto bad_id = http.Post("/v2/models/lml/infer", {{protocol::kClientIdHeader, "no spaces!"}},
                          body.body, "application/json");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400) << bad_id->body;

  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("hiedge_admission_refused_total{model=\"lml\",reason=\"slo\""),
            std::string::npos);
  EXPECT_NE(metrics->body.find("client=\"dev-rest\""), std::string::npos);
  EXPECT_NE(metrics->body.find("client=\"dev-grpc\""), std::string::npos);
  EXPECT_NE(metrics->body.find("hiedge_offload_price{"), std::string::npos);
  EXPECT_NE(metrics->body.find("hiedge_server_time_slo_ratio_bucket"), std::string::npos);
}

TEST(AdmissionProcessTest, ADeviceFallsBackAtOnceWhenRefused) {
  auto local = LoadModel(testing::kShippedModels + "/sml.json");
  ASSERT_TRUE(local.ok());
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  testing::ScopedTempDir dir("admission_device");
  ServerProcess server(0, -1, (dir.path() / "serve.log").string(), TightSlo());
  int port = 0;
  ASSERT_TRUE(server.WaitServingRest(&port)) << server.Log();
  OffloadOptions o;
  o.model = "lml";
  o.port = port;
  auto client = MakeOffloadClient(o);
  DeviceRuntime device(local->get(), client.get(),
                       {OffloadPolicy::MaxSoftmax(2.0), std::chrono::seconds(2)});
  int refused = 0;
  for (size_t i = 0; i < 30; ++i) {
    auto r = device.Process(test->sample(i));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->offloaded);
    if (r->fallback) {
      EXPECT_EQ(r->offload_error.rfind("OVERLOADED", 0), 0u) << r->offload_error;
      EXPECT_LT(r->offload_ms, 200) << "the 2 s deadline must not be waited out";
      ++refused;
    }
  }
  EXPECT_GE(refused, 25);  // A probe per 50 ms may get through.
  EXPECT_FALSE(device.breaker().open());
}

// Runs `hiedge fleet` with the shipped models, `args` and --out <dir>/<name>; its
// fleet.json, or null with the test failed (showing stderr) when it did not exit 0.
nlohmann::json RunFleet(const testing::ScopedTempDir& dir, const std::string& name,
                        std::vector<std::string> args) {
  const std::string out = (dir.path() / name).string();
  args.insert(args.begin(), {HIEDGE_BINARY, "fleet"});
  args.insert(args.end(), {"--local", testing::kShippedModels + "/sml.json", "--remote",
                           testing::kShippedModels + "/lml.json", "--out", out, "--no-progress"});
  const int code = testing::RunProcess(args, dir.path());
  auto errors = ReadTextFile((dir.path() / "stderr.txt").string());
  EXPECT_EQ(code, 0) << (errors.ok() ? *errors : "");
  auto text = ReadTextFile(out + "/fleet.json");
  if (code != 0 || !text.ok()) return nullptr;
  return nlohmann::json::parse(*text);
}

TEST(FleetProcessTest, ASmallFleetRunsEveryPolicyAndWritesConsistentFiles) {
  testing::ScopedTempDir dir("fleet");
  const auto report = RunFleet(dir, "out",
                               {"--devices", "3,6", "--policies", "fixed,server_set",
                                "--duration-s", "1.5", "--warmup-s", "0.5", "--rate-hz", "20",
                                "--slo-ms", "100"});
  ASSERT_FALSE(report.is_null());
  ASSERT_EQ(report["rows"].size(), 4u);
  for (const auto& row : report["rows"]) {
    const int devices = row["devices"];
    EXPECT_TRUE(devices == 3 || devices == 6);
    // 20 frames/s for 1.5 s per device, within a frame or two per device.
    EXPECT_NEAR(row["samples"].get<double>(), devices * 30.0, devices * 2.0);
    for (const char* share : {"slo_satisfaction", "accuracy", "offload_rate", "refused_rate"}) {
      EXPECT_GE(row[share].get<double>(), 0);
      EXPECT_LE(row[share].get<double>(), 1);
    }
    EXPECT_LE(row["p50_ms"].get<double>(), row["p99_ms"].get<double>());
    EXPECT_EQ(row["slo_ms"].get<double>(), 100);
  }
  EXPECT_FALSE(report["windows"].empty());
  for (const char* file : {"fleet.csv", "windows.csv", "devices.csv"}) {
    auto csv = ReadTextFile((dir.path() / "out" / file).string());
    ASSERT_TRUE(csv.ok()) << file;
    EXPECT_GT(std::count(csv->begin(), csv->end(), '\n'), 4) << file;
  }
  // Bad input is a clear error, exit 2.
  const std::string out = (dir.path() / "bad").string();
  EXPECT_EQ(testing::RunProcess({HIEDGE_BINARY, "fleet", "--devices", "10:x", "--out", out},
                                dir.path()),
            2);
  EXPECT_EQ(testing::RunProcess(
                {HIEDGE_BINARY, "fleet", "--policies", "fixed,magic", "--out", out}, dir.path()),
            2);
}

// The started servers open a gRPC port and the devices offload over it.
TEST(FleetProcessTest, DevicesOffloadOverGrpc) {
  testing::ScopedTempDir dir("fleet_grpc");
  const auto report = RunFleet(dir, "grpc",
                               {"--devices", "3", "--policies", "server_set", "--transport",
                                "grpc", "--duration-s", "1", "--warmup-s", "0.5", "--rate-hz",
                                "20"});
  ASSERT_FALSE(report.is_null());
  ASSERT_EQ(report["rows"].size(), 1u);
  EXPECT_GT(report["rows"][0]["samples"].get<int>(), 40);
  EXPECT_GT(report["rows"][0]["offload_rate"].get<double>(), 0);
  EXPECT_EQ(report["rows"][0]["fallback_rate"].get<double>(), 0);
}

// A ramp down: devices leave at an even pace, the windows count them going.
TEST(FleetProcessTest, ARampDownLetsDevicesLeave) {
  testing::ScopedTempDir dir("fleet_down");
  const auto report = RunFleet(dir, "down",
                               {"--devices", "6:2", "--policies", "fixed", "--duration-s", "2",
                                "--warmup-s", "0", "--window-s", "0.5", "--rate-hz", "20"});
  ASSERT_FALSE(report.is_null());
  const auto& windows = report["windows"];
  ASSERT_EQ(windows.size(), 4u);
  EXPECT_EQ(windows.front()["devices"].get<int>(), 6);
  EXPECT_LE(windows.back()["devices"].get<int>(), 3);
  for (size_t w = 1; w < windows.size(); ++w) {
    EXPECT_LE(windows[w]["devices"].get<int>(), windows[w - 1]["devices"].get<int>());
  }
}

}  // namespace
}  // namespace hiedge
