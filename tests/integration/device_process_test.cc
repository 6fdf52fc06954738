// hiedge-device as a real process against an edge server on loopback: it streams a data
// set or raw samples, answers every sample exactly once, reports what fell back and
// why, exits with the documented codes, and links no torch, server or gRPC code.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "common/files.h"
#include "hiedge/data/corruptions.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/server/http_server.h"
#include "hiedge/engine/model.h"
#include "hiedge/server/server.h"
#include "testing/both_servers.h"
#include "testing/fault_proxy.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

using testing::RunProcess;

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class DeviceProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto lml = LoadModel(kModels + "/lml.json");
    ASSERT_TRUE(lml.ok()) << lml.status().ToString();
    ASSERT_TRUE(service_.AddModel("lml", std::move(*lml)).ok());
    servers_ = std::make_unique<testing::BothServers>(&service_);
    ASSERT_TRUE(servers_->ok());
  }
  std::vector<std::string> Device(const std::string& binary = HIEDGE_DEVICE_BINARY) {
    return DeviceOn(servers_->port("rest"), binary);
  }
  // The device offloading to 127.0.0.1:`port` (a proxy, another server).
  std::vector<std::string> DeviceOn(int port, const std::string& binary = HIEDGE_DEVICE_BINARY) {
    return {binary,
            "--local",
            kModels + "/sml.json",
            "--out",
            (dir_ / "out").string(),
            "--server",
            "127.0.0.1:" + std::to_string(port)};
  }
  // `hiedge calibrate` of the shipped pair with its defaults, into `decision_dir`.
  void CalibrateDefault(const std::string& decision_dir) {
    ASSERT_EQ(RunProcess({HIEDGE_BINARY, "calibrate", "--local", kModels + "/sml.json", "--remote",
                          kModels + "/lml.json", "--out", decision_dir},
                         dir_.path()),
              0)
        << Stderr();
  }
  std::string Stderr() const {
    auto text = ReadTextFile((dir_ / "stderr.txt").string());
    return text.ok() ? *text : "";
  }
  std::string Stdout() const {
    auto text = ReadTextFile((dir_ / "stdout.txt").string());
    return text.ok() ? *text : "";
  }
  nlohmann::json Summary() const {
    auto text = ReadTextFile((dir_ / "out" / "summary.json").string());
    return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
  }
  InferenceService service_;
  std::unique_ptr<testing::BothServers> servers_;
  testing::ScopedTempDir dir_{"hiedge_device_process"};
};

TEST_F(DeviceProcessTest, StreamsTheTestSetAndAnswersEverySampleOnce) {
  auto args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "300", "--theta", "0.8"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  const auto answers = Lines(dir_ / "out" / "answers.csv");
  ASSERT_EQ(answers.size(), 301u);  // Header + one line per sample.
  std::set<std::string> ids;
  size_t offloaded = 0, remote = 0;
  for (size_t i = 1; i < answers.size(); ++i) {
    std::stringstream row(answers[i]);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 12u) << answers[i];
    EXPECT_EQ(cells[11], "0") << "no drift detection without a decision config";
    EXPECT_EQ(cells[9], "-1") << "no early exits configured";
    ids.insert(cells[0]);
    offloaded += cells[4] == "1";
    remote += cells[5] != "-1";
    EXPECT_EQ(cells[6], "0") << "nothing falls back with the server up";
  }
  EXPECT_EQ(ids.size(), 300u);
  EXPECT_GT(offloaded, 0u);
  EXPECT_EQ(remote, offloaded);
  const nlohmann::json summary = Summary();
  EXPECT_EQ(summary["samples"], 300);
  EXPECT_EQ(summary["labelled"], 300);
  EXPECT_EQ(summary["offloaded"], offloaded);
  EXPECT_GT(summary["accuracy"].get<double>(), summary["local_accuracy"].get<double>() - 1e-9);

  // The same stream offloaded as UINT8 pixel bytes: the same offloads and answers.
  args.insert(args.end(), {"--payload", "uint8"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  const auto as_bytes = Lines(dir_ / "out" / "answers.csv");
  ASSERT_EQ(as_bytes.size(), answers.size());
  auto without_latency = [](const std::string& line) {  // Columns 0..6 (not total_ms).
    size_t cut = 0;
    for (int commas = 0; commas < 7 && cut != std::string::npos; ++commas)
      cut = line.find(',', cut + 1);
    return line.substr(0, cut);
  };
  for (size_t i = 1; i < answers.size(); ++i)
    EXPECT_EQ(without_latency(as_bytes[i]), without_latency(answers[i])) << i;
}

// `hiedge device` and `hiedge-device` are one run with one output contract
// (docs/results-schema.md): the same flags in --help, the same answers.csv (but for
// latencies) and summary.json keys, the same exit code for bad usage. `hiedge device`
// reads the Fashion-MNIST test split when no data is named.
TEST_F(DeviceProcessTest, HiedgeDeviceAndTheDeviceBinaryShareOneOutputContract) {
  std::map<std::string, std::vector<std::string>> answers;
  std::map<std::string, nlohmann::json> summaries;
  for (const std::string tool : {"hiedge device", "hiedge-device"}) {
    std::vector<std::string> args =
        tool == "hiedge device" ? Device(HIEDGE_BINARY) : Device(HIEDGE_DEVICE_BINARY);
    if (tool == "hiedge device") {
      args.insert(args.begin() + 1, "device");  // Default data: the test split.
    } else {
      args.insert(args.end(), {"--data", kFashionMnistDir});
    }
    args.insert(args.end(), {"--limit", "200", "--theta", "0.8"});
    ASSERT_EQ(RunProcess(args, dir_.path()), 0) << tool << ": " << Stderr();
    answers[tool] = Lines(dir_ / "out" / "answers.csv");
    summaries[tool] = Summary();
  }
  auto without_latency = [](const std::string& line) {  // total_ms is column 7.
    std::stringstream row(line);
    std::string kept;
    int column = 0;
    for (std::string cell; std::getline(row, cell, ','); ++column) {
      if (column != 7) kept += cell + ",";
    }
    return kept;
  };
  const auto& a = answers["hiedge device"];
  const auto& b = answers["hiedge-device"];
  ASSERT_EQ(a.size(), 201u);
  ASSERT_EQ(b.size(), a.size());
  EXPECT_EQ(a[0], b[0]) << "one header";
  for (size_t i = 1; i < a.size(); ++i) EXPECT_EQ(without_latency(a[i]), without_latency(b[i])) << i;
  std::set<std::string> keys_a, keys_b;
  for (const auto& [key, value] : summaries["hiedge device"].items()) keys_a.insert(key);
  for (const auto& [key, value] : summaries["hiedge-device"].items()) keys_b.insert(key);
  EXPECT_EQ(keys_a, keys_b);
  EXPECT_TRUE(keys_a.count("fallback_causes"));
  EXPECT_TRUE(keys_a.count("drift"));
  EXPECT_EQ(summaries["hiedge device"]["offloaded"], summaries["hiedge-device"]["offloaded"]);

  // The same flags: every option of one --help is in the other's.
  auto options = [&](std::vector<std::string> args) {
    EXPECT_EQ(RunProcess(args, dir_.path()), 0);
    std::set<std::string> found;
    std::stringstream help(Stdout());
    for (std::string word; help >> word;) {
      if (word.rfind("--", 0) == 0) found.insert(word.substr(0, word.find_first_of("=[{ ")));
    }
    return found;
  };
  const auto help_a = options({HIEDGE_BINARY, "device", "--help"});
  const auto help_b = options({HIEDGE_DEVICE_BINARY, "--help"});
  for (const std::string& flag : help_b) {
    if (flag == "--version") continue;  // The binary's own.
    EXPECT_TRUE(help_a.count(flag)) << flag << " is missing from hiedge device --help";
  }
  EXPECT_EQ(help_a.size() + 1, help_b.size());
  // Two data sources are bad usage for both (exit 2 from the argument check, 1 here:
  // the run refuses them with InvalidArgument, the same code for both tools).
  std::vector<std::string> two = Device(HIEDGE_DEVICE_BINARY);
  two.insert(two.end(), {"--data", kFashionMnistDir, "--raw", "-"});
  const int device_code = RunProcess(two, dir_.path());
  two = Device(HIEDGE_BINARY);
  two.insert(two.begin() + 1, "device");
  two.insert(two.end(), {"--data", kFashionMnistDir, "--raw", "-"});
  EXPECT_EQ(RunProcess(two, dir_.path()), device_code);
  EXPECT_NE(device_code, 0);
}

// Seed 001's logistic-regression module on temperature-scaled probabilities with a
// certified accuracy target, written by `hiedge calibrate` and run by hiedge-device.
// kill -9 in the middle of a stream: every answer the device had made (it reports its
// count on stderr after writing them) is in answers.csv, whole, each sample once and in
// order. Block buffering lost up to a buffer's worth (about 90 answers).
TEST_F(DeviceProcessTest, AKilledDeviceHasWrittenEveryAnswerItMade) {
  std::vector<std::string> args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--theta", "0.9", "--progress-every", "7"});
  const pid_t pid = testing::SpawnProcess(args, dir_.path());
  ASSERT_GT(pid, 0);
  const std::regex progress(R"((\d+) samples,)");
  int64_t reported = 0;
  for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       reported < 500 && std::chrono::steady_clock::now() < give_up;) {
    const std::string err = Stderr();
    for (auto it = std::sregex_iterator(err.begin(), err.end(), progress);
         it != std::sregex_iterator(); ++it) {
      reported = std::max<int64_t>(reported, std::stoll((*it)[1]));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // Polling a file.
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GE(reported, 500) << Stderr();
  // The last progress line read may be older than the kill; any later one only adds.
  const std::vector<std::string> lines = Lines(dir_ / "out" / "answers.csv");
  ASSERT_FALSE(lines.empty());
  int64_t whole = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (std::count(lines[i].begin(), lines[i].end(), ',') != 11) {
      EXPECT_EQ(i + 1, lines.size()) << "only the answer being written may be partial";
      break;
    }
    EXPECT_EQ(lines[i].substr(0, lines[i].find(',')), std::to_string(i - 1));
    ++whole;
  }
  EXPECT_GE(whole, reported) << "answers made before the kill were lost";
}

// Learning state survives a crash and is never counted twice: with --checkpoint-every
// the state is saved (atomically) whenever no sample is queued, holding exactly the
// samples answered; after kill -9 a restart continues from the last checkpoint.
TEST_F(DeviceProcessTest, AKilledLearnerRestartsFromItsLastCheckpointCountingEachSampleOnce) {
  const std::string decision_dir = (dir_ / "decision").string();
  ASSERT_NO_FATAL_FAILURE(CalibrateDefault(decision_dir));
  const std::string state = (dir_.path() / "learner.json").string();
  std::vector<std::string> args = Device();
  args.insert(args.end(),
              {"--data", kFashionMnistDir, "--decision", decision_dir + "/decision.json", "--learn",
               "--label-audits", "--learner-state", state, "--checkpoint-every", "100",
               "--progress-every", "50", "--no-drift"});
  const pid_t pid = testing::SpawnProcess(args, dir_.path());
  ASSERT_GT(pid, 0);
  for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
       Stderr().find("650 samples") == std::string::npos &&
       std::chrono::steady_clock::now() < give_up;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // Polling a file.
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  auto saved = ReadTextFile(state);
  ASSERT_TRUE(saved.ok()) << "a checkpoint was written";
  const uint64_t checkpointed = nlohmann::json::parse(*saved)["counters"]["samples"];
  EXPECT_EQ(checkpointed % 100, 0u);
  EXPECT_GE(checkpointed, 600u);
  EXPECT_LE(checkpointed, Lines(dir_ / "out" / "answers.csv").size() - 1)
      << "the checkpoint counts no sample that was not answered";
  // The restart continues from it: 300 more samples, each counted once.
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "300", "--decision",
                           decision_dir + "/decision.json", "--learn", "--label-audits",
                           "--learner-state", state, "--no-drift"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  saved = ReadTextFile(state);
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(nlohmann::json::parse(*saved)["counters"]["samples"], checkpointed + 300);
}

// Load-aware offloading through the real executable: behind a link adding 20 ms each
// way, the device that prices the round trip offloads less than the one that does not.
TEST_F(DeviceProcessTest, LoadAwareOffloadingAsksASlowServerLess) {
  const std::string decision_dir = (dir_ / "decision").string();
  ASSERT_NO_FATAL_FAILURE(CalibrateDefault(decision_dir));
  testing::FaultProxy slow(servers_->port("rest"));
  slow.set_delay(std::chrono::milliseconds(20));
  int offloaded[2] = {0, 0};
  for (int aware = 0; aware < 2; ++aware) {
    std::vector<std::string> args = DeviceOn(slow.port());
    args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "150", "--decision",
                             decision_dir + "/decision.json", "--no-drift"});
    if (aware) args.insert(args.end(), {"--offload-cost-per-ms", "0.01"});
    ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
    offloaded[aware] = Summary()["offloaded"].get<int>();
  }
  EXPECT_GT(offloaded[0], 5);
  EXPECT_LT(offloaded[1], offloaded[0])
      << "fixed " << offloaded[0] << ", load-aware " << offloaded[1];
}

// Batched offload answers accepted samples before the offloads queued ahead of them;
// the drift detector must still see the samples in submission order. On the clean test
// set every batch setting raises no alarm, and the detector's verdict is the same as
// unbatched (it was 2-4 false alarms per 10,000 with --offload-batch 8).
TEST_F(DeviceProcessTest, BatchedOffloadFeedsTheDriftDetectorInSubmissionOrder) {
  const std::string decision_dir = (dir_ / "decision").string();
  ASSERT_NO_FATAL_FAILURE(CalibrateDefault(decision_dir));
  nlohmann::json unbatched;
  for (const char* batch : {"1", "8", "32"}) {
    auto args = Device();
    args.insert(args.end(),
                {"--data", kFashionMnistDir, "--decision", decision_dir + "/decision.json",
                 "--offload-batch", batch, "--offload-batch-delay-ms", "2"});
    EXPECT_EQ(RunProcess(args, dir_.path()), 0) << "batch " << batch << ": " << Stderr();
    const nlohmann::json summary = Summary();
    EXPECT_EQ(summary["samples"], 10000);
    EXPECT_EQ(summary["fallbacks"], 0) << "batch " << batch;
    EXPECT_EQ(summary["drift"]["detected"], false) << "batch " << batch << ": " << summary.dump();
    if (unbatched.is_null()) {
      unbatched = summary["drift"];
    } else {
      EXPECT_EQ(summary["drift"], unbatched) << "batch " << batch;
    }
  }
}

// A wrong token is permanent: the device stops offloading after the first refusal,
// says so, answers every sample locally and exits 5 (it used to retry every offload).
TEST_F(DeviceProcessTest, ARefusedTokenStopsOffloadingAndExitsFive) {
  HttpServer guarded(&service_, {.host = "127.0.0.1", .port = 0, .bearer_token = "right"});
  ASSERT_TRUE(guarded.Start().ok());
  std::vector<std::string> args = DeviceOn(guarded.port());
  args.insert(args.end(), {"--auth-token", "wrong", "--data", kFashionMnistDir, "--limit", "200",
                           "--theta", "1.1"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 5) << Stderr();
  EXPECT_NE(Stderr().find("offloading stopped"), std::string::npos) << Stderr();
  const nlohmann::json summary = Summary();
  EXPECT_EQ(summary["samples"], 200);
  EXPECT_EQ(summary["fallbacks"], 200);
  ASSERT_EQ(summary["fallback_causes"].size(), 1u) << summary.dump();
  EXPECT_NE(summary["fallback_causes"].begin().key().find("offloading stopped"), std::string::npos);
}

// A hung server (accepts, never answers): after three timeouts the breaker opens and
// the rest fall back at once, instead of each waiting its whole deadline (40 x 300 ms).
TEST_F(DeviceProcessTest, AHungServerCostsAFewDeadlinesNotOnePerSample) {
  testing::FaultProxy hung(servers_->port("rest"));
  hung.set_mode(testing::FaultProxy::Mode::kStall);
  std::vector<std::string> args = DeviceOn(hung.port());
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "40", "--theta", "1.1",
                           "--deadline-ms", "300"});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RunProcess(args, dir_.path()), 5) << Stderr();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 6.0) << "40 deadlines of 300 ms would take 12 s";
  const nlohmann::json causes = Summary()["fallback_causes"];
  int open = 0;
  for (const auto& [cause, count] : causes.items()) {
    if (cause.find("circuit open") != std::string::npos) open += count.get<int>();
  }
  EXPECT_GE(open, 30) << causes.dump();
}

TEST_F(DeviceProcessTest, RunsACalibratedLogisticTemperatureModule) {
  const std::string decision_dir = (dir_ / "decision").string();
  ASSERT_EQ(RunProcess({HIEDGE_BINARY, "calibrate", "--local", kModels + "/sml.json", "--remote",
                        kModels + "/lml.json", "--module", "logistic_top2", "--temperature",
                        "--objective", "certified_accuracy", "--target-accuracy", "0.93", "--delta",
                        "0.05", "--out", decision_dir},
                       dir_.path()),
            0)
      << Stderr();
  auto config = ReadDecisionConfig(decision_dir + "/decision.json");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->module, "logistic_top2");
  EXPECT_EQ(config->objective, "certified_accuracy");
  EXPECT_NE(config->temperature, 1.0);
  EXPECT_GE(config->calibration_accuracy, 0.93);
  auto args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "300", "--decision",
                           decision_dir + "/decision.json"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  const nlohmann::json summary = Summary();
  EXPECT_NE(summary["policy"].get<std::string>().find("logistic_top2 at T="), std::string::npos)
      << summary.dump();
  EXPECT_EQ(summary["samples"], 300);
  EXPECT_GT(summary["offloaded"].get<int>(), 0);
  EXPECT_EQ(summary["fallbacks"], 0);
  EXPECT_EQ(summary["drift"]["detected"], false) << "300 clean test images";

  // Learning in the field: audits labelled by the stream's labels; the learner's state
  // is saved and the second run continues from it.
  const std::string state = (dir_.path() / "learner.json").string();
  for (uint64_t run = 1; run <= 2; ++run) {
    args = Device();
    args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "300", "--decision",
                             decision_dir + "/decision.json", "--learn", "--audit-rate", "0.1",
                             "--label-audits", "--learner-state", state});
    ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
    EXPECT_NE(Stdout().find("learner: theta"), std::string::npos) << Stdout();
    auto saved = ReadTextFile(state);
    ASSERT_TRUE(saved.ok());
    const nlohmann::json j = nlohmann::json::parse(*saved);
    EXPECT_EQ(j["counters"]["samples"], 300 * run) << "continued from the saved state";
    EXPECT_GT(j["counters"]["labelled"].get<int>(), 0) << j.dump();
  }
  size_t audits = 0;
  for (const std::string& line : Lines(dir_ / "out" / "answers.csv")) {
    // audit is the last column but one (drift_alarm is the last).
    audits += line.size() > 3 && line.compare(line.size() - 3, 3, "1,0") == 0;
  }
  EXPECT_GT(audits, 0u);
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "10", "--learn"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 2) << "--learn needs --decision";

  // Drift: 1,000 clean test images, then the same images with Gaussian noise, as raw
  // floats on a stream. The device flags it (summary, exit code 6) soon after the shift.
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  const Dataset clean = Head(*test, 1000);
  auto noisy = ApplyCorruption(clean, "noise", kDefaultCorruptionSeverity, 3);
  ASSERT_TRUE(noisy.ok());
  {
    std::ofstream raw(dir_.path() / "stream.f32", std::ios::binary);
    raw.write(reinterpret_cast<const char*>(clean.images.data()),
              static_cast<std::streamsize>(clean.images.size() * sizeof(float)));
    raw.write(reinterpret_cast<const char*>(noisy->images.data()),
              static_cast<std::streamsize>(noisy->images.size() * sizeof(float)));
  }
  args = Device();
  args.insert(args.end(), {"--raw", (dir_.path() / "stream.f32").string(), "--raw-format", "f32",
                           "--decision", decision_dir + "/decision.json"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 6) << Stderr();
  EXPECT_NE(Stderr().find("drift detected"), std::string::npos) << Stderr();
  const nlohmann::json drift = Summary()["drift"];
  EXPECT_EQ(drift["detected"], true) << drift.dump();
  const auto first = drift["first_alarms"][0]["sample"].get<uint64_t>();
  EXPECT_GT(first, 1000u) << "no alarm on the clean part: " << drift.dump();
  EXPECT_LE(first, 1500u) << "flagged within 500 shifted samples: " << drift.dump();
  // Every alarm is in the episodes, and the sample that raised one is marked in
  // answers.csv under the same number.
  uint64_t episode_alarms = 0;
  for (const auto& e : drift["episodes"]) episode_alarms += e["alarms"].get<uint64_t>();
  EXPECT_GE(episode_alarms, drift["first_alarms"].size());
  const auto marked = Lines(dir_ / "out" / "answers.csv");
  ASSERT_GT(marked.size(), first + 1);
  EXPECT_EQ(marked[first + 1].substr(0, marked[first + 1].find(',')), std::to_string(first));
  EXPECT_EQ(marked[first + 1].back(), '1') << marked[first + 1];
  // The label-free accuracy estimate: 500-sample windows, trusted on the clean part,
  // not in the window of the first alarm.
  const nlohmann::json estimate = Summary()["estimated_accuracy"];
  ASSERT_EQ(estimate["windows"].size(), 4u) << estimate.dump();
  for (int w = 0; w < 2; ++w) {
    EXPECT_EQ(estimate["windows"][w]["trustworthy"], true) << estimate.dump();
    EXPECT_GT(estimate["windows"][w]["estimated_local_accuracy"].get<double>(), 0.85);
    EXPECT_TRUE(estimate["windows"][w]["observed_local_accuracy"].is_null()) << "no labels";
  }
  EXPECT_EQ(estimate["windows"][first / 500]["trustworthy"], false) << estimate.dump();

  // S-ML only (--theta 0 beside the config): nothing is offloaded, and the detector
  // still judges at the calibrated θ, so the shift is still flagged.
  args.insert(args.end(), {"--theta", "0"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 6) << Stderr();
  EXPECT_EQ(Summary()["offloaded"], 0);
  EXPECT_EQ(Summary()["drift"]["detected"], true);

  // A config naming a module the device does not know is corrupt (exit code 4) and
  // refused with the module's name.
  ASSERT_TRUE(WriteTextFile(decision_dir + "/bad.json",
                            R"({"version": 2, "module": "oracle", "theta": 0.5})")
                  .ok());
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "10", "--decision",
                           decision_dir + "/bad.json"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 4);
  EXPECT_NE(Stderr().find("unknown decision module 'oracle'"), std::string::npos) << Stderr();
}

// EE-HI from the command line: samples sure at the S-ML's exit are answered there and
// never offloaded.
TEST_F(DeviceProcessTest, EarlyExitsAnswerSureSamplesOnTheDevice) {
  auto args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "200", "--theta", "0.8",
                           "--exit-threshold", "0.95"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  const auto answers = Lines(dir_ / "out" / "answers.csv");
  ASSERT_EQ(answers.size(), 201u);
  size_t at_exit = 0;
  for (size_t i = 1; i < answers.size(); ++i) {
    std::stringstream row(answers[i]);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 12u);
    if (cells[9] == "0") {
      ++at_exit;
      EXPECT_EQ(cells[4], "0") << "answered at the exit, never offloaded: " << answers[i];
      EXPECT_GE(std::stod(cells[3]), 0.95) << answers[i];
    }
  }
  EXPECT_GT(at_exit, 20u);
  EXPECT_EQ(Summary()["answered_at_early_exit"]["0"], at_exit);
  // The S-ML has one exit: two thresholds are bad usage.
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "10", "--exit-threshold", "0.9",
                           "--exit-threshold", "0.9"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 2);
  EXPECT_NE(Stderr().find("2 exit threshold(s)"), std::string::npos) << Stderr();
}

TEST_F(DeviceProcessTest, RawSamplesFromStdinAreAnsweredUnlabelled) {
  // Five Fashion-MNIST test images as bytes, back to back.
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  const std::string raw = (dir_ / "five.u8").string();
  {
    std::ofstream out(raw, std::ios::binary);
    for (size_t i = 0; i < 5 * test->image_elements(); ++i) {
      out.put(static_cast<char>(static_cast<unsigned char>(test->images[i] * 255.0f + 0.5f)));
    }
  }
  auto args = Device();
  args.insert(args.end(), {"--raw", "-", "--raw-format", "u8", "--answers", "-"});
  ASSERT_EQ(RunProcess(args, dir_.path(), raw), 0) << Stderr();
  const auto lines = Lines(dir_ / "stdout.txt");
  // stdout is the CSV and nothing else: the text summary goes to stderr.
  ASSERT_EQ(lines.size(), 6u) << Stdout();
  EXPECT_NE(Stderr().find("samples"), std::string::npos) << Stderr();
  EXPECT_EQ(lines[0].rfind("sample,label,prediction", 0), 0u);
  for (size_t i = 1; i <= 5; ++i) EXPECT_EQ(lines[i].rfind(std::to_string(i - 1) + ",-1,", 0), 0u);
  EXPECT_EQ(Summary()["samples"], 5);
  EXPECT_TRUE(Summary()["accuracy"].is_null());

  // A stream that breaks off mid-sample: the whole samples are answered, exit code 4.
  {
    std::ofstream out(raw, std::ios::binary | std::ios::app);
    out << "partial";
  }
  args = Device();
  args.insert(args.end(), {"--raw", raw, "--raw-format", "u8"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 4) << Stderr();
  EXPECT_NE(Stderr().find("ended 7 bytes into a sample"), std::string::npos) << Stderr();
  EXPECT_EQ(Lines(dir_ / "out" / "answers.csv").size(), 6u);
}

TEST_F(DeviceProcessTest, AnUnreachableServerIsVisibleAndExitsFive) {
  auto args = Device();
  args[6] = "127.0.0.1:1";  // --server: nothing listens on port 1.
  args.insert(args.end(), {"--data", kFashionMnistDir, "--limit", "50", "--theta", "1.1"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 5) << Stderr();
  EXPECT_EQ(Lines(dir_ / "out" / "answers.csv").size(), 51u) << "every sample still answered";
  const nlohmann::json summary = Summary();
  EXPECT_EQ(summary["fallbacks"], 50);
  EXPECT_EQ(summary["fallback_causes"].size(), 1u) << "refused at once: no breaker needed";
  EXPECT_NE(Stderr().find("fell back"), std::string::npos);
}

TEST_F(DeviceProcessTest, BadUsageAndMissingFilesHaveTheirExitCodes) {
  auto args = Device();
  args.insert(args.end(), {"--transport", "grpc", "--data", kFashionMnistDir});
  EXPECT_EQ(RunProcess(args, dir_.path()), 2) << "REST-only build";
  EXPECT_NE(Stderr().find("hiedge-device-grpc"), std::string::npos) << Stderr();
  args = Device();
  args.insert(args.end(), {"--idx", "/nonexistent/images.idx3"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 3) << Stderr();
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--raw", "-"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 2) << Stderr();
  EXPECT_EQ(RunProcess({HIEDGE_DEVICE_BINARY, "--no-such-flag"}, dir_.path()), 2);
  args = Device();
  args.insert(args.end(), {"--data", kFashionMnistDir, "--offload-cost-per-ms", "0.01"});
  EXPECT_EQ(RunProcess(args, dir_.path()), 2) << "load-aware offloading needs --decision";
  EXPECT_NE(Stderr().find("--offload-cost-per-ms needs a --decision"), std::string::npos);
  EXPECT_EQ(RunProcess({HIEDGE_DEVICE_BINARY, "--help"}, dir_.path()), 0);
  EXPECT_EQ(RunProcess({HIEDGE_DEVICE_BINARY, "--version"}, dir_.path()), 0);
  EXPECT_NE(Stdout().find("hiedge-device 0."), std::string::npos) << Stdout();
  // hiedge: --version, and an unknown command is named with the list of known ones.
  EXPECT_EQ(RunProcess({HIEDGE_BINARY, "--version"}, dir_.path()), 0);
  EXPECT_NE(Stdout().find("hiedge 0."), std::string::npos) << Stdout();
  EXPECT_EQ(RunProcess({HIEDGE_BINARY, "frobnicate"}, dir_.path()), 2);
  EXPECT_NE(Stderr().find("unknown command 'frobnicate'"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("calibrate"), std::string::npos) << Stderr();
  EXPECT_EQ(RunProcess({HIEDGE_BINARY, "calibrate", "--help"}, dir_.path()), 0);
}

TEST_F(DeviceProcessTest, TheGrpcBuildOffloadsOverGrpc) {
  auto args = Device(HIEDGE_DEVICE_GRPC_BINARY);
  args[6] = "127.0.0.1:" + std::to_string(servers_->port("grpc"));
  args.insert(args.end(), {"--transport", "grpc", "--data", kFashionMnistDir, "--limit", "100",
                           "--theta", "0.9"});
  ASSERT_EQ(RunProcess(args, dir_.path()), 0) << Stderr();
  const nlohmann::json summary = Summary();
  EXPECT_GT(summary["remote_answers"].get<int>(), 0);
  EXPECT_EQ(summary["fallbacks"], 0);
}

// The layering, as the loader sees it: hiedge-device pulls in no libtorch, gRPC,
// prometheus or server library.
// `hiedge plan` (seed 001 Table 5) on the shipped models: one plan per profile, a
// chosen strategy that meets the target, an unknown profile refused.
TEST(PlanCommandTest, ChoosesAStrategyMeetingTheTarget) {
  testing::ScopedTempDir dir("hiedge_plan");
  const std::string json = (dir.path() / "plan.json").string();
  ASSERT_EQ(RunProcess({HIEDGE_BINARY, "plan", "--accuracy", "0.93", "--device", "raspberry_pi_4b",
                        "--local", kModels + "/resnet8.json", "--remote", kModels + "/lml.json",
                        "--profiles", std::string(HIEDGE_SOURCE_DIR) + "/data/device_profiles.json",
                        "--json", json},
                       dir.path()),
            0);
  auto text = ReadTextFile(json);
  ASSERT_TRUE(text.ok());
  const nlohmann::json plans = nlohmann::json::parse(*text);
  ASSERT_EQ(plans.size(), 1u);
  int chosen = 0;
  for (const auto& c : plans[0]["candidates"]) {
    if (!c["chosen"].get<bool>()) continue;
    ++chosen;
    EXPECT_GE(c["validation_accuracy"].get<double>(), 0.93 - 1e-9) << c.dump();
  }
  EXPECT_EQ(chosen, 1) << plans.dump();
  EXPECT_EQ(RunProcess({HIEDGE_BINARY, "plan", "--device", "toaster", "--profiles",
                        std::string(HIEDGE_SOURCE_DIR) + "/data/device_profiles.json"},
                       dir.path()),
            2);
}

TEST(DeviceBinaryTest, LinksNoTorchGrpcOrServerLibraries) {
  const testing::ScopedTempDir dir("hiedge_ldd");
  ASSERT_EQ(RunProcess({"/usr/bin/ldd", HIEDGE_DEVICE_BINARY}, dir.path()), 0);
  auto libraries = ReadTextFile((dir.path() / "stdout.txt").string());
  ASSERT_TRUE(libraries.ok());
  for (const char* forbidden : {"torch", "grpc", "prometheus", "boost", "openblas"}) {
    EXPECT_EQ(libraries->find(forbidden), std::string::npos) << forbidden << " in\n" << *libraries;
  }
  EXPECT_NE(libraries->find("XNNPACK"), std::string::npos);
}

}  // namespace
}  // namespace hiedge
