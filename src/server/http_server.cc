// The REST listener: an Asio acceptor and event-loop threads; each accepted socket
// becomes an http_internal::Connection on one event loop (server/event_loops.h).
#include "hiedge/server/http_server.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "server/event_loops.h"
#include "server/http_connection.h"
#include "server/listen.h"

namespace hiedge {

namespace asio = boost::asio;
using asio::ip::tcp;

class HttpServer::Impl {
 public:
  Impl(InferenceService* service, HttpServerOptions options)
      : context(service, std::move(options)),
        loops(context.options.io_threads, "hiedge-http-io"),
        acceptor(loops.Primary()),
        accept_pause(loops.Primary()) {}

  void Accept() {
    acceptor.async_accept(
        loops.Next(), [this](boost::system::error_code ec, tcp::socket socket) {
          if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
          if (!ec) {
            std::make_shared<http_internal::Connection>(std::move(socket), &context)->Start();
            return Accept();
          }
          // Out of file descriptors (or another accept failure): retrying at once would spin
          // on the same error, so pause briefly; pending connections wait in the backlog.
          accept_pause.expires_after(std::chrono::milliseconds(10));
          accept_pause.async_wait([this](boost::system::error_code wait) {
            if (!wait) Accept();
          });
        });
  }

  // Declared first: connections unregister from it while the loops are destroyed.
  http_internal::ServerContext context;
  server_internal::EventLoops loops;
  tcp::acceptor acceptor;
  asio::steady_timer accept_pause;
  bool started = false;
};

HttpServer::HttpServer(InferenceService* service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {}

HttpServer::~HttpServer() { Stop(0); }

int HttpServer::open_connections() const { return impl_->context.open_connections(); }

Status HttpServer::Start() {
  if (impl_->started) return Status::FailedPrecondition("HTTP server already started");
  const HttpServerOptions& o = impl_->context.options;
  tcp::acceptor& acceptor = impl_->acceptor;
  HIEDGE_RETURN_IF_ERROR(server_internal::Listen(acceptor, o.host, o.port, o.listen_backlog));
  port_ = acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->loops.Start();
  impl_->started = true;
  return Status::Ok();
}

void HttpServer::BeginDrain() { impl_->context.BeginDrain(); }

void HttpServer::Stop(int grace_ms) {
  if (!impl_->started) return;
  impl_->started = false;
  impl_->context.BeginDrain();
  // The acceptor closes first, on the event loop; connections are closed after it, so
  // every connection accepted before the close is in the set CloseAll walks.
  std::promise<void> closed;
  asio::post(impl_->loops.Primary(), [this, &closed] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->accept_pause.cancel();
    closed.set_value();
  });
  closed.get_future().wait();
  // Idle connections close now; a request that has begun is read, answered and then
  // closed (the peer is told Connection: close and closes its side).
  impl_->context.CloseAll(/*only_idle=*/true);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  while (impl_->context.open_connections() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Past the grace: whatever is left is closed; requests on a worker finish first.
  impl_->context.CloseAll(/*only_idle=*/false);
  impl_->context.workers.Stop();
  const auto closing = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (impl_->context.open_connections() > 0 && std::chrono::steady_clock::now() < closing) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->loops.Stop();
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace hiedge
