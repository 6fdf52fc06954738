// `hiedge serve` as a child process for integration tests (HIEDGE_BINARY).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace hiedge::testing {

inline const std::string kShippedModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

// `hiedge serve` in a child process, its stderr in a log file.
class ServerProcess {
 public:
  // Serves the shipped S-ML card unless `models` gives other serve arguments.
  ServerProcess(int http_port, int grpc_port, const std::string& log,
                std::vector<std::string> models = {"--models-dir", kShippedModels, "--model",
                                                   "sml"})
      : log_(log) {
    std::vector<std::string> args = {HIEDGE_BINARY, "serve",
                                     "--port",      std::to_string(http_port),
                                     "--grpc-port", std::to_string(grpc_port),
                                     "--threads",   "1"};
    args.insert(args.end(), models.begin(), models.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    spawned_ = posix_spawn(&pid_, HIEDGE_BINARY, &actions, nullptr, argv.data(), environ) == 0;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ServerProcess() { Kill(); }

  // Waits for the "serving ... on http://host:P and grpc://host:Q" line.
  bool WaitServing(int* http_port, int* grpc_port) {
    const std::regex line(R"(http://[^:]+:(\d+) and grpc://[^:]+:(\d+))");
    for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < give_up;) {
      std::ifstream in(log_);
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      std::smatch m;
      if (std::regex_search(text, m, line)) {
        *http_port = std::stoi(m[1]);
        *grpc_port = std::stoi(m[2]);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // The same for a server started without gRPC (--grpc-port -1).
  bool WaitServingRest(int* http_port) {
    const std::regex line(R"(serving .* on http://[^:]+:(\d+))");
    for (auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
         std::chrono::steady_clock::now() < give_up;) {
      const std::string text = Log();
      std::smatch m;
      if (std::regex_search(text, m, line)) {
        *http_port = std::stoi(m[1]);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  void Kill() {
    if (!spawned_) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    spawned_ = false;
  }
  bool spawned() const { return spawned_; }
  pid_t pid() const { return pid_; }
  void Signal(int signal) { kill(pid_, signal); }
  // A /proc/<pid>/status field in bytes (VmRSS now, VmHWM the peak so far).
  size_t MemoryField(const std::string& field) const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(field + ":", 0) == 0) return std::stoul(line.substr(field.size() + 1)) * 1024;
    }
    return 0;
  }
  // Waits for the process to exit; its exit code, or -1 if it did not exit in time
  // (or was killed by a signal).
  int WaitExit(std::chrono::seconds timeout) {
    for (auto give_up = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < give_up;) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        spawned_ = false;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  std::string log_;
  pid_t pid_ = 0;
  bool spawned_ = false;
};

}  // namespace hiedge::testing
