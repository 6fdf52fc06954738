// EdgeServer: start-up refuses a repository with nothing to serve, and shutdown keeps
// readiness false for the configured minimum before the transports stop.
#include "hiedge/edge_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/files.h"
#include "testing/eventually.h"
#include "testing/fake_backend.h"
#include "testing/raw_http.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;

EdgeServerOptions QuietOptions() {
  EdgeServerOptions o;
  o.http.port = 0;
  o.grpc.port = 0;
  o.log = [](const std::string&) {};
  return o;
}

TEST(EdgeServerTest, RepositoryWithNoLoadableModelIsAnErrorNamingEachFailure) {
  const testing::ScopedTempDir temp("edge_empty_repo");
  const fs::path root = temp.path();
  fs::create_directories(root / "m");
  ASSERT_TRUE(WriteTextFile((root / "m" / "config.pbtxt").string(), "").ok());
  fs::create_directory_symlink(root / "gone", root / "m" / "1");
  EdgeServerOptions options = QuietOptions();
  options.repository = root.string();
  EdgeServer server(options);
  const Status started = server.Start();
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition) << started.ToString();
  EXPECT_NE(started.message().find("no loadable model"), std::string::npos);
  EXPECT_NE(started.message().find("m: "), std::string::npos) << started.message();
  EXPECT_NE(started.message().find("symbolic link"), std::string::npos) << started.message();
  EXPECT_EQ(server.http_port(), 0) << "nothing listens";
}

TEST(EdgeServerTest, ShutdownKeepsReadinessFalseForTheMinimumDrain) {
  EdgeServerOptions options = QuietOptions();
  options.drain_min_seconds = 0.3;
  EdgeServer server(options);
  ASSERT_TRUE(server.service().AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  ASSERT_TRUE(server.Start().ok());
  auto ready_status = [&] {
    testing::RawConnection c(server.http_port());
    c.Send("GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n");
    return testing::RawConnection::StatusOf(c.ReadResponse());
  };
  EXPECT_EQ(ready_status(), 200);
  std::thread runner([&] { EXPECT_TRUE(server.Run().ok()); });
  const auto asked = std::chrono::steady_clock::now();
  server.RequestShutdown();
  ASSERT_TRUE(testing::Eventually([&] { return !server.service().IsReady(); }));
  EXPECT_EQ(ready_status(), 503) << "not ready, yet still answering during the drain";
  runner.join();
  EXPECT_GE(std::chrono::steady_clock::now() - asked, std::chrono::milliseconds(300));
}

}  // namespace
}  // namespace hiedge
