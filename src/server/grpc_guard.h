// The gRPC port's front: a TCP (or TLS) listener that passes each client's HTTP/2 bytes
// to the gRPC server on a private Unix socket, following the frames as they go by.
//
// Why it exists: the packaged gRPC (Debian 12's 1.51) has none of the HTTP/2 rapid-
// reset mitigations (CVE-2023-44487, gRPC >= 1.60): a client that opens and resets
// streams faster than gRPC retires them grows the server's memory by ~10-20 KB per
// stream without bound (measured: 100,000 streams in 4 s took `hiedge serve` from 175 MB
// to 1.9 GB), and no channel argument or resource quota of 1.51 bounds it. The guard
// bounds it from outside gRPC:
//  - stream resets (RST_STREAM) cost tokens from a per-connection and a server-wide
//    bucket; a connection whose reset is not covered is closed (both sides);
//  - new streams (HEADERS) are paced per connection (reading pauses, backpressure);
//  - connections are capped; beyond the cap a connection is closed at once.
// Thread-safe; everything runs on its own event-loop threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "hiedge/server/grpc_server.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct GrpcGuardOptions {
  std::string host = "127.0.0.1";
  int port = 0;                 // 0 picks a free port.
  std::string upstream_socket;  // The gRPC server's Unix socket path.
  int io_threads = 2;
  int max_connections = 1024;
  // Per connection: resets a legitimate client (cancelling on deadlines) never comes near.
  double resets_per_second = 50;
  double reset_burst = 200;
  // Across all connections: how fast gRPC is asked to retire reset streams.
  double server_resets_per_second = 1000;
  double server_reset_burst = 2000;
  // New streams per connection: reading pauses beyond this rate (no error).
  double streams_per_second = 20000;
  double stream_burst = 2000;
  // Both set: terminate TLS here with this PEM chain and key (ALPN h2).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class GrpcGuard {
 public:
  explicit GrpcGuard(GrpcGuardOptions options);
  ~GrpcGuard();  // Stop().
  GrpcGuard(const GrpcGuard&) = delete;
  GrpcGuard& operator=(const GrpcGuard&) = delete;

  // Binds and starts serving. Unavailable when the address cannot be bound,
  // InvalidArgument for unreadable TLS files.
  Status Start();
  // Stops accepting; open connections go on (gRPC's own shutdown ends them).
  void StopAccepting();
  // Closes every connection and joins the threads. Idempotent.
  void Stop();
  int port() const { return port_; }
  GrpcGuardCounters counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace hiedge
