#include "hiedge/http_server.h"

#include <httplib.h>

#include <charconv>
#include <chrono>

namespace hiedge {

class HttpServer::Impl {
 public:
  httplib::Server server;
};

namespace {

void SendError(httplib::Response& res, const Status& status) {
  res.status = HttpStatusFor(status);
  res.set_content(protocol::ErrorJson(status.message()), "application/json");
}

void SendJson(httplib::Response& res, const std::string& json) {
  res.status = 200;
  res.set_content(json, "application/json");
}

// The model version from a route match: "" when the URL has no /versions/ part.
std::string VersionOf(const httplib::Request& req) {
  return req.matches.size() > 2 ? std::string(req.matches[2]) : std::string();
}

Result<std::optional<size_t>> HeaderLength(const httplib::Request& req) {
  if (!req.has_header(protocol::kHeaderLengthHeader)) return std::optional<size_t>();
  const std::string value = req.get_header_value(protocol::kHeaderLengthHeader);
  size_t length = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return Status::InvalidArgument(std::string(protocol::kHeaderLengthHeader) +
                                   " is not a non-negative integer: '" + value + "'");
  }
  return std::optional<size_t>(length);
}

void HandleInfer(InferenceService& service, const httplib::Request& req, httplib::Response& res) {
  auto header_length = HeaderLength(req);
  if (!header_length.ok()) return SendError(res, header_length.status());
  auto request = protocol::ParseInferRequest(req.body, *header_length);
  if (!request.ok()) return SendError(res, request.status());
  auto response = service.Infer(req.matches[1], VersionOf(req), *request);
  if (!response.ok()) return SendError(res, response.status());
  std::vector<std::string> binary_outputs;
  for (const auto& o : request->outputs) {
    if (o.binary_data && o.classification == 0) binary_outputs.push_back(o.name);
  }
  if (request->outputs.empty() && request->binary_data_output)
    binary_outputs.push_back(kLogitsName);
  protocol::EncodedBody body = protocol::EncodeInferResponse(*response, binary_outputs);
  res.status = 200;
  if (body.header_length) {
    res.set_header(protocol::kHeaderLengthHeader, std::to_string(*body.header_length));
    res.set_content(std::move(body.body), "application/octet-stream");
  } else {
    res.set_content(std::move(body.body), "application/json");
  }
}

void Route(httplib::Server& s, InferenceService& service) {
  s.Get("/v2/health/live", [&service](const httplib::Request&, httplib::Response& res) {
    res.status = service.IsLive() ? 200 : 503;
  });
  s.Get("/v2/health/ready", [&service](const httplib::Request&, httplib::Response& res) {
    res.status = service.IsReady() ? 200 : 503;
  });
  s.Get("/v2", [&service](const httplib::Request&, httplib::Response& res) {
    SendJson(res, protocol::EncodeServerMetadata(service.GetServerMetadata()));
  });
  const std::string model = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";
  s.Get(model, [&service](const httplib::Request& req, httplib::Response& res) {
    auto metadata = service.GetModelMetadata(req.matches[1], VersionOf(req));
    if (!metadata.ok()) return SendError(res, metadata.status());
    SendJson(res, protocol::EncodeModelMetadata(*metadata));
  });
  s.Get(model + "/ready", [&service](const httplib::Request& req, httplib::Response& res) {
    const Status status = service.CheckModelReady(req.matches[1], VersionOf(req));
    if (!status.ok()) return SendError(res, status);
    res.status = service.IsReady() ? 200 : 503;
  });
  s.Get("/metrics", [&service](const httplib::Request&, httplib::Response& res) {
    res.status = 200;
    res.set_content(service.RenderMetrics(), "text/plain; version=0.0.4");
  });
  s.Get(model + "/stats", [&service](const httplib::Request& req, httplib::Response& res) {
    auto report = service.GetStatisticsReport(req.matches[1], VersionOf(req));
    if (!report.ok()) return SendError(res, report.status());
    SendJson(res, protocol::EncodeModelStatistics(*report));
  });
  s.Post(model + "/infer", [&service](const httplib::Request& req, httplib::Response& res) {
    HandleInfer(service, req, res);
  });
  // Fills in a JSON body for errors httplib raises itself (404 route, 413 size, ...).
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message = res.status == 413   ? "request body exceeds the server's size limit"
                          : res.status == 404 ? "no route for " + req.method + " " + req.path
                                              : "HTTP error " + std::to_string(res.status);
    res.set_content(protocol::ErrorJson(message), "application/json");
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string message = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          message = std::string("internal error: ") + e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(protocol::ErrorJson(message), "application/json");
      });
}

}  // namespace

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

HttpServer::HttpServer(InferenceService* service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>()), service_(service), options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  httplib::Server& s = impl_->server;
  const int threads = options_.worker_threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.set_payload_max_length(options_.max_body_bytes);
  s.set_keep_alive_max_count(1000000);
  // Idle keep-alive connections hold a worker; Stop() waits for them up to this long.
  s.set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  s.set_tcp_nodelay(true);
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second server
  // silently share a port that is already in use.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof(yes));
  });
  Route(s, *service_);
  if (!options_.bearer_token.empty()) {
    const std::string expected = "Bearer " + options_.bearer_token;
    s.set_pre_routing_handler([expected](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/v2/health/", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
      if (req.get_header_value("Authorization") == expected) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.status = 401;
      res.set_header("WWW-Authenticate", "Bearer");
      res.set_content(protocol::ErrorJson("missing or wrong bearer token"), "application/json");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  if (options_.port == 0) {
    port_ = s.bind_to_any_port(options_.host);
    if (port_ < 0) return Status::Unavailable("cannot bind to " + options_.host);
  } else {
    if (!s.bind_to_port(options_.host, options_.port)) {
      return Status::Unavailable("cannot bind to " + options_.host + ":" +
                                 std::to_string(options_.port) + " (in use?)");
    }
    port_ = options_.port;
  }
  // The socket already listens after bind; early connections wait in its backlog.
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs, so Start() waits for it.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!s.is_running()) {
    if (std::chrono::steady_clock::now() > give_up) {
      Stop();
      return Status::Internal("HTTP server did not start accepting connections");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hiedge
