// A three-tier cascade through real server processes: a cloud `hiedge serve` with the
// L-ML, an edge `hiedge serve --cascade` running the S-ML and its policy and forwarding
// (over REST and over gRPC) to the cloud, and a client asking the edge. The edge's
// answers equal the offline cascade's; with the cloud killed they are the S-ML's, and
// /metrics counts them as fallbacks.
#include <gtest/gtest.h>
#include <httplib.h>

#include <regex>

#include "common/files.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"
#include "hiedge/decision/offload_policy.h"
#include "hiedge/protocol/protocol.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::kShippedModels;
using testing::ServerProcess;

constexpr double kTheta = 0.9;
constexpr size_t kImages = 200;

// The value of hiedge_cascade_rows_total for one model and outcome (-1 if absent).
double CascadeRows(int port, const std::string& model, const std::string& outcome) {
  httplib::Client http("127.0.0.1", port);
  auto r = http.Get("/metrics");
  if (!r || r->status != 200) return -1;
  const std::regex line("hiedge_cascade_rows_total\\{model=\"" + model + "\",outcome=\"" + outcome +
                        "\",version=\"1\"\\} ([0-9.e+]+)");
  std::smatch m;
  return std::regex_search(r->body, m, line) ? std::stod(m[1]) : -1;
}

std::string Spec(const std::string& name, const std::string& transport, int port) {
  return R"({"name": ")" + name + R"(", "local": ")" + kShippedModels +
         R"(/sml.json", "decision": "decision.json",
  "next": {"server": "127.0.0.1:)" +
         std::to_string(port) + R"(", "transport": ")" + transport +
         R"(", "model": "lml", "deadline_ms": 5000, "payload": "uint8"}})";
}

TEST(CascadeProcessTest, EdgeAnswersAsTheOfflineCascadeAndFallsBackWhenTheCloudDies) {
  testing::ScopedTempDir dir("hiedge_cascade_process");
  auto cloud = std::make_unique<ServerProcess>(
      0, 0, (dir.path() / "cloud.log").string(),
      std::vector<std::string>{"--models-dir", kShippedModels, "--model", "lml"});
  int cloud_http = 0, cloud_grpc = 0;
  ASSERT_TRUE(cloud->WaitServing(&cloud_http, &cloud_grpc)) << cloud->Log();

  // The edge's policy: max softmax below 0.9 goes on, calibrated for the shipped S-ML.
  DecisionConfig decision;
  decision.theta = kTheta;
  auto sml_id = ModelIdentity(kShippedModels + "/sml.json");
  ASSERT_TRUE(sml_id.ok());
  decision.local_model_id = *sml_id;
  ASSERT_TRUE(WriteDecisionConfig(decision, (dir.path() / "decision.json").string()).ok());
  const std::string rest_spec = (dir.path() / "edge_rest.json").string();
  const std::string grpc_spec = (dir.path() / "edge_grpc.json").string();
  ASSERT_TRUE(WriteTextFile(rest_spec, Spec("edge", "rest", cloud_http)).ok());
  ASSERT_TRUE(WriteTextFile(grpc_spec, Spec("edge_grpc", "grpc", cloud_grpc)).ok());
  ServerProcess edge(0, -1, (dir.path() / "edge.log").string(),
                     {"--models-dir", kShippedModels, "--model", "sml", "--cascade", rest_spec,
                      "--cascade", grpc_spec});
  int edge_http = 0, unused = 0;
  ASSERT_TRUE(edge.WaitServingRest(&edge_http)) << edge.Log();

  // The offline cascade on the same images.
  auto sml = LoadModel(kShippedModels + "/sml.json");
  auto lml = LoadModel(kShippedModels + "/lml.json");
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(sml.ok() && lml.ok() && test.ok());
  const Dataset images = Head(*test, kImages);
  const FloatTensor batch{{static_cast<int64_t>(kImages), 1, 28, 28}, images.images};
  auto local = (*sml)->Infer(batch);
  auto remote = (*lml)->Infer(batch);
  ASSERT_TRUE(local.ok() && remote.ok());
  const OffloadPolicy policy = OffloadPolicy::MaxSoftmax(kTheta);
  std::vector<bool> unsure(kImages);
  size_t forwarded = 0;
  for (size_t i = 0; i < kImages; ++i) {
    unsure[i] = policy.Decide({local->row(static_cast<int64_t>(i)), 10}).offload;
    forwarded += unsure[i] ? 1 : 0;
  }
  ASSERT_GT(forwarded, 5u);
  ASSERT_LT(forwarded, kImages - 5) << "both tiers must answer some";

  // In requests of 64 rows, the server's default bound.
  auto ask_edge = [&](const std::string& model) -> Result<FloatTensor> {
    OffloadOptions o;
    o.port = edge_http;
    o.model = model;
    auto client = MakeOffloadClient(o);
    FloatTensor all{{0, 10}, {}};
    for (size_t first = 0; first < kImages; first += 64) {
      const size_t rows = std::min<size_t>(64, kImages - first);
      const FloatTensor part{{static_cast<int64_t>(rows), 1, 28, 28},
                             {batch.data.begin() + static_cast<int64_t>(first * 784),
                              batch.data.begin() + static_cast<int64_t>((first + rows) * 784)}};
      HIEDGE_ASSIGN_OR_RETURN(FloatTensor answer, client->Infer(part, std::chrono::seconds(20)));
      all.shape[0] += answer.shape[0];
      all.data.insert(all.data.end(), answer.data.begin(), answer.data.end());
    }
    return all;
  };
  for (const std::string model : {"edge", "edge_grpc"}) {
    SCOPED_TRACE(model);
    const double before = CascadeRows(edge_http, model, "forwarded");
    auto answered = ask_edge(model);
    ASSERT_TRUE(answered.ok()) << answered.status().ToString();
    ASSERT_EQ(answered->shape, local->shape);
    for (size_t i = 0; i < kImages; ++i) {
      const FloatTensor& expected = unsure[i] ? *remote : *local;
      for (int64_t k = 0; k < 10; ++k) {
        ASSERT_NEAR(answered->row(static_cast<int64_t>(i))[k],
                    expected.row(static_cast<int64_t>(i))[k], 1e-4)
            << "image " << i << (unsure[i] ? " (forwarded)" : " (answered at the edge)");
      }
    }
    EXPECT_EQ(CascadeRows(edge_http, model, "forwarded") - before, static_cast<double>(forwarded));
  }

  // The cloud dies: the edge still answers every image, with its own model, flagged.
  cloud->Kill();
  const double fallbacks_before = CascadeRows(edge_http, "edge", "fallback");
  auto alone = ask_edge("edge");
  ASSERT_TRUE(alone.ok()) << alone.status().ToString();
  for (size_t i = 0; i < local->data.size(); ++i) {
    ASSERT_NEAR(alone->data[i], local->data[i], 1e-4) << "value " << i;
  }
  EXPECT_EQ(CascadeRows(edge_http, "edge", "fallback") - fallbacks_before,
            static_cast<double>(forwarded));
  // Each response says how many of its rows fell back: the first 64 images, over REST.
  protocol::InferRequest request;
  request.inputs.push_back({protocol::kInputName,
                            "FP32",
                            {64, 1, 28, 28},
                            {batch.data.begin(), batch.data.begin() + 64 * 784},
                            {}});
  const protocol::EncodedBody body = protocol::EncodeInferRequest(request, /*binary=*/false);
  httplib::Client http("127.0.0.1", edge_http);
  auto reply = http.Post("/v2/models/edge/infer", body.body, "application/json");
  ASSERT_TRUE(reply && reply->status == 200) << (reply ? reply->body : "no reply");
  auto parsed = protocol::ParseInferResponse(reply->body, std::nullopt);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const int64_t unsure_in_first_64 = std::count(unsure.begin(), unsure.begin() + 64, true);
  ASSERT_GT(unsure_in_first_64, 0);
  EXPECT_EQ(parsed->parameters[protocol::kFallbackRowsParameter], unsure_in_first_64)
      << reply->body.substr(0, 200);
  // And who answered each row: here when sure, here as a fallback when meant for the cloud.
  std::string sources;
  for (size_t i = 0; i < 64; ++i) {
    sources += std::string(i ? "," : "") + (unsure[i] ? "fallback" : "here");
  }
  EXPECT_EQ(parsed->string_parameters[protocol::kRowSourcesParameter], sources);
  (void)unused;
}

TEST(CascadeProcessTest, ABadSpecStopsTheServerWithItsReason) {
  testing::ScopedTempDir dir("hiedge_cascade_bad");
  const std::string spec = (dir.path() / "edge.json").string();
  ASSERT_TRUE(WriteTextFile(spec, R"({"name": "edge", "local": "missing.json",
      "decision": "decision.json", "next": {"server": "127.0.0.1:1"}})")
                  .ok());
  ServerProcess edge(0, -1, (dir.path() / "edge.log").string(),
                     {"--models-dir", kShippedModels, "--model", "sml", "--cascade", spec});
  EXPECT_NE(edge.WaitExit(std::chrono::seconds(30)), 0);
  EXPECT_NE(edge.Log().find("missing.json"), std::string::npos) << edge.Log();
}

}  // namespace
}  // namespace hiedge
