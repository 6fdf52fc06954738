#include <csignal>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "hiedge/grpc_server.h"
#include "hiedge/http_server.h"
#include "hiedge/model_repository.h"

namespace hiedge::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct ServeArgs {
  std::string models_dir = "models";
  std::vector<std::string> models = {"lml", "sml"};
  std::string repository;  // Triton-layout model repository; replaces --model.
  double poll_seconds = 5;
  HttpServerOptions http;
  GrpcServerOptions grpc;
  BatchingConfig batching;
  int threads = 0;
  double drain_seconds = 10;
};

void Report(const std::vector<ModelRepository::Event>& events) {
  for (const auto& e : events) {
    if (e.status.ok()) {
      std::fprintf(stderr, "repository: %s %s%s%s\n", e.action.c_str(), e.model.c_str(),
                   e.version.empty() ? "" : " version ", e.version.c_str());
    } else {
      std::fprintf(stderr, "repository: %s %s: %s%s%s\n", e.action.c_str(), e.model.c_str(),
                   e.status.ToString().c_str(), e.version.empty() ? "" : "; still serving version ",
                   e.version.c_str());
    }
  }
}

Status Serve(const ServeArgs& a) {
  SetInferenceThreads(a.threads);
  InferenceService service;
  std::unique_ptr<ModelRepository> repository;
  if (!a.repository.empty()) {
    repository = std::make_unique<ModelRepository>(a.repository, &service);
    HIEDGE_ASSIGN_OR_RETURN(auto events, repository->Poll());
    Report(events);
  } else {
    for (const std::string& name : a.models) {
      HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> backend,
                              LoadModel(a.models_dir + "/" + name + ".json"));
      HIEDGE_RETURN_IF_ERROR(service.AddModel(name, std::move(backend), a.batching));
    }
  }
  HttpServer server(&service, a.http);
  HIEDGE_RETURN_IF_ERROR(server.Start());
  GrpcServerOptions grpc_options = a.grpc;
  grpc_options.host = a.http.host;
  grpc_options.bearer_token = a.http.bearer_token;
  std::unique_ptr<GrpcServer> grpc;
  if (grpc_options.port >= 0) {
    grpc = std::make_unique<GrpcServer>(&service, grpc_options);
    HIEDGE_RETURN_IF_ERROR(grpc->Start());
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::fprintf(stderr, "hiedge serving %zu model(s) on http://%s:%d", service.ModelNames().size(),
               a.http.host.c_str(), server.port());
  if (grpc) {
    std::fprintf(stderr, " and grpc%s://%s:%d", grpc_options.tls_cert_file.empty() ? "" : "s",
                 a.http.host.c_str(), grpc->port());
  }
  std::fprintf(stderr, " (Open Inference Protocol v2)\n");
  auto next_poll = std::chrono::steady_clock::now();
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (repository && a.poll_seconds > 0 && std::chrono::steady_clock::now() >= next_poll) {
      next_poll = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(a.poll_seconds * 1000));
      auto events = repository->Poll();
      if (events.ok()) {
        Report(*events);
      } else {
        std::fprintf(stderr, "repository: %s\n", events.status().ToString().c_str());
      }
    }
  }
  // Graceful shutdown: report not-ready so balancers stop sending, let in-flight
  // requests finish (bounded), then stop.
  service.SetReady(false);
  std::fprintf(stderr, "shutting down: not ready; draining up to %.1f s\n", a.drain_seconds);
  const auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(a.drain_seconds * 1000));
  auto in_flight = [&service] {
    int64_t pending = 0;
    for (const std::string& name : service.ModelNames()) {
      auto stats = service.GetModelStats(name);
      if (stats.ok()) pending += stats->pending_requests;
    }
    return pending;
  };
  while (in_flight() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (grpc) grpc->Stop();
  server.Stop();
  std::fprintf(stderr, "stopped\n");
  return Status::Ok();
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "serve", "Run the edge server (Open Inference Protocol v2 over REST and gRPC)");
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--models-dir", a->models_dir, "Folder of model cards")->capture_default_str();
  cmd->add_option("--model", a->models, "Models to serve (card names in --models-dir)")
      ->capture_default_str();
  cmd->add_option(
         "--model-repository", a->repository,
         "Serve a Triton-layout repository (<repo>/<model>/config.pbtxt + numbered version "
         "folders) instead of --model; batching comes from each config.pbtxt")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--repository-poll-seconds", a->poll_seconds,
                  "Rescan the repository this often; changed models reload atomically, a failed "
                  "load keeps the old one (0 = load once)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--host", a->http.host)->capture_default_str();
  cmd->add_option("--port", a->http.port, "0 = any free port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--grpc-port", a->grpc.port, "gRPC port (0 = any free port, -1 = no gRPC)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  cmd->add_option("--grpc-max-threads", a->grpc.max_threads,
                  "gRPC threads at most; RPCs beyond get RESOURCE_EXHAUSTED at once")
      ->check(CLI::Range(4, 100000))
      ->capture_default_str();
  cmd->add_option("--grpc-tls-cert", a->grpc.tls_cert_file,
                  "Serve gRPC over TLS with this PEM certificate chain")
      ->check(CLI::ExistingFile);
  cmd->add_option("--grpc-tls-key", a->grpc.tls_key_file, "PEM private key for --grpc-tls-cert")
      ->check(CLI::ExistingFile);
  cmd->add_option("--max-body-bytes", a->http.max_body_bytes, "Largest request body / gRPC message")
      ->capture_default_str();
  cmd->add_option("--http-threads", a->http.worker_threads)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-batch-size", a->batching.max_batch_size,
                  "Dynamic batching: rows per batch (0 = off)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--preferred-batch-size", a->batching.preferred_batch_sizes,
                  "Dynamic batching: run at once at these sizes");
  cmd->add_option("--max-queue-delay-us", a->batching.max_queue_delay_us,
                  "Dynamic batching: longest wait for a fuller batch")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--max-queue-size", a->batching.max_queue_size,
                  "Dynamic batching: queued requests at most (0 = unbounded); beyond: 503")
      ->capture_default_str();
  cmd->add_option("--auth-token", a->http.bearer_token,
                  "Require 'Authorization: Bearer <token>' on REST (all but /v2/health/*) and gRPC "
                  "(all but ServerLive/ServerReady/ModelReady)");
  cmd->add_option("--drain-seconds", a->drain_seconds,
                  "On SIGTERM/SIGINT: longest wait for in-flight requests")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads per inference (0 = default)")
      ->capture_default_str();
  cmd->callback([a, exit_code] {
    a->grpc.max_message_bytes = a->http.max_body_bytes;
    *exit_code = ExitCodeFor(Serve(*a));
  });
}

}  // namespace hiedge::cli
