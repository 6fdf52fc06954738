// gRPC transport of the Open Inference Protocol (inference.GRPCInferenceService,
// with Triton's ModelConfig and ModelStatistics) over an InferenceService.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hiedge/server/server.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct GrpcServerOptions {
  std::string host = "127.0.0.1";
  int port = 8001;                              // 0 picks a free port.
  size_t max_message_bytes = size_t{16} << 20;  // Larger requests: RESOURCE_EXHAUSTED.
  // RPCs run on gRPC's callback API: gRPC's own few threads read and write, and model
  // executions run on `worker_threads` threads fed by a queue of at most
  // `max_queued_rpcs` RPCs; beyond it an RPC is refused with UNAVAILABLE at once, so no
  // stream pattern can grow threads or queued work without bound.
  int worker_threads = 16;
  int max_queued_rpcs = 1024;
  // gRPC's transport memory (read and write buffers, call arenas), as gRPC's resource
  // quota: under pressure it shrinks buffers and refuses new streams.
  size_t max_transport_bytes = size_t{256} << 20;
  // Open connections at most; beyond, a new connection is closed at once.
  int max_connections = 1024;
  // Non-empty: every RPC but ServerLive/ServerReady/ModelReady needs the metadata
  // "authorization: Bearer <token>" (else UNAUTHENTICATED).
  std::string bearer_token;
  // True (the default): the public port is the guard's (server/grpc_guard.h), which
  // follows each connection's HTTP/2 frames and closes those that reset streams beyond
  // their budget (rapid reset, CVE-2023-44487, which Debian 12's gRPC 1.51 does not bound)
  // and caps connections at `max_connections`. False: gRPC listens on the port itself,
  // about 40% less server CPU per request (docs/fleet.md), but then nothing bounds stream
  // resets or connections: only behind a front that bounds them (HAProxy; docs/deploy.md).
  bool reset_guard = true;
  // Both set: serve TLS with this PEM certificate chain and private key.
  std::string tls_cert_file;
  std::string tls_key_file;
};

// What the gRPC port's guard against HTTP/2 abuse saw (GrpcServer::guard_counters).
struct GrpcGuardCounters {
  uint64_t connections = 0;        // Accepted.
  uint64_t closed_for_resets = 0;  // Closed: stream resets beyond the budgets.
  uint64_t refused_at_cap = 0;     // Closed at once: max_connections reached.
  uint64_t streams = 0;            // Streams opened (HEADERS frames).
  uint64_t resets = 0;             // Streams reset by clients (RST_STREAM frames).
  uint64_t upstream_failures = 0;  // Connections closed: gRPC's own socket refused them.
};

// Serves between Start() and Stop() on gRPC's own threads. The service must outlive
// the server. Start/Stop are not thread-safe with each other; RPCs are concurrent.
class GrpcServer {
 public:
  GrpcServer(InferenceService* service, GrpcServerOptions options);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds and starts serving. InvalidArgument for unreadable TLS files, Unavailable
  // when the address cannot be bound.
  Status Start();
  // Stops accepting and waits for in-flight RPCs (at most `grace_ms`). Idempotent.
  void Stop(int grace_ms = 1000);
  int port() const { return port_; }
  // What the port's guard against HTTP/2 abuse saw (connections, streams, resets, and
  // the connections it closed); zeros when not started.
  GrpcGuardCounters guard_counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  InferenceService* service_;
  GrpcServerOptions options_;
  int port_ = 0;
};

}  // namespace hiedge
