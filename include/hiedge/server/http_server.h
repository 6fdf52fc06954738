// REST transport of the Open Inference Protocol over an InferenceService, on
// Boost.Beast/Asio: a few event-loop threads own every socket (no thread per
// connection); model executions run on a separate worker pool, in arrival order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hiedge/server/server.h"
#include "hiedge/common/status.h"

namespace hiedge {

// Every bound a client can reach. Defaults suit an edge server on the open network.
struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                             // 0 picks a free port.
  size_t max_body_bytes = size_t{16} << 20;    // Larger bodies get 413, chunked ones as the
                                               // bytes arrive, before they are buffered.
  size_t max_header_bytes = size_t{16} << 10;  // Request line + headers; larger: 431.
  int io_threads = 2;             // Event-loop threads: sockets, framing, cheap routes.
  int worker_threads = 16;        // Threads running models (infer); requests queue FIFO.
  int max_connections = 1024;     // Open connections; beyond: 503 and close, never a reset.
  int listen_backlog = 1024;      // Pending connections the kernel queues (capped by somaxconn).
  int header_timeout_ms = 10000;  // From a request's first byte to its last header byte.
  int body_timeout_ms = 60000;    // For the whole body, once the header is in.
  int idle_timeout_ms = 15000;    // Keep-alive: longest wait for the next request.
  int write_timeout_ms = 30000;   // For writing one response to a slow reader.
  // Non-empty: every route but the probes (server live/ready, model ready; server/auth.h)
  // needs "Authorization: Bearer <token>" (else 401).
  std::string bearer_token;
};

// Serves on background threads between Start() and Stop(). The service must outlive
// the server. Start/Stop are not thread-safe with each other; requests are concurrent.
class HttpServer {
 public:
  HttpServer(InferenceService* service, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; returns once the socket is listening.
  Status Start();
  // From now on every reply carries "Connection: close", so keep-alive clients move
  // to another replica while this one still answers (the start of a drain). Thread-safe.
  void BeginDrain();
  // Stops accepting and closes idle connections at once; every request whose first
  // byte arrived before the listener closed is still read, answered (with
  // "Connection: close") and its connection closed, for at most `grace_ms`; then the
  // rest is closed and the threads joined. Idempotent.
  void Stop(int grace_ms = 5000);
  // The bound port (useful with port 0), valid after Start().
  int port() const { return port_; }
  // Connections open now (for tests and metrics).
  int open_connections() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace hiedge
