#include "server/http_routes.h"

#include <variant>

namespace hiedge {
namespace {

// Splits "/a/b/c?query" into {"a", "b", "c"}. Empty segments ("//") are kept so that
// such paths match nothing.
std::vector<std::string_view> PathSegments(std::string_view target) {
  // Absolute form ("http://host:port/v2/..."), which servers must accept (RFC 9112 §3.2.2).
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && target.substr(0, scheme.size()) == scheme) {
      const size_t path = target.find('/', scheme.size());
      target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
      break;
    }
  }
  const size_t query = target.find('?');
  if (query != std::string_view::npos) target = target.substr(0, query);
  std::vector<std::string_view> segments;
  if (target.empty() || target.front() != '/') return segments;
  target.remove_prefix(1);
  while (true) {
    const size_t slash = target.find('/');
    segments.push_back(target.substr(0, slash));
    if (slash == std::string_view::npos) break;
    target.remove_prefix(slash + 1);
  }
  return segments;
}

struct PathMatch {
  ServerOperation operation;
  bool post;  // POST route; else GET (and HEAD).
  std::string model, version;
};

// Matches the OIP v2 paths; nullopt for any other path.
std::optional<PathMatch> MatchPath(std::string_view target) {
  const std::vector<std::string_view> s = PathSegments(target);
  if (s.size() == 1 && s[0] == "metrics")
    return PathMatch{ServerOperation::kMetrics, false, {}, {}};
  if (s.empty() || s[0] != "v2") return std::nullopt;
  if (s.size() == 1) return PathMatch{ServerOperation::kServerMetadata, false, {}, {}};
  if (s.size() == 3 && s[1] == "health") {
    if (s[2] == "live") return PathMatch{ServerOperation::kServerLive, false, {}, {}};
    if (s[2] == "ready") return PathMatch{ServerOperation::kServerReady, false, {}, {}};
    return std::nullopt;
  }
  if (s[1] != "models" || s.size() < 3 || s[2].empty()) return std::nullopt;
  PathMatch m{ServerOperation::kModelMetadata, false, std::string(s[2]), {}};
  size_t next = 3;
  if (s.size() >= 5 && s[3] == "versions") {
    if (s[4].empty()) return std::nullopt;
    m.version = std::string(s[4]);
    next = 5;
  }
  if (s.size() == next) return m;
  if (s.size() != next + 1) return std::nullopt;
  const std::string_view action = s[next];
  if (action == "ready") {
    m.operation = ServerOperation::kModelReady;
  } else if (action == "stats") {
    m.operation = ServerOperation::kModelStatistics;
  } else if (action == "infer") {
    m.operation = ServerOperation::kModelInfer;
    m.post = true;
  } else {
    return std::nullopt;
  }
  return m;
}

HttpReply Json(std::string body) {
  HttpReply r;
  r.body = std::move(body);
  return r;
}

HttpReply FromStatus(const Status& status) {
  HttpReply r = HttpRouter::Error(HttpStatusFor(status), status.message());
  if (status.code() == StatusCode::kUnauthenticated)
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (status.code() == StatusCode::kResourceExhausted ||
      status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kOverloaded) {
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

HttpReply Infer(InferenceService& service, const HttpRoute& route, const HttpRequestView& req) {
  auto header_length = protocol::ParseHeaderLength(req.header_length);
  if (!header_length.ok()) return FromStatus(header_length.status());
  auto request = protocol::ParseInferRequest(req.body, *header_length);
  if (!request.ok()) return FromStatus(request.status());
  if (!req.client_id.empty()) {
    if (Status valid = protocol::CheckClientId(req.client_id); !valid.ok()) return FromStatus(valid);
    request->client_id = std::string(req.client_id);
  }
  request->received_us = req.received_us;
  auto response = service.Infer(route.model, route.version, *request);
  if (!response.ok()) {
    HttpReply reply = FromStatus(response.status());
    // A refused device learns the price that would have kept it away.
    if (response.status().code() == StatusCode::kOverloaded) {
      if (const int64_t ppm = service.OffloadPricePpm(route.model); ppm >= 0)
        reply.headers.emplace_back(protocol::kOffloadPriceHeader, std::to_string(ppm));
    }
    return reply;
  }
  std::vector<std::string> binary_outputs;
  for (const auto& o : request->outputs) {
    if (o.binary_data && o.classification == 0) binary_outputs.push_back(o.name);
  }
  if (request->outputs.empty() && request->binary_data_output) {
    for (const auto& o : response->outputs) binary_outputs.push_back(o.name);
  }
  protocol::EncodedBody body = protocol::EncodeInferResponse(*response, binary_outputs);
  HttpReply r;
  r.body = std::move(body.body);
  if (body.header_length) {
    r.content_type = "application/octet-stream";
    r.headers.emplace_back(protocol::kHeaderLengthHeader, std::to_string(*body.header_length));
  }
  return r;
}

}  // namespace

HttpRouter::HttpRouter(InferenceService* service, std::string bearer_token)
    : service_(service), token_(std::move(bearer_token)) {}

HttpReply HttpRouter::Error(int status, std::string_view message) {
  HttpReply r;
  r.status = status;
  r.body = protocol::ErrorJson(BoundedMessage(message));
  return r;
}

std::variant<HttpRoute, HttpReply> HttpRouter::Resolve(std::string_view method,
                                                       std::string_view target,
                                                       std::string_view authorization) const {
  const std::optional<PathMatch> match = MatchPath(target);
  if (!match) {
    return Error(404,
                 "no route for " + std::string(method) + " " + std::string(target.substr(0, 200)));
  }
  const bool method_ok = match->post ? method == "POST" : (method == "GET" || method == "HEAD");
  if (!method_ok) {
    HttpReply r =
        Error(405, "method " + std::string(method.substr(0, 20)) + " is not allowed here");
    r.headers.emplace_back("Allow", match->post ? "POST" : "GET, HEAD");
    return r;
  }
  if (Status auth = Authorize(match->operation, authorization, token_); !auth.ok()) {
    return FromStatus(auth);
  }
  return HttpRoute{match->operation, match->model, match->version};
}

bool HttpRouter::RunsInline(const HttpRoute& route, size_t body_bytes) const {
  return !route.runs_model() || service_->RunsInline(route.model, body_bytes);
}

HttpReply HttpRouter::Handle(const HttpRoute& route, const HttpRequestView& req) const {
  InferenceService& service = *service_;
  switch (route.operation) {
    case ServerOperation::kServerLive:
      return Json(service.IsLive() ? R"({"live":true})" : R"({"live":false})");
    case ServerOperation::kServerReady: {
      HttpReply r = Json(service.IsReady() ? R"({"ready":true})" : R"({"ready":false})");
      if (!service.IsReady()) r.status = 503;
      return r;
    }
    case ServerOperation::kServerMetadata:
      return Json(protocol::EncodeServerMetadata(service.GetServerMetadata()));
    case ServerOperation::kMetrics: {
      HttpReply r = Json(service.RenderMetrics());
      r.content_type = "text/plain; version=0.0.4";
      return r;
    }
    case ServerOperation::kModelMetadata: {
      auto metadata = service.GetModelMetadata(route.model, route.version);
      if (!metadata.ok()) return FromStatus(metadata.status());
      return Json(protocol::EncodeModelMetadata(*metadata));
    }
    case ServerOperation::kModelReady: {
      const Status status = service.CheckModelReady(route.model, route.version);
      if (!status.ok()) return FromStatus(status);
      HttpReply r = Json(service.IsReady() ? R"({"ready":true})" : R"({"ready":false})");
      if (!service.IsReady()) r.status = 503;
      return r;
    }
    case ServerOperation::kModelStatistics: {
      auto report = service.GetStatisticsReport(route.model, route.version);
      if (!report.ok()) return FromStatus(report.status());
      return Json(protocol::EncodeModelStatistics(*report));
    }
    case ServerOperation::kModelConfig:  // gRPC only; MatchPath never yields it.
      break;
    case ServerOperation::kModelInfer:
      return Infer(service, route, req);
  }
  return Error(500, "unhandled route");
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kOverloaded:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kUnimplemented:
      return 501;
    default:
      return 500;
  }
}

}  // namespace hiedge
