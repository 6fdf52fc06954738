#include "server/http_connection.h"

#include "hiedge/common/clock.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

namespace hiedge::http_internal {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

namespace {

// Estimated peak memory of decoding a request body: the body itself, the JSON DOM
// (nlohmann values of 16 bytes for numbers as short as 2 characters, plus vector growth)
// and the decoded floats (4 bytes from as little as 1 byte of INT8). See docs/deploy.md.
constexpr size_t kJsonPartFactor = 20;
constexpr size_t kBinaryPartFactor = 4;

// The first read of a request asks for this much: a whole small inference request
// (header and a few KB of body) then arrives in one system call. Pages of the buffer are
// touched only as bytes land in them.
constexpr size_t kFirstReadBytes = 16 * 1024;

size_t DecodePeakBytes(size_t body_bytes, std::optional<size_t> header_length) {
  const size_t json = header_length ? std::min(*header_length, body_bytes) : body_bytes;
  return body_bytes + kJsonPartFactor * json + kBinaryPartFactor * (body_bytes - json);
}

// RFC 9112 §6.1: a request whose Transfer-Encoding does not end in chunked has no
// determinable length; several Transfer-Encoding or Content-Length fields with
// Transfer-Encoding are ambiguous. Beast rejects Content-Length with chunked and
// differing Content-Lengths itself.
bool AmbiguousFraming(const http::request<http::string_body>& req, bool chunked) {
  const size_t encodings = req.count(http::field::transfer_encoding);
  if (encodings == 0) return false;
  return encodings > 1 || !chunked || req.count(http::field::content_length) > 0;
}

// 503 for a spent in-flight budget, with the hint to retry.
HttpReply Busy(const Status& status) {
  HttpReply busy = HttpRouter::Error(503, status.message());
  busy.headers.emplace_back("Retry-After", "1");
  return busy;
}

// The peer left or the connection was closed under the read: nothing to answer.
bool PeerGone(beast::error_code ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::bad_descriptor;
}

}  // namespace

bool ServerContext::Register(const std::shared_ptr<Connection>& connection) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || static_cast<int>(open_.size()) >= options.max_connections) return false;
  open_.emplace(connection.get(), connection);
  return true;
}

void ServerContext::Unregister(const Connection* connection) {
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(connection);
}

bool ServerContext::BeginRefusal() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || refusing_ >= options.max_connections) return false;
  ++refusing_;
  return true;
}

void ServerContext::EndRefusal() {
  std::lock_guard<std::mutex> lock(mu_);
  --refusing_;
}

int ServerContext::open_connections() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(open_.size());
}

void ServerContext::CloseAll(bool only_idle) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    for (const auto& [raw, weak] : open_) {
      if (auto strong = weak.lock()) open.push_back(std::move(strong));
    }
  }
  for (const auto& c : open) {
    if (only_idle) {
      c->CloseWhenIdle();
    } else {
      c->Close();
    }
  }
}

Connection::Connection(asio::ip::tcp::socket&& socket, ServerContext* context)
    : stream_(std::move(socket)), deadline_(stream_.get_executor()), context_(context) {
  beast::error_code ignored;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
}

Connection::~Connection() {
  if (registered_) context_->Unregister(this);
  if (refusing_) context_->EndRefusal();
}

void Connection::Start() {
  registered_ = context_->Register(shared_from_this());
  if (!registered_) return Refuse();
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->AwaitRequest(); });
}

void Connection::Refuse() {
  // A flood beyond twice the cap is closed at once rather than answered: answering
  // costs a socket for up to the linger time each.
  refusing_ = context_->BeginRefusal();
  if (!refusing_) return stream_.close();
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->Respond(HttpRouter::Error(503, "server at its connection limit; retry later"),
                  /*close=*/true);
  });
}

void Connection::Close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    self->deadline_.cancel();
    self->stream_.close();
  });
}

void Connection::CloseWhenIdle() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    // Bytes already in the kernel's buffer are a request that has begun.
    if (!self->idle_ || self->stream_.socket().available(ec) > 0) return;
    self->stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    self->stream_.close();
  });
}

void Connection::AwaitRequest() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(context_->options.max_header_bytes));
  parser_->body_limit(context_->options.max_body_bytes);
  route_.reset();
  reservation_ = MemoryBudget::Reservation();
  if (buffer_.size() > 0) return ReadHeader();  // A pipelined request already arrived.
  // Idle keep-alive wait: the header clock starts with the request's first byte.
  idle_ = true;
  stream_.expires_after(milliseconds(context_->options.idle_timeout_ms));
  stream_.async_read_some(
      buffer_.prepare(kFirstReadBytes),
      [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnFirstBytes(ec, n); });
}

void Connection::OnFirstBytes(beast::error_code ec, size_t bytes) {
  idle_ = false;
  if (ec) return stream_.close();  // Idle timeout, peer gone, or Close().
  buffer_.commit(bytes);
  ReadHeader();
}

void Connection::ArmDeadline(int timeout_ms) {
  stream_.expires_never();
  deadline_passed_ = false;
  deadline_.expires_after(milliseconds(timeout_ms));
  deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;  // Disarmed or gone.
    self->deadline_passed_ = true;
    beast::error_code ignored;
    self->stream_.socket().cancel(ignored);
  });
}

bool Connection::DeadlinePassed(beast::error_code ec) const {
  return deadline_passed_ && ec == asio::error::operation_aborted;
}

void Connection::ReadHeader() {
  ArmDeadline(context_->options.header_timeout_ms);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

bool Connection::EndedByReadError(beast::error_code ec, std::string_view part, int timeout_ms) {
  deadline_.cancel();
  if (DeadlinePassed(ec)) {
    Fail(408, "request " + std::string(part) + " not received within " +
                  std::to_string(timeout_ms) + " ms");
  } else if (ec == http::error::header_limit) {
    Fail(431,
         "request header exceeds " + std::to_string(context_->options.max_header_bytes) + " bytes");
  } else if (ec == http::error::body_limit) {
    Fail(413, "request body exceeds the server's limit of " +
                  std::to_string(context_->options.max_body_bytes) + " bytes");
  } else if (PeerGone(ec)) {
    stream_.close();
  } else if (ec) {
    Fail(400, "malformed HTTP " + std::string(part) + ": " + ec.message());
  }
  return static_cast<bool>(ec);
}

void Connection::OnHeader(beast::error_code ec) {
  if (EndedByReadError(ec, "header", context_->options.header_timeout_ms)) return;
  const auto& req = parser_->get();
  if (AmbiguousFraming(req, parser_->chunked())) {
    return Fail(400,
                "ambiguous message framing (Transfer-Encoding must be one field ending in "
                "chunked, without Content-Length)");
  }
  // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Two Authorization
  // fields are ambiguous (which credential counts?): refused rather than guessed.
  if (req.version() >= 11 && req.count(http::field::host) != 1) {
    return Fail(400, "an HTTP/1.1 request needs exactly one Host header");
  }
  if (req.count(http::field::authorization) > 1) {
    return Fail(400, "more than one Authorization header");
  }
  head_ = req.method() == http::verb::head;
  const auto authorization = req[http::field::authorization];
  auto resolved = context_->router.Resolve(
      std::string_view(req.method_string().data(), req.method_string().size()),
      std::string_view(req.target().data(), req.target().size()),
      std::string_view(authorization.data(), authorization.size()));
  if (auto* reply = std::get_if<HttpReply>(&resolved)) {
    return Respond(std::move(*reply), /*close=*/!parser_->is_done());
  }
  route_ = std::get<HttpRoute>(std::move(resolved));
  // The body is charged as its bytes arrive (OnBodyPart), never by what a header
  // declares: a client that announces 16 MB and sends a byte a second holds one byte
  // of the budget, not 16 MB of everyone's. (Beast reserves the declared length as
  // address space; pages count only once written.)
  auto reserved = context_->budget->Reserve(0);
  if (!reserved.ok()) return Respond(Busy(reserved.status()), /*close=*/!parser_->is_done());
  reservation_ = std::move(*reserved);
  if (parser_->is_done()) return Dispatch();
  ArmDeadline(context_->options.body_timeout_ms);
  if (beast::iequals(req[http::field::expect], "100-continue")) {
    continue_ =
        std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
    return http::async_write(stream_, *continue_,
                             [self = shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) {
                                 self->deadline_.cancel();
                                 return self->stream_.close();
                               }
                               self->ReadBody();
                             });
  }
  ReadBody();
}

void Connection::ReadBody() {
  http::async_read_some(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBodyPart(ec); });
}

void Connection::OnBodyPart(beast::error_code ec) {
  if (ec) {
    EndedByReadError(ec, "body", context_->options.body_timeout_ms);
    return;
  }
  const size_t received = parser_->get().body().size();
  if (received > reservation_.bytes()) {
    if (Status grown = reservation_.Resize(received); !grown.ok()) {
      return Respond(Busy(grown), /*close=*/true);
    }
  }
  if (!parser_->is_done()) return ReadBody();  // The body deadline stays armed.
  deadline_.cancel();
  Dispatch();
}

void Connection::Dispatch() {
  const auto& req = parser_->get();
  const auto length_field = req.find(protocol::kHeaderLengthHeader);
  std::optional<std::string_view> length_text;
  if (length_field != req.end()) {
    length_text = std::string_view(length_field->value().data(), length_field->value().size());
  }
  if (route_->runs_model()) {
    // Charge what decoding will hold before it starts. A malformed length is charged
    // as all JSON (the worst case); the router rejects it.
    const auto header_length = protocol::ParseHeaderLength(length_text);
    const size_t estimate =
        DecodePeakBytes(req.body().size(), header_length.ok() ? *header_length : std::nullopt);
    if (Status grown = reservation_.Resize(estimate); !grown.ok()) {
      return Respond(Busy(grown), /*close=*/false);
    }
  }
  const auto client_id = req[protocol::kClientIdHeader];
  if (req.count(protocol::kClientIdHeader) > 1) {
    return Respond(HttpRouter::Error(400, "more than one hiedge-client-id header"), false);
  }
  const int64_t received_us = SteadyMicros();
  auto view = [&req, length_text, client_id, received_us] {
    HttpRequestView v;
    v.received_us = received_us;
    v.client_id = std::string_view(client_id.data(), client_id.size());
    v.method = std::string_view(req.method_string().data(), req.method_string().size());
    v.target = std::string_view(req.target().data(), req.target().size());
    v.header_length = length_text;
    v.body = req.body();
    return v;
  };
  if (context_->router.RunsInline(*route_, req.body().size())) {
    return Respond(context_->router.Handle(*route_, view()), false);
  }
  const bool queued = context_->workers.Submit([self = shared_from_this(), view] {
    HttpReply reply = self->context_->router.Handle(*self->route_, view());
    asio::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable {
      self->Respond(std::move(reply), /*close=*/false);
    });
  });
  if (!queued) Respond(HttpRouter::Error(503, "server is shutting down"), /*close=*/true);
}

void Connection::Respond(HttpReply reply, bool close) {
  deadline_.cancel();
  const bool have_request = parser_.has_value() && parser_->is_header_done();
  const unsigned version = have_request ? parser_->get().version() : 11;
  if (have_request && !parser_->get().keep_alive()) close = true;
  if (context_->draining.load()) close = true;
  response_ = std::make_shared<Response>(static_cast<http::status>(reply.status), version);
  response_->set(http::field::content_type, reply.content_type);
  for (auto& [name, value] : reply.headers) response_->set(name, value);
  response_->keep_alive(!close);
  if (head_) {
    response_->content_length(reply.body.size());
  } else {
    response_->body() = std::move(reply.body);
    response_->prepare_payload();
  }
  // The request and its memory are no longer needed once the reply is built.
  parser_.reset();
  reservation_ = MemoryBudget::Reservation();
  head_ = false;
  stream_.expires_after(milliseconds(context_->options.write_timeout_ms));
  http::async_write(stream_, *response_,
                    [self = shared_from_this(), close](beast::error_code ec, size_t) {
                      self->OnWritten(ec, close);
                    });
}

void Connection::OnWritten(beast::error_code ec, bool close) {
  response_.reset();
  if (ec) return stream_.close();
  if (close) return LingerClose();
  AwaitRequest();
}

void Connection::Fail(int status, std::string_view message) {
  Respond(HttpRouter::Error(status, message), /*close=*/true);
}

void Connection::LingerClose() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.expires_after(milliseconds(2000));
  Drain();
}

void Connection::Drain() {
  stream_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                            if (ec) return self->stream_.close();
                            self->Drain();
                          });
}

}  // namespace hiedge::http_internal
