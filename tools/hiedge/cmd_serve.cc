#include <csignal>
#include <cstdio>
#include <thread>

#include "commands.h"
#include "hiedge/http_server.h"

namespace hiedge::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct ServeArgs {
  std::string models_dir = "models";
  std::vector<std::string> models = {"lml", "sml"};
  HttpServerOptions http;
  BatchingConfig batching;
  int threads = 0;
  double drain_seconds = 10;
};

Status Serve(const ServeArgs& a) {
  SetInferenceThreads(a.threads);
  InferenceService service;
  for (const std::string& name : a.models) {
    HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> backend,
                            LoadModel(a.models_dir + "/" + name + ".json"));
    HIEDGE_RETURN_IF_ERROR(service.AddModel(name, std::move(backend), a.batching));
  }
  HttpServer server(&service, a.http);
  HIEDGE_RETURN_IF_ERROR(server.Start());
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::fprintf(stderr, "hiedge serving %zu model(s) on http://%s:%d (Open Inference Protocol v2)\n",
               a.models.size(), a.http.host.c_str(), server.port());
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
  server.Stop();
  std::fprintf(stderr, "stopped\n");
  return Status::Ok();
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the edge server (Open Inference Protocol v2, REST)");
  auto a = std::make_shared<ServeArgs>();
  cmd->add_option("--models-dir", a->models_dir, "Folder of model cards")->capture_default_str();
  cmd->add_option("--model", a->models, "Models to serve (card names)")->capture_default_str();
  cmd->add_option("--host", a->http.host)->capture_default_str();
  cmd->add_option("--port", a->http.port, "0 = any free port")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_option("--max-body-bytes", a->http.max_body_bytes)->capture_default_str();
  cmd->add_option("--http-threads", a->http.worker_threads)->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--max-batch-size", a->batching.max_batch_size,
                  "Dynamic batching: rows per batch (0 = off)")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--preferred-batch-size", a->batching.preferred_batch_sizes,
                  "Dynamic batching: run at once at these sizes");
  cmd->add_option("--max-queue-delay-us", a->batching.max_queue_delay_us,
                  "Dynamic batching: longest wait for a fuller batch")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--max-queue-size", a->batching.max_queue_size,
                  "Dynamic batching: queued requests at most (0 = unbounded); beyond: 503")->capture_default_str();
  cmd->add_option("--auth-token", a->http.bearer_token,
                  "Require 'Authorization: Bearer <token>' on all but /v2/health/*");
  cmd->add_option("--drain-seconds", a->drain_seconds,
                  "On SIGTERM/SIGINT: longest wait for in-flight requests")->check(CLI::NonNegativeNumber)->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads per inference (0 = default)")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Serve(*a)); });
}

}  // namespace hiedge::cli
