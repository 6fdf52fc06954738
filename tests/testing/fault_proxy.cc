#include "testing/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace hiedge::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

FaultProxy::FaultProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = Loopback(0);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  ::listen(listen_fd_, 128);
  socklen_t len = sizeof(a);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

FaultProxy::~FaultProxy() {
  stopping_.store(true);
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : sockets_) ::shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  for (int fd : sockets_) ::close(fd);
}

void FaultProxy::Accept() {
  while (!stopping_.load()) {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    sockets_.push_back(client);
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

void FaultProxy::Serve(int client) {
  const Mode mode = mode_.load();
  if (mode == Mode::kDrop) {
    ::shutdown(client, SHUT_RDWR);
    dropped_.fetch_add(1);
    return;
  }
  if (mode == Mode::kStall) {
    char sink[4096];
    while (::recv(client, sink, sizeof(sink), 0) > 0) {  // Read, never answer.
    }
    return;
  }
  const int server = ::socket(AF_INET, SOCK_STREAM, 0);
  {
    std::lock_guard<std::mutex> lock(mu_);
    sockets_.push_back(server);
  }
  sockaddr_in a = Loopback(target_port_);
  if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::shutdown(client, SHUT_RDWR);
    return;
  }
  std::thread back([this, server, client] { Pump(server, client); });
  Pump(client, server);
  back.join();
}

void FaultProxy::Pump(int from, int to) {
  char buffer[16384];
  while (true) {
    const ssize_t n = ::recv(from, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    const int64_t delay = delay_ms_.load();
    if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    const int64_t bandwidth = bandwidth_.load();
    if (bandwidth > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(n * 1000000 / bandwidth));
    }
    if (::send(to, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  ::shutdown(to, SHUT_WR);
}

}  // namespace hiedge::testing
