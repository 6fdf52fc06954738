// A raw TCP client for tests that must send what no HTTP library would: broken
// framing, dripped headers, oversized bodies. Blocking, with a receive timeout.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace hiedge::testing {

class RawConnection {
 public:
  // Connects to 127.0.0.1:port; ok() tells whether it worked.
  explicit RawConnection(int port, int receive_timeout_ms = 10000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{receive_timeout_ms / 1000, (receive_timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return ok_; }
  // Sends all of `bytes`; false if the peer closed or reset.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads one HTTP response (headers and a Content-Length body). Empty on timeout or
  // close before a full response; `reset` tells whether the peer reset the connection.
  std::string ReadResponse() {
    while (true) {
      const size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t cl = Lower(buffer_.substr(0, end)).find("content-length:");
        if (cl != std::string::npos) length = std::stoul(buffer_.substr(cl + 15));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      if (!ReadMore()) return {};
    }
  }
  // Reads until the peer closes; true for an orderly close (FIN), false for a reset or
  // a timeout.
  bool ReadUntilClosed() {
    while (ReadMore()) {
    }
    return closed_cleanly_;
  }
  // Everything until the peer closes (or the receive timeout).
  std::string ReadAll() {
    while (ReadMore()) {
    }
    return std::exchange(buffer_, std::string());
  }
  bool reset() const { return reset_; }

  static int StatusOf(const std::string& response) {
    return response.size() > 12 ? std::stoi(response.substr(9, 3)) : 0;
  }
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

 private:
  bool ReadMore() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) closed_cleanly_ = true;
    if (n < 0 && errno == ECONNRESET) reset_ = true;
    return false;
  }

  int fd_ = -1;
  bool ok_ = false;
  bool closed_cleanly_ = false;
  bool reset_ = false;
  std::string buffer_;
};

}  // namespace hiedge::testing
