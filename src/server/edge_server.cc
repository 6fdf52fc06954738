#include "hiedge/server/edge_server.h"

#include <chrono>
#include <cstdio>
#include <thread>

namespace hiedge {
namespace {

using Clock = std::chrono::steady_clock;

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string Describe(const ModelRepository::Event& e) {
  std::string line = "repository: " + e.action + " " + e.model;
  if (e.status.ok()) return e.version.empty() ? line : line + " version " + e.version;
  line += ": " + e.status.ToString();
  return e.version.empty() ? line : line + "; still serving version " + e.version;
}

}  // namespace

EdgeServer::EdgeServer(EdgeServerOptions options)
    : options_(std::move(options)), service_(std::make_unique<InferenceService>(options_.limits)) {}

EdgeServer::~EdgeServer() {
  if (grpc_) grpc_->Stop(0);
  if (http_) http_->Stop();
}

void EdgeServer::Log(const std::string& line) const {
  if (options_.log) return options_.log(line);
  std::fprintf(stderr, "%s\n", line.c_str());
}

Status EdgeServer::PollRepository() {
  HIEDGE_ASSIGN_OR_RETURN(auto events, repository_->Poll());
  for (const auto& e : events) Log(Describe(e));
  return Status::Ok();
}

Status EdgeServer::Start() {
  if (!options_.repository.empty()) {
    const LoadOptions load = options_.repository_load;
    repository_ = std::make_unique<ModelRepository>(
        options_.repository, service_.get(),
        [load](const std::string& card) { return LoadModel(card, load); });
    HIEDGE_ASSIGN_OR_RETURN(auto events, repository_->Poll());
    std::string failures;
    for (const auto& e : events) {
      Log(Describe(e));
      if (!e.status.ok()) failures += "; " + e.model + ": " + e.status.message();
    }
    if (service_->ModelNames().empty()) {
      return Status::FailedPrecondition("model repository " + options_.repository +
                                        " has no loadable model" + failures);
    }
  }
  http_ = std::make_unique<HttpServer>(service_.get(), options_.http);
  HIEDGE_RETURN_IF_ERROR(http_->Start());
  if (options_.grpc.port >= 0) {
    GrpcServerOptions grpc = options_.grpc;
    grpc.host = options_.http.host;
    grpc.bearer_token = options_.http.bearer_token;
    grpc_ = std::make_unique<GrpcServer>(service_.get(), grpc);
    HIEDGE_RETURN_IF_ERROR(grpc_->Start());
  }
  return Status::Ok();
}

Status EdgeServer::Run() {
  if (!http_) return Status::FailedPrecondition("EdgeServer::Run before Start");
  auto next_poll = Clock::now() + Seconds(options_.repository_poll_seconds);
  while (!shutdown_requested_.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (repository_ && options_.repository_poll_seconds > 0 && Clock::now() >= next_poll) {
      next_poll = Clock::now() + Seconds(options_.repository_poll_seconds);
      if (Status polled = PollRepository(); !polled.ok()) Log("repository: " + polled.ToString());
    }
  }
  Drain();
  return Status::Ok();
}

void EdgeServer::Drain() {
  service_->SetReady(false);
  http_->BeginDrain();  // Keep-alive clients are told to leave with their next reply.
  const auto start = Clock::now();
  Log("shutting down: not ready; draining for " + std::to_string(options_.drain_min_seconds) +
      " s at least, " + std::to_string(options_.drain_max_seconds) + " s at most");
  const auto earliest = start + Seconds(options_.drain_min_seconds);
  const auto latest =
      start + Seconds(std::max(options_.drain_max_seconds, options_.drain_min_seconds));
  while (Clock::now() < latest && (Clock::now() < earliest || service_->PendingRequests() > 0)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Both listeners close together; every request that had begun by then is answered
  // within what is left of the drain (at least a second).
  const int grace_ms = static_cast<int>(std::max<int64_t>(
      1000, std::chrono::duration_cast<std::chrono::milliseconds>(latest - Clock::now()).count()));
  std::thread grpc_stop;
  if (grpc_) grpc_stop = std::thread([this, grace_ms] { grpc_->Stop(grace_ms); });
  http_->Stop(grace_ms);
  if (grpc_stop.joinable()) grpc_stop.join();
  const int64_t abandoned = service_->PendingRequests();
  Log(abandoned > 0 ? "stopped with " + std::to_string(abandoned) + " request(s) still running"
                    : "stopped");
}

}  // namespace hiedge
