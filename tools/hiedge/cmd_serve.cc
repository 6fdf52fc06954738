#include <charconv>
#include <csignal>
#include <cstdio>

#include "commands.h"
#include "hiedge/cascade/cascade.h"
#include "hiedge/server/edge_server.h"

namespace hiedge::cli {
namespace {

EdgeServer* g_server = nullptr;
void OnSignal(int) {
  if (g_server != nullptr) g_server->RequestShutdown();
}

struct ServeArgs {
  std::string models_dir = "models";
  std::vector<std::string> models = {"lml", "sml"};
  std::vector<std::string> cascades;  // Cascade specs to serve beside the models.
  std::vector<std::string> tails;     // "model:stage": the model's tail from that stage.
  EdgeServerOptions edge;
  BatchingConfig batching;
};

Status Serve(ServeArgs& a) {
  a.edge.grpc.max_message_bytes = a.edge.http.max_body_bytes;
  EdgeServer server(a.edge);
  if (a.edge.repository.empty()) {
    for (const std::string& name : a.models) {
      HIEDGE_ASSIGN_OR_RETURN(
          std::unique_ptr<InferenceBackend> backend,
          LoadModel(a.models_dir + "/" + name + ".json", a.edge.repository_load));
      HIEDGE_RETURN_IF_ERROR(server.service().AddModel(name, std::move(backend), a.batching));
    }
  }
  for (const std::string& tail : a.tails) {
    const size_t colon = tail.rfind(':');
    int stage = 0;
    if (colon == std::string::npos ||
        std::from_chars(tail.data() + colon + 1, tail.data() + tail.size(), stage).ec !=
            std::errc()) {
      return Status::InvalidArgument("--partition-tail '" + tail + "' is not MODEL:STAGE");
    }
    HIEDGE_ASSIGN_OR_RETURN(
        std::shared_ptr<InferenceBackend> whole,
        LoadModel(a.models_dir + "/" + tail.substr(0, colon) + ".json", a.edge.repository_load));
    HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> backend,
                            MakeTailBackend(std::move(whole), stage));
    const std::string name = backend->info().name;
    HIEDGE_RETURN_IF_ERROR(server.service().AddModel(name, std::move(backend), a.batching));
  }
  for (const std::string& spec : a.cascades) {
    HIEDGE_ASSIGN_OR_RETURN(const ModelCard card, CascadeCard(spec));
    HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<InferenceBackend> backend,
                            LoadModelFromCard(card, CardDirectory(spec), a.edge.repository_load));
    HIEDGE_RETURN_IF_ERROR(server.service().AddModel(card.name, std::move(backend), a.batching));
  }
  HIEDGE_RETURN_IF_ERROR(server.Start());
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::fprintf(stderr, "hiedge serving %zu model(s) on http://%s:%d",
               server.service().ModelNames().size(), a.edge.http.host.c_str(), server.http_port());
  if (server.grpc_port() >= 0) {
    std::fprintf(stderr, " and grpc%s://%s:%d", a.edge.grpc.tls_cert_file.empty() ? "" : "s",
                 a.edge.http.host.c_str(), server.grpc_port());
  }
  std::fprintf(stderr, " (Open Inference Protocol v2)\n");
  const Status run = server.Run();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  g_server = nullptr;
  return run;
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
         "--model-repository", a->edge.repository,
         "Serve a Triton-layout repository (<repo>/<model>/config.pbtxt + numbered version "
         "folders) instead of --model; batching comes from each config.pbtxt")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--repository-poll-seconds", a->edge.repository_poll_seconds,
                  "Rescan the repository this often; changed models reload atomically, a failed "
                  "load keeps the old one (0 = load once)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--host", a->edge.http.host, "Address to listen on (REST and gRPC)")
      ->capture_default_str();
  cmd->add_option("--port", a->edge.http.port, "0 = any free port")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--grpc-port", a->edge.grpc.port, "gRPC port (0 = any free port, -1 = no gRPC)")
      ->check(CLI::Range(-1, 65535))
      ->capture_default_str();
  cmd->add_option("--grpc-threads", a->edge.grpc.worker_threads,
                  "Threads running gRPC requests' models (gRPC's callback API: no thread per RPC)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--grpc-max-queued", a->edge.grpc.max_queued_rpcs,
                  "gRPC requests waiting for a thread at most; beyond: UNAVAILABLE at once")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--grpc-transport-bytes", a->edge.grpc.max_transport_bytes,
                  "gRPC's own buffer memory (its resource quota)")
      ->check(CLI::Range(size_t{16} << 20, size_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--grpc-tls-cert", a->edge.grpc.tls_cert_file,
                  "Serve gRPC over TLS with this PEM certificate chain")
      ->check(CLI::ExistingFile);
  cmd->add_option("--grpc-tls-key", a->edge.grpc.tls_key_file,
                  "PEM private key for --grpc-tls-cert")
      ->check(CLI::ExistingFile);
  cmd->add_flag("!--grpc-no-guard", a->edge.grpc.reset_guard,
                "gRPC listens on its port itself, without the guard against stream-reset "
                "floods and its connection cap: less CPU per request; only behind a front "
                "that bounds resets (docs/deploy.md)");
  cmd->add_option("--max-body-bytes", a->edge.http.max_body_bytes,
                  "Largest request body / gRPC message; beyond: 413")
      ->capture_default_str();
  cmd->add_option("--http-threads", a->edge.http.worker_threads,
                  "REST: threads running models; requests beyond them queue in arrival order")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--http-io-threads", a->edge.http.io_threads,
                  "REST: event-loop threads (sockets, parsing, health and metadata)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--max-connections", a->edge.http.max_connections,
                  "REST: open connections at most; beyond them: 503 and close")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--max-header-bytes", a->edge.http.max_header_bytes,
                  "REST: request line and headers at most; beyond: 431")
      ->check(CLI::Range(1024, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", a->edge.http.header_timeout_ms,
                  "REST: a request's headers must arrive within this time of its first byte (408)")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--body-timeout-ms", a->edge.http.body_timeout_ms,
                  "REST: a request's body must arrive within this time (408)")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", a->edge.http.idle_timeout_ms,
                  "REST: keep-alive connections idle this long are closed")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--max-rows", a->edge.limits.max_rows_per_request,
                  "Rows per request at most for models without dynamic batching (with batching: "
                  "the model's max batch size); beyond: 400")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--inflight-budget-bytes", a->edge.limits.inflight_budget_bytes,
                  "Estimated memory all requests in flight may hold together (docs/deploy.md); "
                  "beyond: 503 (0 = unlimited)")
      ->capture_default_str();
  cmd->add_option("--slo-ms", a->edge.limits.admission.slo_ms,
                  "Latency objective for batched models: time a request may spend in the server "
                  "(queue + model), ms. Requests predicted to miss it are refused at once (503 / "
                  "RESOURCE_EXHAUSTED), clients over their share of a loaded server too, and "
                  "every answer carries the offload price devices add to beta (0 = off)")
      ->check(CLI::Range(0.0, 3600000.0))
      ->capture_default_str();
  cmd->add_option("--slo-target-wait", a->edge.limits.admission.target_wait_fraction,
                  "--slo-ms: the price steers the mean queue wait to this fraction of the SLO")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  cmd->add_option("--max-clients", a->edge.limits.admission.max_clients,
                  "--slo-ms: distinct hiedge-client-id values tracked by the quotas; more share "
                  "one quota")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--inline-below-us", a->edge.limits.inline_below_us,
                  "Run requests for an unbatched model whose mean compute is at most this (us) "
                  "on the transport's thread, without the hand-off to a model worker (0 = never)")
      ->check(CLI::Range(0.0, 10000.0))
      ->capture_default_str();
  cmd->add_flag("--allow-non-finite", a->edge.limits.allow_non_finite_inputs,
                "Accept NaN and infinite input values (default: 400)");
  cmd->add_option("--max-batch-size", a->batching.max_batch_size,
                  "Dynamic batching: rows per batch (0 = off)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--preferred-batch-size", a->batching.preferred_batch_sizes,
                  "Dynamic batching: run at once at these sizes");
  cmd->add_option("--max-queue-delay-us", a->batching.max_queue_delay_us,
                  "Dynamic batching: longest wait for a fuller batch")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--max-queue-size", a->batching.max_queue_size,
                  "Dynamic batching: queued requests at most (0 = unbounded); beyond: 503")
      ->capture_default_str();
  cmd->add_option("--instances", a->batching.instances,
                  "Dynamic batching: batches run at once (Triton's instance_group count), so the "
                  "next batch forms while one runs")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  cmd->add_option("--auth-token", a->edge.http.bearer_token,
                  "Require 'Authorization: Bearer <token>' on REST (all but /v2/health/*) and gRPC "
                  "(all but ServerLive/ServerReady/ModelReady)");
  cmd->add_option("--drain-min-seconds", a->edge.drain_min_seconds,
                  "On SIGTERM/SIGINT: report not-ready for at least this long before exiting, so "
                  "balancers stop sending first")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--drain-seconds", a->edge.drain_max_seconds,
                  "On SIGTERM/SIGINT: longest wait for in-flight requests")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--threads", a->edge.repository_load.threads,
                  "Intra-op threads of each model (requests run concurrently beside them)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--engine", a->edge.repository_load.backend,
                  "Inference backend for every model (default: the best one this build has "
                  "for each card: xnnpack for ONNX)");
  cmd->add_option("--partition-tail", a->tails,
                  "Also serve MODEL's stages from STAGE on, as MODEL_tailSTAGE (DNN "
                  "partitioning: the device runs the head); MODEL:STAGE, repeatable");
  cmd->add_option("--cascade", a->cascades,
                  "Also serve a cascade tier from its spec (JSON: local model, decision config, "
                  "next tier; docs/deploy.md); repeatable")
      ->check(CLI::ExistingFile);
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Serve(*a)); });
}

}  // namespace hiedge::cli
