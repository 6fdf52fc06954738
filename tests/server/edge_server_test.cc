// EdgeServer: start-up refuses a repository with nothing to serve, and shutdown keeps
// readiness false for the configured minimum before the transports stop.
#include "hiedge/server/edge_server.h"

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

// The drain answers every request whose first byte arrived before the listener closed,
// and tells keep-alive clients to leave: replies during the drain carry
// "Connection: close", idle connections are closed when the listener closes, and a
// request still arriving then is read to its end and answered. (Before, Stop closed
// every connection: such requests were cut without an answer.)
TEST(EdgeServerTest, DrainAnswersEveryRequestThatHadBegunAndClosesKeepAlive) {
  EdgeServerOptions options = QuietOptions();
  options.drain_min_seconds = 0.3;
  options.drain_max_seconds = 20;
  EdgeServer server(options);
  ASSERT_TRUE(server.service().AddModel("fake", std::make_shared<testing::FakeBackend>()).ok());
  ASSERT_TRUE(server.Start().ok());
  const int port = server.http_port();
  const std::string live = "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n";
  testing::RawConnection keep_alive(port), begun(port), idle(port);
  ASSERT_TRUE(keep_alive.Send(live));
  const std::string first = keep_alive.ReadResponse();
  EXPECT_EQ(testing::RawConnection::StatusOf(first), 200);
  EXPECT_EQ(testing::RawConnection::Lower(first).find("connection: close"), std::string::npos);
  ASSERT_TRUE(begun.Send("GET /v2/health/live HTTP/1.1\r\n"));  // Its first bytes only.

  std::thread runner([&] { EXPECT_TRUE(server.Run().ok()); });
  server.RequestShutdown();
  ASSERT_TRUE(testing::Eventually([&] { return !server.service().IsReady(); }));
  ASSERT_TRUE(keep_alive.Send(live));
  const std::string during = keep_alive.ReadResponse();
  EXPECT_EQ(testing::RawConnection::StatusOf(during), 200);
  EXPECT_NE(testing::RawConnection::Lower(during).find("connection: close"), std::string::npos)
      << during;
  // The listener closes once the minimum drain is over.
  ASSERT_TRUE(testing::Eventually([&] { return !testing::RawConnection(port, 100).ok(); },
                                  std::chrono::seconds(10)));
  EXPECT_TRUE(idle.ReadUntilClosed()) << "an idle connection is closed, cleanly";
  ASSERT_TRUE(begun.Send("Host: t\r\n\r\n"));  // The rest, after the listener closed.
  const std::string late = begun.ReadResponse();
  EXPECT_EQ(testing::RawConnection::StatusOf(late), 200) << "a begun request was cut";
  EXPECT_NE(testing::RawConnection::Lower(late).find("connection: close"), std::string::npos);
  runner.join();
}

}  // namespace
}  // namespace hiedge
