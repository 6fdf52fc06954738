#include "eval/links/link_emulator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <thread>

namespace hiedge::eval {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kChunkBytes = 8 * 1448;             // Read at most 8 segments at a time.
constexpr size_t kMaxQueuedBytes = size_t{4} << 20;  // Per direction.

std::chrono::nanoseconds Ms(double ms) {
  return std::chrono::nanoseconds(static_cast<int64_t>(ms * 1e6));
}

struct Counters {
  std::atomic<uint64_t> connections{0}, refused{0}, uplink{0}, downlink{0}, lost{0};
};

// One direction of one connection: reads `from`, delivers to `to` as the link would.
class Pipe {
 public:
  Pipe(int from, int to, double rate, const LinkProfile& link, uint64_t seed,
       std::atomic<uint64_t>* bytes, std::atomic<uint64_t>* lost)
      : from_(from), to_(to), rate_(rate), link_(link), random_(seed), bytes_(bytes), lost_(lost) {}

  void Start() {
    reader_ = std::thread([this] { Read(); });
    writer_ = std::thread([this] { Write(); });
  }
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    changed_.notify_all();
  }
  void Join() {
    if (reader_.joinable()) reader_.join();
    if (writer_.joinable()) writer_.join();
  }
  bool done() const { return done_.load() == 2; }

 private:
  struct Chunk {
    Clock::time_point deliver;
    std::string bytes;  // Empty: the sender closed its side.
  };

  // When a chunk of `n` bytes read now arrives at the other end.
  Clock::time_point Schedule(size_t n) {
    const Clock::time_point now = Clock::now();
    const Clock::time_point start = std::max(now, busy_until_);
    busy_until_ = start + (rate_ > 0 ? Ms(1000.0 * static_cast<double>(n) / rate_) : Ms(0));
    double extra_ms = link_.one_way_delay_ms;
    if (link_.jitter_ms > 0) {
      extra_ms += std::uniform_real_distribution<double>(0, link_.jitter_ms)(random_);
    }
    if (link_.loss > 0) {
      const int segments = static_cast<int>(std::ceil(static_cast<double>(n) / kSegmentBytes));
      std::bernoulli_distribution lost(link_.loss);
      for (int s = 0; s < segments; ++s) {
        if (!lost(random_)) continue;
        extra_ms += RetransmissionMs(link_);
        lost_->fetch_add(1);
      }
    }
    last_delivery_ = std::max(last_delivery_, busy_until_ + Ms(extra_ms));  // In order.
    return last_delivery_;
  }

  void Read() {
    std::string buffer(kChunkBytes, '\0');
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [&] { return stopping_ || queued_bytes_ < kMaxQueuedBytes; });
        if (stopping_) break;
      }
      const ssize_t n = recv(from_, buffer.data(), buffer.size(), 0);
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        queue_.push_back({Schedule(0), std::string()});
        changed_.notify_all();
        break;
      }
      bytes_->fetch_add(static_cast<uint64_t>(n));
      queue_.push_back(
          {Schedule(static_cast<size_t>(n)), buffer.substr(0, static_cast<size_t>(n))});
      queued_bytes_ += static_cast<size_t>(n);
      changed_.notify_all();
    }
    done_.fetch_add(1);
  }

  void Write() {
    while (true) {
      Chunk chunk;
      {
        std::unique_lock<std::mutex> lock(mu_);
        changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) break;
        const Clock::time_point deliver = queue_.front().deliver;
        if (changed_.wait_until(lock, deliver, [&] { return stopping_; })) break;
        chunk = std::move(queue_.front());
        queue_.pop_front();
        queued_bytes_ -= chunk.bytes.size();
        changed_.notify_all();
      }
      if (chunk.bytes.empty()) {
        shutdown(to_, SHUT_WR);  // Pass the sender's close on.
        break;
      }
      size_t sent = 0;
      while (sent < chunk.bytes.size()) {
        const ssize_t n =
            send(to_, chunk.bytes.data() + sent, chunk.bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      if (sent < chunk.bytes.size()) {
        shutdown(from_, SHUT_RDWR);  // The receiver is gone: end this direction.
        break;
      }
    }
    done_.fetch_add(1);
  }

  const int from_, to_;
  const double rate_;
  const LinkProfile link_;
  std::mt19937_64 random_;  // Reader thread only.
  std::atomic<uint64_t>* bytes_;
  std::atomic<uint64_t>* lost_;
  Clock::time_point busy_until_{}, last_delivery_{};  // Reader thread only (under mu_).
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Chunk> queue_;  // Guarded by mu_.
  size_t queued_bytes_ = 0;  // Guarded by mu_.
  bool stopping_ = false;    // Guarded by mu_.
  std::atomic<int> done_{0};
  std::thread reader_, writer_;
};

// A device's connection and its twin to the server. Owns both sockets.
class Connection {
 public:
  Connection(int device, int server, const LinkProfile& link, uint64_t seed, Counters* counters)
      : device_(device),
        server_(server),
        up_(device, server, link.uplink_bytes_per_second, link, seed, &counters->uplink,
            &counters->lost),
        down_(server, device, link.downlink_bytes_per_second, link, seed ^ 0x9e3779b97f4a7c15ULL,
              &counters->downlink, &counters->lost) {
    up_.Start();
    down_.Start();
  }
  ~Connection() {
    Shutdown();
    up_.Join();
    down_.Join();
    close(device_);
    close(server_);
  }
  void Shutdown() {
    shutdown(device_, SHUT_RDWR);
    shutdown(server_, SHUT_RDWR);
    up_.Stop();
    down_.Stop();
  }
  bool done() const { return up_.done() && down_.done(); }

 private:
  const int device_, server_;
  Pipe up_, down_;
};

int ConnectTo(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

class LinkEmulator::Impl {
 public:
  Impl(LinkEmulatorOptions options, int listen_fd, int port)
      : options_(std::move(options)), listen_fd_(listen_fd), port_(port) {
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Impl() {
    stopping_.store(true);
    shutdown(listen_fd_, SHUT_RDWR);  // Wakes accept().
    acceptor_.join();
    close(listen_fd_);
    for (auto& c : connections_) c->Shutdown();
    connections_.clear();
  }
  int port() const { return port_; }
  LinkEmulatorCounters counters() const {
    return {counters_.connections.load(), counters_.refused.load(), counters_.uplink.load(),
            counters_.downlink.load(), counters_.lost.load()};
  }

 private:
  void Accept() {
    uint64_t accepted = 0;
    while (!stopping_.load()) {
      const int device = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (device < 0) {
        if (stopping_.load()) break;
        continue;
      }
      connections_.remove_if([](const std::unique_ptr<Connection>& c) { return c->done(); });
      const int one = 1;
      setsockopt(device, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      const int server = static_cast<int>(connections_.size()) < options_.max_connections
                             ? ConnectTo(options_.target_host, options_.target_port)
                             : -1;
      if (server < 0) {
        counters_.refused.fetch_add(1);
        close(device);
        continue;
      }
      counters_.connections.fetch_add(1);
      connections_.push_back(std::make_unique<Connection>(
          device, server, options_.link, options_.seed + 2 * accepted++, &counters_));
    }
  }

  const LinkEmulatorOptions options_;
  const int listen_fd_;
  const int port_;
  std::atomic<bool> stopping_{false};
  Counters counters_;
  std::list<std::unique_ptr<Connection>> connections_;  // Acceptor thread, then ~Impl.
  std::thread acceptor_;
};

Result<std::unique_ptr<LinkEmulator>> LinkEmulator::Start(const LinkEmulatorOptions& options) {
  if (options.target_port <= 0 || options.target_port > 65535) {
    return Status::InvalidArgument("link emulator: target port out of range");
  }
  if (options.max_connections < 1) {
    return Status::InvalidArgument("link emulator: max_connections must be at least 1");
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable("link emulator: no socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.listen_port));
  socklen_t length = sizeof(address);
  if (inet_pton(AF_INET, options.listen_host.c_str(), &address.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 128) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return Status::Unavailable("link emulator: cannot listen on " + options.listen_host + ":" +
                               std::to_string(options.listen_port));
  }
  return std::unique_ptr<LinkEmulator>(
      new LinkEmulator(std::make_unique<Impl>(options, fd, ntohs(address.sin_port))));
}

LinkEmulator::LinkEmulator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LinkEmulator::~LinkEmulator() = default;
int LinkEmulator::port() const { return impl_->port(); }
LinkEmulatorCounters LinkEmulator::counters() const { return impl_->counters(); }

Result<std::unique_ptr<LinkEmulator>> EmulateIfShaped(const LinkProfile& link, int target_port,
                                                      uint64_t seed) {
  if (!link.shaped()) return std::unique_ptr<LinkEmulator>();
  LinkEmulatorOptions options;
  options.link = link;
  options.target_port = target_port;
  options.seed = seed;
  return LinkEmulator::Start(options);
}

}  // namespace hiedge::eval
