// docs/grafana/hiedge-fleet.json parses, and every metric its queries use is one a
// server with a model under an SLO and a gRPC port exports.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/files.h"
#include "hiedge/server/edge_server.h"
#include "testing/fake_backend.h"
#include "testing/raw_http.h"

namespace hiedge {
namespace {

std::set<std::string> ExportedMetricNames(const std::string& page) {
  std::set<std::string> names;
  const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ])");
  size_t start = 0;
  while (start < page.size()) {
    const size_t end = std::min(page.find('\n', start), page.size());
    const std::string line = page.substr(start, end - start);
    std::smatch m;
    if (!line.empty() && line[0] != '#' && std::regex_search(line, m, sample)) names.insert(m[1]);
    start = end + 1;
  }
  return names;
}

TEST(GrafanaDashboardTest, ParsesAndUsesOnlyExportedMetrics) {
  EdgeServerOptions options;
  options.http.port = 0;
  options.grpc.port = 0;
  options.log = [](const std::string&) {};
  options.limits.admission.slo_ms = 50;
  EdgeServer server(options);
  BatchingConfig batching;
  batching.max_batch_size = 8;
  ASSERT_TRUE(
      server.service().AddModel("fake", std::make_shared<testing::FakeBackend>(), batching).ok());
  ASSERT_TRUE(server.Start().ok());
  protocol::InferRequest request;
  request.client_id = "camera-1";
  request.inputs.push_back({"input", "FP32", {1, 1, 4, 4}, std::vector<float>(16, 0.5f), {}});
  ASSERT_TRUE(server.service().Infer("fake", "", request).ok());

  testing::RawConnection c(server.http_port());
  c.Send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n");
  const std::string page = c.ReadResponse();
  const std::set<std::string> exported = ExportedMetricNames(page);
  ASSERT_TRUE(exported.count("hiedge_offload_price")) << page;

  auto text = ReadTextFile(std::string(HIEDGE_SOURCE_DIR) + "/docs/grafana/hiedge-fleet.json");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const auto dashboard = nlohmann::json::parse(*text);
  ASSERT_TRUE(dashboard["panels"].is_array());
  ASSERT_GE(dashboard["panels"].size(), 6u);
  const std::regex metric(R"((nv_inference|hiedge)_[a-z_]+)");
  size_t checked = 0;
  for (const auto& panel : dashboard["panels"]) {
    ASSERT_FALSE(panel["targets"].empty()) << panel["title"];
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"];
      for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
        EXPECT_TRUE(exported.count(it->str())) << it->str() << " in " << panel["title"];
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 15u);
}

}  // namespace
}  // namespace hiedge
