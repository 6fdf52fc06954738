#include "server/grpc_guard.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "server/event_loops.h"
#include "server/http2_frames.h"
#include "server/listen.h"

namespace hiedge {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using UnixSocket = asio::local::stream_protocol::socket;
using TlsStream = asio::ssl::stream<tcp::socket>;

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What every connection shares. Thread-safe.
class Shared {
 public:
  explicit Shared(GrpcGuardOptions o)
      : options(std::move(o)),
        server_resets_(options.server_resets_per_second, options.server_reset_burst) {}

  // Pays `n` resets from the server-wide budget; false when it cannot.
  bool PayServerResets(uint64_t n, int64_t now_us) {
    std::lock_guard<std::mutex> lock(mu_);
    return server_resets_.Take(static_cast<double>(n), now_us);
  }

  const GrpcGuardOptions options;
  std::atomic<uint64_t> connections{0}, closed_for_resets{0}, refused_at_cap{0}, streams{0},
      resets{0}, upstream_failures{0};

 private:
  std::mutex mu_;
  http2::TokenBucket server_resets_;  // Guarded by mu_.
};

class Connection {
 public:
  virtual ~Connection() = default;
  virtual void Close() = 0;  // From any thread.
};

// One client connection and its upstream twin, on one event loop. Lives as long as an
// asynchronous operation holds it.
template <class ClientStream>
class GuardedConnection final
    : public Connection,
      public std::enable_shared_from_this<GuardedConnection<ClientStream>> {
 public:
  GuardedConnection(ClientStream client, Shared* shared)
      : client_(std::move(client)),
        upstream_(client_.get_executor()),
        timer_(client_.get_executor()),
        shared_(shared),
        resets_(shared->options.resets_per_second, shared->options.reset_burst),
        streams_(shared->options.streams_per_second, shared->options.stream_burst) {}

  void Start() {
    auto self = this->shared_from_this();
    asio::post(client_.get_executor(), [self] {
      if constexpr (std::is_same_v<ClientStream, TlsStream>) {
        // A handshake that does not finish in 10 s is dropped.
        self->timer_.expires_after(std::chrono::seconds(10));
        self->timer_.async_wait([self](boost::system::error_code ec) {
          if (!ec) self->Close();
        });
        self->client_.async_handshake(asio::ssl::stream_base::server,
                                      [self](boost::system::error_code ec) {
                                        self->timer_.cancel();
                                        if (ec) return self->Close();
                                        self->ConnectUpstream();
                                      });
      } else {
        self->ConnectUpstream();
      }
    });
  }

  void Close() override {
    asio::post(client_.get_executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

 private:
  void CloseNow() {
    boost::system::error_code ignored;
    timer_.cancel();
    Lowest().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close(ignored);
    upstream_.close(ignored);
  }
  tcp::socket& Lowest() {
    if constexpr (std::is_same_v<ClientStream, TlsStream>) {
      return client_.next_layer();
    } else {
      return client_;
    }
  }

  // gRPC's socket may refuse for a while under load (its accept queue full while its
  // threads are busy): tries back off from 5 ms, doubling to at most 100 ms, for up to
  // kUpstreamPatienceMs in all before the client is let go.
  static constexpr int kUpstreamPatienceMs = 2000;
  void ConnectUpstream(int waited_ms = 0, int delay_ms = 5) {
    upstream_.async_connect(
        asio::local::stream_protocol::endpoint(shared_->options.upstream_socket),
        [self = this->shared_from_this(), waited_ms, delay_ms](boost::system::error_code ec) {
          if (!ec) {
            self->ReadClient();
            self->ReadUpstream();
            return;
          }
          boost::system::error_code ignored;
          self->upstream_.close(ignored);
          if (waited_ms >= kUpstreamPatienceMs) {
            self->shared_->upstream_failures.fetch_add(1);
            return self->CloseNow();
          }
          self->timer_.expires_after(std::chrono::milliseconds(delay_ms));
          self->timer_.async_wait([self, waited_ms, delay_ms](boost::system::error_code wait) {
            if (!wait) self->ConnectUpstream(waited_ms + delay_ms, std::min(2 * delay_ms, 100));
          });
        });
  }

  void ReadClient() {
    client_.async_read_some(
        asio::buffer(from_client_),
        [self = this->shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec) return self->CloseNow();
          self->OnClientBytes(n);
        });
  }

  void OnClientBytes(size_t n) {
    const http2::FrameScanner::Counts counts =
        scanner_.Scan(std::span<const char>(from_client_.data(), n));
    shared_->streams.fetch_add(counts.headers);
    shared_->resets.fetch_add(counts.resets);
    const int64_t now = NowUs();
    if (counts.resets > 0 && (!resets_.Take(static_cast<double>(counts.resets), now) ||
                              !shared_->PayServerResets(counts.resets, now))) {
      shared_->closed_for_resets.fetch_add(1);
      return CloseNow();  // The chunk holding the abuse is not passed on.
    }
    const int64_t pause_us = streams_.TakeOrWaitUs(static_cast<double>(counts.headers), now);
    asio::async_write(
        upstream_, asio::buffer(from_client_.data(), n),
        [self = this->shared_from_this(), pause_us](boost::system::error_code ec, size_t) {
          if (ec) return self->CloseNow();
          if (pause_us <= 0) return self->ReadClient();
          self->timer_.expires_after(std::chrono::microseconds(pause_us));
          self->timer_.async_wait([self](boost::system::error_code wait) {
            if (!wait) self->ReadClient();
          });
        });
  }

  void ReadUpstream() {
    upstream_.async_read_some(
        asio::buffer(from_upstream_),
        [self = this->shared_from_this()](boost::system::error_code ec, size_t n) {
          if (ec) return self->CloseNow();
          asio::async_write(self->client_, asio::buffer(self->from_upstream_.data(), n),
                            [self](boost::system::error_code wrote, size_t) {
                              if (wrote) return self->CloseNow();
                              self->ReadUpstream();
                            });
        });
  }

  ClientStream client_;
  UnixSocket upstream_;
  asio::steady_timer timer_;  // TLS handshake deadline, then stream pacing.
  Shared* shared_;
  http2::FrameScanner scanner_;
  http2::TokenBucket resets_;
  http2::TokenBucket streams_;
  std::array<char, 64 * 1024> from_client_{};
  std::array<char, 64 * 1024> from_upstream_{};
};

// An HTTP/2 server over TLS must select "h2" by ALPN; gRPC clients insist on it.
int SelectH2(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
             unsigned int in_length, void*) {
  for (unsigned int i = 0; i < in_length;) {
    const unsigned int length = in[i];
    if (i + 1 + length > in_length) break;
    if (length == 2 && in[i + 1] == 'h' && in[i + 2] == '2') {
      *out = in + i + 1;
      *out_length = 2;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + length;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

class GrpcGuard::Impl {
 public:
  explicit Impl(GrpcGuardOptions options)
      : shared(std::move(options)),
        loops(shared.options.io_threads, "hiedge-grpc-io"),
        acceptor(loops.Primary()),
        tls(asio::ssl::context::tls_server) {}

  void Accept() {
    acceptor.async_accept(loops.Next(), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) Admit(std::move(socket));
      Accept();
    });
  }

  void Admit(tcp::socket socket) {
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = open.begin(); it != open.end();) {  // Forget the finished.
      it = it->second.expired() ? open.erase(it) : std::next(it);
    }
    if (closing || static_cast<int>(open.size()) >= shared.options.max_connections) {
      shared.refused_at_cap.fetch_add(1);
      socket.close(ignored);
      return;
    }
    shared.connections.fetch_add(1);
    std::shared_ptr<Connection> connection;
    if (use_tls) {
      auto c = std::make_shared<GuardedConnection<TlsStream>>(TlsStream(std::move(socket), tls),
                                                              &shared);
      c->Start();
      connection = c;
    } else {
      auto c = std::make_shared<GuardedConnection<tcp::socket>>(std::move(socket), &shared);
      c->Start();
      connection = c;
    }
    open.emplace(connection.get(), connection);
  }

  Shared shared;
  server_internal::EventLoops loops;  // Run until Stop().
  tcp::acceptor acceptor;
  bool accepting = false;
  asio::ssl::context tls;
  bool use_tls = false;
  std::mutex mu;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> open;  // Guarded by mu.
  bool closing = false;                                                   // Guarded by mu.
  bool started = false;
};

GrpcGuard::GrpcGuard(GrpcGuardOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

GrpcGuard::~GrpcGuard() { Stop(); }

Status GrpcGuard::Start() {
  const GrpcGuardOptions& o = impl_->shared.options;
  boost::system::error_code ec;
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty()) {
      return Status::InvalidArgument("TLS needs both a certificate and a private key file");
    }
    impl_->tls.use_certificate_chain_file(o.tls_cert_file, ec);
    if (!ec) impl_->tls.use_private_key_file(o.tls_key_file, asio::ssl::context::pem, ec);
    if (ec) {
      return Status::InvalidArgument("cannot use the TLS certificate/key (" + o.tls_cert_file +
                                     ", " + o.tls_key_file + "): " + ec.message());
    }
    impl_->tls.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                           asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    SSL_CTX_set_alpn_select_cb(impl_->tls.native_handle(), SelectH2, nullptr);
    impl_->use_tls = true;
  }
  tcp::acceptor& acceptor = impl_->acceptor;
  HIEDGE_RETURN_IF_ERROR(server_internal::Listen(acceptor, o.host, o.port, /*backlog=*/1024));
  port_ = acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->accepting = true;
  impl_->loops.Start();
  impl_->started = true;
  return Status::Ok();
}

void GrpcGuard::StopAccepting() {
  if (!impl_->accepting) return;
  impl_->accepting = false;
  std::promise<void> closed;
  asio::post(impl_->loops.Primary(), [this, &closed] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    closed.set_value();
  });
  closed.get_future().wait();
}

void GrpcGuard::Stop() {
  if (!impl_->started) return;
  StopAccepting();
  impl_->started = false;
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->closing = true;
    for (const auto& [raw, weak] : impl_->open) {
      if (auto strong = weak.lock()) open.push_back(std::move(strong));
    }
    impl_->open.clear();
  }
  for (const auto& c : open) c->Close();
  open.clear();
  impl_->loops.Stop();
}

GrpcGuardCounters GrpcGuard::counters() const {
  const Shared& s = impl_->shared;
  return {s.connections.load(),    s.closed_for_resets.load(),
          s.refused_at_cap.load(), s.streams.load(),
          s.resets.load(),         s.upstream_failures.load()};
}

}  // namespace hiedge
