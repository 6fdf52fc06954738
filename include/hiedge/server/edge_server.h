// The edge server as one object: the inference service, its REST and gRPC transports,
// the model-repository poller and graceful drain. `hiedge serve` is a thin shell around
// it; embedders use it the same way.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "hiedge/server/grpc_server.h"
#include "hiedge/server/http_server.h"
#include "hiedge/server/model_repository.h"
#include "hiedge/server/server.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct EdgeServerOptions {
  HttpServerOptions http;
  GrpcServerOptions grpc;  // grpc.port -1: no gRPC. Host and token follow `http`.
  ServiceLimits limits;
  // Triton-layout repository to serve and rescan ("" = the caller adds models).
  std::string repository;
  double repository_poll_seconds = 5;  // 0 = load once.
  LoadOptions repository_load;         // Backend and threads for repository models.
  // Drain: once shutdown is asked, readiness is false for at least drain_min_seconds
  // (so balancers and Kubernetes see it and stop sending) and until no request is in
  // flight, but no longer than drain_max_seconds; then the transports stop.
  double drain_min_seconds = 5;
  double drain_max_seconds = 30;
  // Where lifecycle and repository messages go (one line each, no newline). Default:
  // standard error.
  std::function<void(const std::string&)> log;
};

// Start/Run/RequestShutdown are for one owner thread, except RequestShutdown, which
// is safe from any thread and from a signal handler.
class EdgeServer {
 public:
  explicit EdgeServer(EdgeServerOptions options);
  ~EdgeServer();
  EdgeServer(const EdgeServer&) = delete;
  EdgeServer& operator=(const EdgeServer&) = delete;

  // The service, to add models before Start() when no repository is used.
  InferenceService& service() { return *service_; }

  // Loads the repository (if any; a repository with no loadable model is an error that
  // names each failure), then starts the transports.
  Status Start();
  // Serves, polling the repository, until RequestShutdown(); then drains and stops.
  Status Run();
  // Asks Run() to drain and return. Async-signal-safe.
  void RequestShutdown() { shutdown_requested_.store(true); }

  int http_port() const { return http_ ? http_->port() : 0; }
  int grpc_port() const { return grpc_ ? grpc_->port() : -1; }

 private:
  void Log(const std::string& line) const;
  Status PollRepository();
  void Drain();

  EdgeServerOptions options_;
  std::unique_ptr<InferenceService> service_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcServer> grpc_;
  std::atomic<bool> shutdown_requested_{false};
  static_assert(std::atomic<bool>::is_always_lock_free, "signal-safe shutdown flag");
};

}  // namespace hiedge
