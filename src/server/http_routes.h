// The REST mapping of the Open Inference Protocol, independent of the HTTP library:
// a request's method, target and headers in, a reply out. The transport (http_server.cc)
// owns sockets, framing, limits and threads; this file owns routes, auth and encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hiedge/server/server.h"
#include "server/auth.h"

namespace hiedge {

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Beyond Content-Type/-Length.
};

// A request the transport has framed. Views are valid for the call only.
struct HttpRequestView {
  std::string_view method;
  std::string_view target;
  std::string_view authorization;                 // "" when absent.
  std::optional<std::string_view> header_length;  // Inference-Header-Content-Length.
  std::string_view client_id;                     // hiedge-client-id; "" when absent.
  int64_t received_us = 0;                        // SteadyMicros when the body was complete.
  std::string_view body;
};

// The route a request resolved to.
struct HttpRoute {
  ServerOperation operation = ServerOperation::kServerLive;
  std::string model;    // Empty for server-level routes.
  std::string version;  // Empty: the latest.
  // Infer runs the model: the transport hands it to a worker thread. Every other route
  // is cheap and answers on the I/O thread.
  bool runs_model() const { return operation == ServerOperation::kModelInfer; }
};

// Thread-safe: const after construction; the service is thread-safe.
class HttpRouter {
 public:
  // `service` must outlive the router. Empty `bearer_token`: no auth.
  HttpRouter(InferenceService* service, std::string bearer_token);

  // Decides from the request line and headers alone, before any body is read:
  // the route, or the reply that ends the request (404 unknown path, 405 with Allow for
  // a wrong method, 401 for a missing or wrong token on a guarded route).
  std::variant<HttpRoute, HttpReply> Resolve(std::string_view method, std::string_view target,
                                             std::string_view authorization) const;

  // Whether a resolved request may be answered on the I/O thread: every route but
  // inference, and inference on a model cheap enough (InferenceService::RunsInline).
  bool RunsInline(const HttpRoute& route, size_t body_bytes) const;

  // Answers a resolved request. HEAD gets GET's headers; the transport drops the body.
  HttpReply Handle(const HttpRoute& route, const HttpRequestView& request) const;

  // An error reply with the OIP body {"error": message}.
  static HttpReply Error(int status, std::string_view message);

 private:
  InferenceService* service_;
  std::string token_;
};

// HTTP status for a library status: 400, 401, 404, 503, ...
int HttpStatusFor(const Status& status);

}  // namespace hiedge
