// gRPC transport of the Open Inference Protocol (inference.GRPCInferenceService,
// with Triton's ModelConfig and ModelStatistics) over an InferenceService.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "hiedge/server.h"
#include "hiedge/status.h"

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
  // Non-empty: every RPC but ServerLive/ServerReady/ModelReady needs the metadata
  // "authorization: Bearer <token>" (else UNAUTHENTICATED).
  std::string bearer_token;
  // Both set: serve TLS with this PEM certificate chain and private key.
  std::string tls_cert_file;
  std::string tls_key_file;
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

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  InferenceService* service_;
  GrpcServerOptions options_;
  int port_ = 0;
};

}  // namespace hiedge
