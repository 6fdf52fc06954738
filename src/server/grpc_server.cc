#include "server/memory_budget.h"
#include "hiedge/server/grpc_server.h"

#include "hiedge/common/clock.h"

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <functional>
#include <memory>

#include "grpc_service.grpc.pb.h"
#include "protocol/grpc_codec.h"
#include "server/auth.h"
#include "server/grpc_guard.h"
#include "server/model_config_proto.h"
#include "server/worker_pool.h"

namespace hiedge {
namespace {

grpc::Status ToGrpc(const Status& s) {
  if (s.ok()) return grpc::Status::OK;
  grpc::StatusCode code = grpc::StatusCode::INTERNAL;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      code = grpc::StatusCode::INVALID_ARGUMENT;
      break;
    case StatusCode::kFailedPrecondition:
      code = grpc::StatusCode::FAILED_PRECONDITION;
      break;
    case StatusCode::kNotFound:
      code = grpc::StatusCode::NOT_FOUND;
      break;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      code = grpc::StatusCode::UNAVAILABLE;
      break;
    case StatusCode::kOverloaded:
      code = grpc::StatusCode::RESOURCE_EXHAUSTED;
      break;
    case StatusCode::kDeadlineExceeded:
      code = grpc::StatusCode::DEADLINE_EXCEEDED;
      break;
    case StatusCode::kUnimplemented:
      code = grpc::StatusCode::UNIMPLEMENTED;
      break;
    case StatusCode::kUnauthenticated:
      code = grpc::StatusCode::UNAUTHENTICATED;
      break;
    default:
      break;
  }
  return grpc::Status(code, BoundedMessage(s.message()));
}

// The OIP gRPC service on gRPC's callback API: no thread is tied to an RPC. A handler
// runs once the request message has arrived; it checks access first (cheap), then hands
// the work to a fixed pool of workers through a bounded queue, so no stream pattern can
// grow threads or queued work: beyond the queue an RPC is refused at once. Streams a
// client resets before their message is complete never reach a handler.
class Service final : public inference::GRPCInferenceService::CallbackService {
 public:
  Service(InferenceService* service, const GrpcServerOptions& options)
      : service_(service),
        token_(options.bearer_token),
        max_queued_(static_cast<size_t>(std::max(options.max_queued_rpcs, 1))),
        workers_(std::max(options.worker_threads, 1)) {}
  ~Service() { workers_.Stop(); }

  // Ends accepting work: queued RPCs still run (Stop drains the pool).
  void StopWorkers() { workers_.Stop(); }

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* ctx,
                                       const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* out) override {
    out->set_live(service_->IsLive());
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* ctx,
                                        const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* out) override {
    out->set_ready(service_->IsReady());
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* ctx,
                                       const inference::ModelReadyRequest* in,
                                       inference::ModelReadyResponse* out) override {
    out->set_ready(service_->IsReady() &&
                   service_->CheckModelReady(in->name(), in->version()).ok());
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* ctx,
                                           const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* out) override {
    if (auto denied = Authorize(ctx, ServerOperation::kServerMetadata); !denied.ok())
      return Done(ctx, denied);
    const protocol::ServerMetadata m = service_->GetServerMetadata();
    out->set_name(m.name);
    out->set_version(m.version);
    for (const std::string& e : m.extensions) out->add_extensions(e);
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* ctx,
                                          const inference::ModelMetadataRequest* in,
                                          inference::ModelMetadataResponse* out) override {
    if (auto denied = Authorize(ctx, ServerOperation::kModelMetadata); !denied.ok())
      return Done(ctx, denied);
    auto m = service_->GetModelMetadata(in->name(), in->version());
    if (!m.ok()) return Done(ctx, ToGrpc(m.status()));
    protocol::EncodeGrpcModelMetadata(*m, out);
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx,
                                       const inference::ModelInferRequest* in,
                                       inference::ModelInferResponse* out) override {
    if (auto denied = Authorize(ctx, ServerOperation::kModelInfer); !denied.ok())
      return Done(ctx, denied);
    // The same in-flight budget as REST: the message (already received, bounded by the
    // max message size) plus its decoded floats, up to 4 bytes per received byte.
    auto reservation = service_->inflight_budget().Reserve(5 * in->ByteSizeLong());
    if (!reservation.ok()) return Done(ctx, ToGrpc(reservation.status()));
    auto held = std::make_shared<MemoryBudget::Reservation>(std::move(*reservation));
    auto client_id = ClientId(ctx);
    if (!client_id.ok()) return Done(ctx, ToGrpc(client_id.status()));
    const int64_t received_us = SteadyMicros();
    auto work = [this, ctx, in, out, held, client = std::move(*client_id), received_us] {
      auto request = protocol::ParseGrpcInferRequest(*in);
      if (!request.ok()) return ToGrpc(request.status());
      request->client_id = client;
      request->received_us = received_us;
      auto response = service_->Infer(in->model_name(), in->model_version(), *request);
      if (!response.ok()) {
        // A refused device learns the price that would have kept it away.
        if (response.status().code() == StatusCode::kOverloaded) {
          if (const int64_t ppm = service_->OffloadPricePpm(in->model_name()); ppm >= 0)
            ctx->AddTrailingMetadata(protocol::kOffloadPriceHeader, std::to_string(ppm));
        }
        return ToGrpc(response.status());
      }
      protocol::EncodeGrpcInferResponse(*response, out);
      return grpc::Status::OK;
    };
    // A model cheaper than the hand-off runs on gRPC's own thread.
    if (service_->RunsInline(in->model_name(), in->ByteSizeLong())) return Done(ctx, work());
    return Queue(ctx, std::move(work));
  }
  grpc::ServerUnaryReactor* ModelConfig(grpc::CallbackServerContext* ctx,
                                        const inference::ModelConfigRequest* in,
                                        inference::ModelConfigResponse* out) override {
    if (auto denied = Authorize(ctx, ServerOperation::kModelConfig); !denied.ok())
      return Done(ctx, denied);
    auto config = service_->GetModelConfig(in->name(), in->version());
    if (!config.ok()) return Done(ctx, ToGrpc(config.status()));
    FillModelConfig(*config, out->mutable_config());
    return Done(ctx, grpc::Status::OK);
  }
  grpc::ServerUnaryReactor* ModelStatistics(grpc::CallbackServerContext* ctx,
                                            const inference::ModelStatisticsRequest* in,
                                            inference::ModelStatisticsResponse* out) override {
    if (auto denied = Authorize(ctx, ServerOperation::kModelStatistics); !denied.ok())
      return Done(ctx, denied);
    // An empty name asks for every model.
    const std::vector<std::string> names =
        in->name().empty() ? service_->ModelNames() : std::vector<std::string>{in->name()};
    for (const std::string& name : names) {
      auto report = service_->GetStatisticsReport(name, in->version());
      if (!report.ok()) {
        if (!in->name().empty()) return Done(ctx, ToGrpc(report.status()));
        continue;  // Unloaded between listing and reading.
      }
      FillModelStatistics(*report, out->add_model_stats());
    }
    return Done(ctx, grpc::Status::OK);
  }

 private:
  // Finishes an RPC answered on the spot (cheap, never blocking).
  static grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx,
                                        const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  // Runs `work` on a worker and finishes the RPC with its status; refuses at once
  // (UNAVAILABLE, which clients retry with backoff) when the queue is full or stopped.
  // The request and response live until Finish: gRPC owns them with the call.
  grpc::ServerUnaryReactor* Queue(grpc::CallbackServerContext* ctx,
                                  std::function<grpc::Status()> work) {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    if (workers_.queued() >= max_queued_) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                   "server busy: " + std::to_string(max_queued_) +
                                       " gRPC requests already queued; retry later"));
      return reactor;
    }
    const bool queued = workers_.Submit([reactor, ctx, work = std::move(work)] {
      // A call its client cancelled while queued is not worth running.
      reactor->Finish(ctx->IsCancelled() ? grpc::Status::CANCELLED : work());
    });
    if (!queued) {
      reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is shutting down"));
    }
    return reactor;
  }

  // The hiedge-client-id metadata ("" when absent), checked like REST's header.
  static Result<std::string> ClientId(grpc::CallbackServerContext* ctx) {
    const auto& metadata = ctx->client_metadata();
    const auto it = metadata.find(protocol::kClientIdHeader);
    if (it == metadata.end()) return std::string();
    if (metadata.count(protocol::kClientIdHeader) > 1)
      return Status::InvalidArgument("more than one hiedge-client-id header");
    const std::string_view id(it->second.data(), it->second.size());
    HIEDGE_RETURN_IF_ERROR(protocol::CheckClientId(id));
    return std::string(id);
  }

  // The same access rule as REST (server/auth.h).
  grpc::Status Authorize(grpc::CallbackServerContext* ctx, ServerOperation operation) const {
    const auto& metadata = ctx->client_metadata();
    if (metadata.count("authorization") > 1) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "more than one authorization header");
    }
    const auto it = metadata.find("authorization");
    const std::string_view presented = it == metadata.end()
                                           ? std::string_view()
                                           : std::string_view(it->second.data(), it->second.size());
    return ToGrpc(hiedge::Authorize(operation, presented, token_));
  }

  InferenceService* service_;
  std::string token_;
  const size_t max_queued_;
  WorkerPool workers_;
};

// Socket folders are named hiedge-grpc-<pid>-<random>; a server killed with SIGKILL
// cannot remove its own, so each start removes those of processes that are gone.
void RemoveFoldersOfDeadServers() {
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("hiedge-grpc-", 0) != 0) continue;
    const std::string pid = name.substr(12, name.find('-', 12) - 12);
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code alive;
    if (std::filesystem::exists("/proc/" + pid, alive) || alive) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

// Credentials for gRPC listening on the public port itself (no guard): TLS from the
// options' PEM files when both are set, else plaintext.
Result<std::shared_ptr<grpc::ServerCredentials>> DirectCredentials(
    const GrpcServerOptions& options) {
  if (options.tls_cert_file.empty() && options.tls_key_file.empty()) {
    return grpc::InsecureServerCredentials();
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return Status::InvalidArgument("TLS needs both a certificate and a private key file");
  }
  auto read = [](const std::string& path) -> Result<std::string> {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.str().empty()) return Status::InvalidArgument("cannot read " + path);
    return text.str();
  };
  HIEDGE_ASSIGN_OR_RETURN(std::string chain, read(options.tls_cert_file));
  HIEDGE_ASSIGN_OR_RETURN(std::string key, read(options.tls_key_file));
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(chain)});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

class GrpcServer::Impl {
 public:
  Impl(InferenceService* service, const GrpcServerOptions& options) : service(service, options) {}
  ~Impl() {
    std::error_code ec;
    if (!socket_dir.empty()) std::filesystem::remove_all(socket_dir, ec);
  }
  Service service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<GrpcGuard> guard;  // Null without the reset guard.
  std::string socket_dir;   // Private (0700) folder of gRPC's Unix socket.
  int metrics_source = -1;  // The guard's counters on the service's /metrics.
};

GrpcServer::GrpcServer(InferenceService* service, GrpcServerOptions options)
    : service_(service), options_(std::move(options)) {}

GrpcServer::~GrpcServer() { Stop(0); }

Status GrpcServer::Start() {
  if (impl_) return Status::FailedPrecondition("gRPC server already started");
  auto impl = std::make_unique<Impl>(service_, options_);
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  // Bounds a hostile HTTP/2 client cannot move: concurrent streams per connection (a
  // device needs one; gRPC's default is unlimited), and connections idle for 5 minutes
  // are closed (a device's channel reconnects by itself). Header metadata keeps gRPC's
  // default bound of 8 KiB.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 64);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60 * 1000);
  // gRPC's own buffers (reads, writes, call arenas) under one memory quota.
  grpc::ResourceQuota quota("hiedge_grpc");
  quota.Resize(options_.max_transport_bytes);
  builder.SetResourceQuota(quota);
  std::string socket;
  int direct_port = 0;
  if (options_.reset_guard) {
    // gRPC itself listens on a Unix socket in a private folder; only the guard
    // (server/grpc_guard.h) connects to it, and the guard owns the public port.
    RemoveFoldersOfDeadServers();
    std::string dir_template = (std::filesystem::temp_directory_path() /
                                ("hiedge-grpc-" + std::to_string(::getpid()) + "-XXXXXX"))
                                   .string();
    if (::mkdtemp(dir_template.data()) == nullptr) {
      return Status::Unavailable("cannot make a private folder for gRPC's socket in " +
                                 std::filesystem::temp_directory_path().string());
    }
    impl->socket_dir = dir_template;
    socket = impl->socket_dir + "/grpc.sock";
    int unix_port = 0;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials(), &unix_port);
  } else {
    HIEDGE_ASSIGN_OR_RETURN(auto credentials, DirectCredentials(options_));
    // A second server must not silently share a busy port (server/listen.h).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(options_.host + ":" + std::to_string(options_.port), credentials,
                             &direct_port);
  }
  builder.RegisterService(&impl->service);
  impl->server = builder.BuildAndStart();
  if (!options_.reset_guard) {
    if (!impl->server || direct_port == 0) {
      return Status::Unavailable("cannot bind gRPC to " + options_.host + ":" +
                                 std::to_string(options_.port));
    }
    port_ = direct_port;
    impl_ = std::move(impl);
    return Status::Ok();
  }
  if (!impl->server) {
    return Status::Unavailable("cannot start gRPC on its private socket " + socket);
  }
  GrpcGuardOptions guard;
  guard.host = options_.host;
  guard.port = options_.port;
  guard.upstream_socket = socket;
  guard.max_connections = options_.max_connections;
  guard.tls_cert_file = options_.tls_cert_file;
  guard.tls_key_file = options_.tls_key_file;
  impl->guard = std::make_unique<GrpcGuard>(guard);
  if (Status started = impl->guard->Start(); !started.ok()) {
    impl->server->Shutdown(std::chrono::system_clock::now());
    impl->server->Wait();
    return started;
  }
  port_ = impl->guard->port();
  GrpcGuard* running_guard = impl->guard.get();
  impl->metrics_source = service_->AddMetricsSource([running_guard] {
    const GrpcGuardCounters c = running_guard->counters();
    auto counter = [](const char* name, const char* help, uint64_t value) {
      return BackendMetric{name, help, {}, static_cast<double>(value), true};
    };
    return std::vector<BackendMetric>{
        counter("hiedge_grpc_connections_total", "gRPC connections accepted", c.connections),
        counter("hiedge_grpc_connections_closed_for_resets_total",
                "gRPC connections closed for resetting streams beyond their budget",
                c.closed_for_resets),
        counter("hiedge_grpc_connections_refused_total",
                "gRPC connections closed at once: the connection cap was reached",
                c.refused_at_cap),
        counter("hiedge_grpc_streams_total", "gRPC streams opened (HTTP/2 HEADERS)", c.streams),
        counter("hiedge_grpc_stream_resets_total", "gRPC streams reset by clients", c.resets),
        counter("hiedge_grpc_upstream_failures_total",
                "gRPC connections closed because gRPC's own socket refused them",
                c.upstream_failures)};
  });
  impl_ = std::move(impl);
  return Status::Ok();
}

void GrpcServer::Stop(int grace_ms) {
  if (!impl_) return;
  // No new connections; gRPC's shutdown tells the open ones (GOAWAY) and waits for the
  // RPCs in flight, which still flow through the guard; then the guard closes.
  if (impl_->guard) impl_->guard->StopAccepting();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  impl_->server->Wait();
  impl_->service.StopWorkers();
  if (impl_->guard) {
    service_->RemoveMetricsSource(impl_->metrics_source);
    impl_->guard->Stop();
  }
  impl_.reset();
}

GrpcGuardCounters GrpcServer::guard_counters() const {
  return impl_ && impl_->guard ? impl_->guard->counters() : GrpcGuardCounters{};
}

}  // namespace hiedge
