#include "eval/fleet/fleet_servers.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "common/files.h"

extern char** environ;

namespace hiedge::fleet {
namespace {

// The value of every sample of `metric` (any labels) in a Prometheus text page, summed.
double SumOf(const std::string& page, const std::string& metric) {
  double sum = 0;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(metric, 0) != 0) continue;
    const char next = line.size() > metric.size() ? line[metric.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    sum += std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

double CpuSecondsOf(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // Field 3 is the state.
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

ServerScrape Scrape(const std::string& endpoint) {
  ServerScrape s;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return s;
  httplib::Client client(endpoint.substr(0, colon), std::atoi(endpoint.c_str() + colon + 1));
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(2, 0);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return s;
  s.ok = true;
  s.requests = SumOf(res->body, "nv_inference_request_success");
  s.queue_us = SumOf(res->body, "nv_inference_queue_duration_us");
  s.compute_us = SumOf(res->body, "nv_inference_compute_infer_duration_us");
  s.price = SumOf(res->body, "hiedge_offload_price");
  s.refused = SumOf(res->body, "hiedge_admission_refused_total");
  return s;
}

ServerProcesses::~ServerProcesses() { Stop(); }

Status ServerProcesses::Start(const std::string& binary, const std::vector<std::string>& args,
                              int count, const std::string& log_dir) {
  for (int i = 0; i < count; ++i) {
    const std::string log = log_dir + "/server" + std::to_string(i) + ".log";
    std::vector<std::string> argv_text = {binary, "serve"};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    argv_text.insert(argv_text.end(), {"--port", "0"});
    std::vector<char*> argv;
    for (std::string& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) return Status::IoError("cannot write " + log);
    // fork + exec rather than posix_spawn, to ask the kernel to kill the server when
    // this process dies however it dies (PR_SET_PDEATHSIG, which follows the calling
    // thread: call Start from a thread that lives as long as the servers should): a
    // crashed or killed harness leaves no server behind. The child calls only
    // async-signal-safe functions.
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
      close(log_fd);
      return Status::IoError(std::string("cannot start ") + binary + ": " + std::strerror(errno));
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // The parent died before the prctl.
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execve(binary.c_str(), argv.data(), environ);
      _exit(127);
    }
    close(log_fd);
    pids_.push_back(pid);
    // Wait for "... on http://host:port".
    const std::regex address(R"(on http://([^:\s]+):(\d+))");
    const std::regex grpc_address(R"(grpc://([^:\s]+):(\d+))");
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::string endpoint;
    while (endpoint.empty()) {
      auto text = ReadTextFile(log);
      std::smatch m;
      if (text.ok() && std::regex_search(*text, m, address)) {
        endpoint = m[1].str() + ":" + m[2].str();
        if (std::regex_search(*text, m, grpc_address)) {
          grpc_endpoints_.push_back(m[1].str() + ":" + m[2].str());
        }
        break;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pids_.pop_back();
        return Status::Unavailable("server " + std::to_string(i) + " exited at start; see " + log);
      }
      if (std::chrono::steady_clock::now() > give_up)
        return Status::Unavailable("server " + std::to_string(i) + " did not start in 60 s; see " +
                                   log);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    endpoints_.push_back(endpoint);
  }
  return Status::Ok();
}

void ServerProcesses::Stop() {
  for (pid_t pid : pids_) kill(pid, SIGTERM);
  for (pid_t pid : pids_) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  pids_.clear();
  endpoints_.clear();
  grpc_endpoints_.clear();
}

double ServerProcesses::CpuSeconds() const {
  double total = 0;
  for (pid_t pid : pids_) total += CpuSecondsOf(pid);
  return total;
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string CpuModel() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "";
}

}  // namespace hiedge::fleet
