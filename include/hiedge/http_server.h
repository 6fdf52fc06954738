// REST transport of the Open Inference Protocol over an InferenceService.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "hiedge/server.h"
#include "hiedge/status.h"

namespace hiedge {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                           // 0 picks a free port.
  size_t max_body_bytes = size_t{16} << 20;  // Larger bodies get 413.
  int worker_threads = 16;                   // Concurrent connections served.
  int keep_alive_timeout_seconds = 1;        // Idle connection lifetime; bounds Stop().
  std::string bearer_token;                  // Non-empty: every route but /v2/health/*
                                             // needs "Authorization: Bearer <token>" (else 401).
};

// Serves on a background thread between Start() and Stop(). The service must outlive
// the server. Start/Stop are not thread-safe with each other; handlers are concurrent.
class HttpServer {
 public:
  HttpServer(InferenceService* service, HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving; returns once the socket is listening.
  Status Start();
  // Stops accepting, finishes in-flight requests, joins the thread. Idempotent.
  void Stop();
  // The bound port (useful with port 0), valid after Start().
  int port() const { return port_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  InferenceService* service_;
  HttpServerOptions options_;
  int port_ = 0;
  std::thread thread_;
};

// HTTP status for a library status: 400, 404, 503, ...
int HttpStatusFor(const Status& status);

}  // namespace hiedge
