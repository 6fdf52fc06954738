// The servers of a fleet run: `hiedge serve` processes started on loopback (or
// servers already running), their metrics scraped per window and their CPU time read
// from /proc. Internal to src/eval.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge::fleet {

// What one scrape of a server's /metrics says (cumulative counters, current gauges).
struct ServerScrape {
  bool ok = false;
  double requests = 0;  // nv_inference_request_success, summed over models.
  double queue_us = 0;  // nv_inference_queue_duration_us.
  double compute_us = 0;
  double price = 0;    // hiedge_offload_price (0 when not served under an SLO).
  double refused = 0;  // hiedge_admission_refused_total, all reasons.
};

// GET /metrics of host:port and the figures above; ok false when unreachable.
ServerScrape Scrape(const std::string& endpoint);

// Started servers: stopped (SIGTERM, then SIGKILL after 5 s) when destroyed, and killed
// by the kernel if this process dies first.
class ServerProcesses {
 public:
  ServerProcesses() = default;
  ~ServerProcesses();
  ServerProcesses(const ServerProcesses&) = delete;
  ServerProcesses& operator=(const ServerProcesses&) = delete;

  // Starts `count` `<binary> serve <args> --port 0` processes, logs in `log_dir`, and
  // waits (at most 60 s each) until each prints its address (and its gRPC address when
  // `args` give it a gRPC port).
  Status Start(const std::string& binary, const std::vector<std::string>& args, int count,
               const std::string& log_dir);
  void Stop();
  const std::vector<std::string>& endpoints() const { return endpoints_; }  // REST.
  const std::vector<std::string>& grpc_endpoints() const { return grpc_endpoints_; }
  // CPU seconds (user + system) the started servers have used so far.
  double CpuSeconds() const;

 private:
  std::vector<pid_t> pids_;
  std::vector<std::string> endpoints_;
  std::vector<std::string> grpc_endpoints_;
};

// This process's CPU seconds (user + system) so far.
double SelfCpuSeconds();
// The CPU model from /proc/cpuinfo ("" when unknown).
std::string CpuModel();

}  // namespace hiedge::fleet
