// The edge server as a real process (`hiedge serve`):
//  - killed with SIGKILL in the middle of a device's stream and restarted on the same
//    ports: every sample still gets exactly one answer, and offloading resumes within
//    2 s of the restart, over REST and over gRPC;
//  - serving a model repository that changes under it: a new version is picked up,
//    a broken one is refused while the old one keeps serving.
#include "testing/server_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <thread>

#include "common/files.h"
#include "hiedge/data/data.h"
#include "hiedge/device/device.h"
#include "hiedge/protocol/protocol.h"
#include "testing/both_servers.h"
#include "testing/eventually.h"
#include "testing/raw_http.h"
#include "testing/temp_dir.h"

extern char** environ;

namespace hiedge {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ServerProcess;
const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

class ServerKillTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ServerKillTest, EverySampleAnsweredOnceAndOffloadResumesWithinTwoSeconds) {
  auto local = LoadModel(kModels + "/sml.json");
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  const std::string log =
      ::testing::TempDir() + "/hiedge_kill_" + std::to_string(getpid()) + ".log";

  auto server = std::make_unique<ServerProcess>(0, 0, log);
  ASSERT_TRUE(server->spawned());
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server->WaitServing(&http_port, &grpc_port));

  OffloadOptions options;
  options.model = "sml";
  options.transport = GetParam();
  options.port = GetParam() == "grpc" ? grpc_port : http_port;
  auto client = MakeOffloadClient(options);
  // Always offload: the server's answer (the same S-ML) equals the local one, so the
  // check below is about delivery, not accuracy.
  DeviceRuntime device(local->get(), client.get(),
                       {OffloadPolicy::MaxSoftmax(2.0), std::chrono::milliseconds(300)});

  std::vector<SampleRecord> records;
  size_t next = 0;
  auto process = [&] {
    auto r = device.Process(test->sample(next % test->size()));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    records.push_back(*r);
    ++next;
  };
  for (int i = 0; i < 50; ++i) process();
  server->Kill();  // Mid-stream, no goodbye.
  for (int i = 0; i < 30; ++i) process();

  server = std::make_unique<ServerProcess>(http_port, grpc_port, log);
  const auto spawned_at = Clock::now();
  ASSERT_TRUE(server->spawned());
  // The restart is complete when the new process serves (its log says so); from then
  // on, the device's link must find it again within 2 s. Process start-up and model
  // loading come before and depend on the machine's load, so they are reported apart.
  std::optional<Clock::time_point> serving_at;
  double resumed_after_s = -1, startup_s = -1;
  while (Clock::now() - spawned_at < std::chrono::seconds(10)) {
    process();
    if (!serving_at && server->Log().find("hiedge serving") != std::string::npos) {
      serving_at = Clock::now();
      startup_s = std::chrono::duration<double>(*serving_at - spawned_at).count();
    }
    if (!records.back().fallback) {
      // An answer proves the server serves, even if its log line was not seen yet.
      if (!serving_at) {
        serving_at = Clock::now();
        startup_s = std::chrono::duration<double>(*serving_at - spawned_at).count();
      }
      resumed_after_s = std::chrono::duration<double>(Clock::now() - *serving_at).count();
      break;
    }
  }
  for (int i = 0; i < 20; ++i) process();

  ASSERT_EQ(records.size(), next) << "one record per sample";
  size_t fallbacks = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const SampleRecord& r = records[i];
    ASSERT_TRUE(r.offloaded);
    ASSERT_GE(r.final_prediction, 0) << "sample " << i << " has no answer";
    if (r.fallback) {
      ++fallbacks;
      EXPECT_EQ(r.remote_prediction, -1);
      EXPECT_EQ(r.final_prediction, r.local_prediction);
    } else {
      EXPECT_EQ(r.final_prediction, r.remote_prediction);
    }
  }
  for (size_t i = 0; i < 50; ++i) EXPECT_FALSE(records[i].fallback) << i;
  for (size_t i = 50; i < 80; ++i) EXPECT_TRUE(records[i].fallback) << i;
  for (size_t i = records.size() - 20; i < records.size(); ++i)
    EXPECT_FALSE(records[i].fallback) << i;
  EXPECT_GE(fallbacks, 30u);
  ASSERT_GE(resumed_after_s, 0) << "offloading never resumed";
  EXPECT_LT(resumed_after_s, 2.0) << "reconnect after the restarted server serves";
  std::fprintf(stderr,
               "restarted server serving %.3f s after spawn; offloading resumed %.3f s after "
               "that (%zu fallbacks)\n",
               startup_s, resumed_after_s, fallbacks);
  std::filesystem::remove(log);
}

INSTANTIATE_TEST_SUITE_P(Transports, ServerKillTest,
                         ::testing::Values(std::string("rest"), std::string("grpc")),
                         testing::TransportTestName<::testing::TestParamInfo<std::string>>);

// SIGTERM with requests in flight: readiness drops at once and stays down for
// --drain-min-seconds, requests in flight and those sent meanwhile are all answered,
// then the process exits 0.
TEST(ServerProcessTest, SigtermDrainsWithRequestsInFlight) {
  const std::string log =
      ::testing::TempDir() + "/hiedge_drain_" + std::to_string(getpid()) + ".log";
  ServerProcess server(0, 0, log,
                       {"--models-dir", kModels, "--model", "sml", "--drain-min-seconds", "1"});
  ASSERT_TRUE(server.spawned());
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server.WaitServing(&http_port, &grpc_port)) << server.Log();
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      OffloadOptions link;
      link.port = c % 2 == 0 ? http_port : grpc_port;
      link.transport = c % 2 == 0 ? "rest" : "grpc";
      link.model = "sml";
      link.max_retries = 0;
      auto client = MakeOffloadClient(link);
      // 64 rows keep each request busy for milliseconds: some are in flight at SIGTERM.
      const FloatTensor batch{{64, 1, 28, 28}, std::vector<float>(64 * 784, 0.5f)};
      while (!stop.load()) {
        auto r = client->Infer(batch, std::chrono::seconds(10));
        if (r.ok()) {
          answered.fetch_add(1);
        } else if (failed.fetch_add(1) < 3) {
          ADD_FAILURE() << r.status().ToString();
        }
      }
    });
  }
  ASSERT_TRUE(testing::Eventually([&] { return answered.load() >= 8; }));
  httplib::Client probe("127.0.0.1", http_port);
  const int answered_at_signal = answered.load();
  const auto signalled = Clock::now();
  server.Signal(SIGTERM);
  ASSERT_TRUE(testing::Eventually([&] {
    auto r = probe.Get("/v2/health/ready");
    return r && r->status == 503;
  }));
  const double not_ready_after_s = std::chrono::duration<double>(Clock::now() - signalled).count();
  // A balancer stops sending once it sees not-ready; until then requests keep being served.
  stop.store(true);
  for (auto& t : clients) t.join();
  const int exit_code = server.WaitExit(std::chrono::seconds(20));
  const double exited_after_s = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_EQ(exit_code, 0) << server.Log();
  EXPECT_EQ(failed.load(), 0) << "a request in flight during the drain was not answered";
  EXPECT_GT(answered.load(), answered_at_signal) << "no request was answered after SIGTERM";
  EXPECT_LT(not_ready_after_s, 1.0);
  EXPECT_GE(exited_after_s, 1.0) << "readiness must stay false for --drain-min-seconds";
  EXPECT_NE(server.Log().find("stopped"), std::string::npos) << server.Log();
  EXPECT_EQ(server.Log().find("still running"), std::string::npos) << server.Log();
  std::filesystem::remove(log);
}

// The same drain seen by raw clients of a real process: a keep-alive client is told
// "Connection: close" during the drain, and a request whose first bytes arrived before
// the listeners closed is still answered after they closed (it used to be cut).
TEST(ServerProcessTest, SigtermAnswersRequestsBegunBeforeTheListenersClose) {
  const std::string log =
      ::testing::TempDir() + "/hiedge_drain_begun_" + std::to_string(getpid()) + ".log";
  ServerProcess server(0, 0, log,
                       {"--models-dir", kModels, "--model", "sml", "--drain-min-seconds", "0.5"});
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server.WaitServing(&http_port, &grpc_port)) << server.Log();
  const std::string live = "GET /v2/health/live HTTP/1.1\r\nHost: t\r\n\r\n";
  testing::RawConnection keep_alive(http_port), begun(http_port);
  ASSERT_TRUE(keep_alive.Send(live));
  ASSERT_EQ(testing::RawConnection::StatusOf(keep_alive.ReadResponse()), 200);
  ASSERT_TRUE(begun.Send("GET /v2/health/live HTTP/1.1\r\n"));
  server.Signal(SIGTERM);
  httplib::Client probe("127.0.0.1", http_port);
  ASSERT_TRUE(testing::Eventually([&] {
    auto r = probe.Get("/v2/health/ready");
    return r && r->status == 503;
  }));
  ASSERT_TRUE(keep_alive.Send(live));
  const std::string during = keep_alive.ReadResponse();
  EXPECT_NE(testing::RawConnection::Lower(during).find("connection: close"), std::string::npos)
      << during;
  ASSERT_TRUE(testing::Eventually([&] { return !testing::RawConnection(http_port, 100).ok(); }));
  ASSERT_TRUE(begun.Send("Host: t\r\n\r\n"));
  EXPECT_EQ(testing::RawConnection::StatusOf(begun.ReadResponse()), 200)
      << "a request begun before the listeners closed was cut";
  EXPECT_EQ(server.WaitExit(std::chrono::seconds(20)), 0) << server.Log();
  std::filesystem::remove(log);
}

// The documented worst case (docs/deploy.md): request memory is bounded by the in-flight
// budget, whatever a crowd of clients sends. 48 clients each post 64-row JSON bodies
// (~0.5 MB, ~10 MB estimated to decode) as fast as they can against a 32 MiB budget:
// the excess is refused with 503, and the server's peak RSS grows by at most the
// formula's terms (budget + connections x 80 KiB + workers x model working memory),
// never by what the clients sent in total (~0.5 GB at once without the budget).
TEST(ServerProcessTest, PeakMemoryStaysWithinTheDocumentedBound) {
  const std::string log = ::testing::TempDir() + "/hiedge_rss_" + std::to_string(getpid()) + ".log";
  constexpr size_t kBudget = size_t{32} << 20;
  constexpr size_t kConnections = 64;
  constexpr size_t kWorkers = 4;
  ServerProcess server(0, -1, log,
                       {"--models-dir", kModels, "--model", "sml", "--inflight-budget-bytes",
                        std::to_string(kBudget), "--max-connections", std::to_string(kConnections),
                        "--http-threads", std::to_string(kWorkers), "--max-body-bytes", "1048576"});
  ASSERT_TRUE(server.spawned());
  int http_port = 0;
  // gRPC is off: find the REST port in the log line.
  const std::regex line(R"(http://[^:]+:(\d+))");
  ASSERT_TRUE(testing::Eventually([&] {
    std::smatch m;
    const std::string text = server.Log();
    if (!std::regex_search(text, m, line)) return false;
    http_port = std::stoi(m[1]);
    return true;
  })) << server.Log();
  std::string data = "[";
  for (int i = 0; i < 64 * 784; ++i) data += i ? ",0.123456" : "0.123456";
  data += "]";
  const std::string body =
      R"({"inputs":[{"name":"input","datatype":"FP32","shape":[64,1,28,28],"data":)" + data + "}]}";
  const std::string request = "POST /v2/models/sml/infer HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  {  // Warm-up: the first execution allocates the model's working memory.
    testing::RawConnection c(http_port);
    c.Send(request);
    ASSERT_EQ(testing::RawConnection::StatusOf(c.ReadResponse()), 200);
  }
  const size_t before = server.MemoryField("VmRSS");
  std::atomic<int> ok{0}, busy{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 48; ++c) {
    clients.emplace_back([&] {
      auto conn = std::make_unique<testing::RawConnection>(http_port, 30000);
      for (int i = 0; i < 6; ++i) {
        conn->Send(request);
        const std::string response = conn->ReadResponse();
        const int status = testing::RawConnection::StatusOf(response);
        (status == 200 ? ok : status == 503 ? busy : other).fetch_add(1);
        // A refusal before the body was read closes the connection (said in the reply).
        if (response.find("Connection: close") != std::string::npos) {
          conn = std::make_unique<testing::RawConnection>(http_port, 30000);
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  const size_t peak = server.MemoryField("VmHWM");
  const double growth_mb = (static_cast<double>(peak) - static_cast<double>(before)) / (1 << 20);
  // Working memory of one 64-row execution of the S-ML, measured generously (16 MiB),
  // and 16 MiB for allocator and thread-stack slack.
  const double bound_mb =
      static_cast<double>(kBudget + kConnections * 80 * 1024) / (1 << 20) + kWorkers * 16.0 + 16.0;
  std::fprintf(stderr,
               "peak RSS growth %.1f MB (bound %.1f MB): %d answered, %d refused with 503, %d "
               "other\n",
               growth_mb, bound_mb, ok.load(), busy.load(), other.load());
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(busy.load(), 0) << "48 concurrent 10 MB-estimate requests must exceed a 32 MiB budget";
  EXPECT_EQ(other.load(), 0);
  EXPECT_LT(growth_mb, bound_mb);
  std::filesystem::remove(log);
}

// Runs `hiedge` with `args`; its exit code, and its output in *output.
int RunHiedge(const std::string& args, const std::string& log, std::string* output) {
  const int status =
      std::system((std::string(HIEDGE_BINARY) + " " + args + " > " + log + " 2>&1").c_str());
  std::ifstream in(log);
  *output = std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// As a user would run it: data of another image size is an error with exit code 2
// (it used to be cut to the model's size and answered with exit code 0), and a device
// whose server is gone exits 5 once its fallbacks pass --max-fallback-fraction.
TEST(CommandLineTest, MismatchedDataAndDeadServerAreVisibleInTheExitCode) {
  const testing::ScopedTempDir data("hiedge_cifar_sized");
  std::string images = BigEndian32(0x803) + BigEndian32(20) + BigEndian32(32) + BigEndian32(32);
  images += std::string(20 * 32 * 32, '\x40');
  std::string labels = BigEndian32(0x801) + BigEndian32(20) + std::string(20, '\x03');
  std::ofstream(data / "t10k-images-idx3-ubyte.gz", std::ios::binary) << images;
  std::ofstream(data / "t10k-labels-idx1-ubyte.gz", std::ios::binary) << labels;
  const std::string log = (data / "log.txt").string();
  std::string output;
  const std::string common = " --local " + kModels + "/sml.json --out " + (data / "out").string();
  EXPECT_EQ(RunHiedge("device --data " + data.path().string() + common, log, &output), 2) << output;
  EXPECT_NE(output.find("[1,32,32]"), std::string::npos) << output;
  EXPECT_NE(output.find("[1,28,28]"), std::string::npos) << output;
  EXPECT_EQ(output.find('\n'), output.rfind('\n')) << "one line: " << output;
  // The real test set against a closed port, always offloading: every sample falls back.
  EXPECT_EQ(RunHiedge("device --theta 2 --limit 50 --server 127.0.0.1:1" + common, log, &output), 5)
      << output;
  EXPECT_NE(output.find("fell back"), std::string::npos) << output;
  EXPECT_NE(output.find("fallback cause: 50 sample(s)"), std::string::npos) << output;
  // Files: missing 3, corrupt 4.
  EXPECT_EQ(RunHiedge("device --local /nonexistent/card.json", log, &output), 3) << output;
  std::ofstream(data / "broken.json") << "{ not json";
  EXPECT_EQ(RunHiedge("device --local " + (data / "broken.json").string(), log, &output), 4)
      << output;
}

// The version the server reports for `model` over REST ("" if none).
std::string ServedVersion(int port, const std::string& model) {
  httplib::Client client("127.0.0.1", port);
  auto res = client.Get(("/v2/models/" + model).c_str());
  if (!res || res->status != 200) return "";
  auto metadata = protocol::ParseModelMetadata(res->body);
  return metadata.ok() && !metadata->versions.empty() ? metadata->versions[0] : "";
}

TEST(ServerProcessTest, RepositoryChangesAreServedWithoutARestart) {
  namespace fs = std::filesystem;
  const fs::path repo =
      fs::path(::testing::TempDir()) / ("hiedge_repo_" + std::to_string(getpid()));
  fs::remove_all(repo);
  auto add_version = [&](int v) {
    fs::create_directories(repo / "m" / std::to_string(v));
    for (const char* file : {"sml.json", "sml.onnx", "sml.pt"}) {
      fs::create_symlink(fs::path(kModels) / file, repo / "m" / std::to_string(v) / file);
    }
  };
  ASSERT_TRUE(WriteTextFile((repo / "m" / "config.pbtxt").string(),
                            "default_model_filename: \"sml.json\"\n")
                  .ok());
  add_version(1);
  const std::string log =
      ::testing::TempDir() + "/hiedge_repo_" + std::to_string(getpid()) + ".log";
  ServerProcess server(0, 0, log,
                       {"--model-repository", repo.string(), "--repository-poll-seconds", "0.2"});
  ASSERT_TRUE(server.spawned());
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server.WaitServing(&http_port, &grpc_port)) << server.Log();
  EXPECT_EQ(ServedVersion(http_port, "m"), "1");

  auto wait_for = [&](const std::function<bool()>& done) {
    for (auto give_up = Clock::now() + std::chrono::seconds(10); Clock::now() < give_up;) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  add_version(2);
  EXPECT_TRUE(wait_for([&] { return ServedVersion(http_port, "m") == "2"; })) << server.Log();

  // A broken version 3: refused, version 2 keeps serving.
  fs::create_directories(repo / "m" / "3");
  ASSERT_TRUE(WriteTextFile((repo / "m" / "3" / "sml.json").string(), "{ not a model card").ok());
  EXPECT_TRUE(wait_for([&] { return server.Log().find("failed m") != std::string::npos; }))
      << server.Log();
  EXPECT_EQ(ServedVersion(http_port, "m"), "2");
  OffloadOptions options;
  options.model = "m";
  options.port = http_port;
  auto client = MakeOffloadClient(options);
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  FloatTensor image{{1, 1, 28, 28}, std::vector<float>(test->image(0), test->image(0) + 784)};
  EXPECT_TRUE(client->Infer(image, std::chrono::seconds(5)).ok());
  server.Kill();
  fs::remove_all(repo);
  fs::remove(log);
}

}  // namespace
}  // namespace hiedge
