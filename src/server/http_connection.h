// One REST connection on Boost.Beast: reads requests within the server's bounds, hands
// model executions to the worker pool and writes the replies. Internal to src/server.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "hiedge/server/http_server.h"
#include "server/memory_budget.h"
#include "server/http_routes.h"
#include "server/worker_pool.h"

namespace hiedge::http_internal {

class Connection;

// What every connection of one server shares. Thread-safe; outlives the connections.
struct ServerContext {
  ServerContext(InferenceService* service, HttpServerOptions options)
      : options(std::move(options)),
        router(service, this->options.bearer_token),
        budget(&service->inflight_budget()),
        workers(this->options.worker_threads) {}

  // Tracks open connections for the cap and for Stop(). Thread-safe.
  bool Register(const std::shared_ptr<Connection>& connection);
  void Unregister(const Connection* connection);
  // Connections being refused (answered 503, lingering before close) are counted too,
  // up to max_connections; beyond that a refusal closes at once.
  bool BeginRefusal();
  void EndRefusal();
  int open_connections() const;
  // Drain: replies close their connection from now on (Connection: close).
  void BeginDrain() { draining.store(true); }
  // Stops registering connections and closes the open ones: idle ones at once, busy
  // ones after their reply (`only_idle`), or all at once.
  void CloseAll(bool only_idle);

  const HttpServerOptions options;
  const HttpRouter router;
  MemoryBudget* budget;
  WorkerPool workers;
  std::atomic<bool> draining{false};

 private:
  mutable std::mutex mu_;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> open_;  // Guarded by mu_.
  bool closing_ = false;                                                   // Guarded by mu_.
  int refusing_ = 0;                                                       // Guarded by mu_.
};

// Lives as long as an asynchronous operation holds it (shared_from_this).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket&& socket, ServerContext* context);
  ~Connection();

  // Serves requests until the peer leaves, a bound is hit or Close() is called.
  void Start();
  // Refuses the connection with 503 (the server is at its connection cap) and closes it
  // after the peer has had time to read the answer. Not registered.
  void Refuse();
  // Closes the socket from any thread; pending operations end with an error.
  void Close();
  // From any thread: closes the connection if no request has begun on it (no byte of
  // one received); otherwise it closes after its reply (the server is draining).
  void CloseWhenIdle();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using Response = boost::beast::http::response<boost::beast::http::string_body>;

  void AwaitRequest();
  void OnFirstBytes(boost::beast::error_code ec, size_t bytes);
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnBodyPart(boost::beast::error_code ec);
  void Dispatch();
  // Writes `reply`; `close` ends the connection after it (lingering for unread input).
  void Respond(HttpReply reply, bool close);
  void OnWritten(boost::beast::error_code ec, bool close);
  // A transport-level failure: answers `status` and closes.
  void Fail(int status, std::string_view message);
  // Half-closes, reads and discards what the peer still sends (bounded in time), then
  // closes: the peer sees the answer, never a reset.
  void LingerClose();
  void Drain();
  // Arms the deadline of the current read: on expiry the read is cancelled and the
  // request answered 408 (Beast's own stream timeout would close the socket first).
  void ArmDeadline(int timeout_ms);
  // True when the last read ended because its deadline passed.
  bool DeadlinePassed(boost::beast::error_code ec) const;
  // Disarms the deadline; when `ec` is an error, answers it (408 past the deadline of
  // `timeout_ms`, 431, 413, 400 for malformed `part`) or closes for a peer that left,
  // and returns true.
  bool EndedByReadError(boost::beast::error_code ec, std::string_view part, int timeout_ms);

  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer deadline_;
  bool deadline_passed_ = false;
  ServerContext* context_;
  bool registered_ = false;
  bool refusing_ = false;  // Counted by ServerContext::BeginRefusal.
  bool idle_ = false;      // Waiting for the first byte of a request (on its loop).
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<HttpRoute> route_;
  MemoryBudget::Reservation reservation_;
  bool head_ = false;  // The request was HEAD: the reply carries no body.
  std::shared_ptr<Response> response_;
  std::shared_ptr<boost::beast::http::response<boost::beast::http::empty_body>> continue_;
  std::array<char, 4096> discard_{};
};

}  // namespace hiedge::http_internal
