// What the gRPC guard needs of HTTP/2 (RFC 9113), I/O-free: a scanner that follows the
// frame boundaries of a client's byte stream without buffering payloads, and a token
// bucket for rates. Internal to src/server; pure (no I/O, threads or clocks: time is
// passed in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace hiedge::http2 {

// HTTP/2 frame types the guard counts.
inline constexpr uint8_t kHeadersFrame = 0x1;
inline constexpr uint8_t kRstStreamFrame = 0x3;

// Follows a client-to-server HTTP/2 byte stream (connection preface, then frames) in
// chunks of any size, counting HEADERS (new streams) and RST_STREAM frames. Holds at
// most one partial frame header (9 bytes); payloads are skipped, never copied. Not
// thread-safe.
class FrameScanner {
 public:
  struct Counts {
    uint64_t headers = 0;      // Streams opened (HEADERS frames).
    uint64_t resets = 0;       // RST_STREAM frames.
    uint64_t frames = 0;       // All frames.
    bool bad_preface = false;  // The stream does not start with the HTTP/2 preface.
  };
  // Scans `bytes`, the next chunk of the stream; returns what it completed in it.
  Counts Scan(std::span<const char> bytes);

 private:
  size_t preface_seen_ = 0;  // Of the 24 preface bytes.
  uint8_t header_[9] = {};   // The frame header being read.
  size_t header_seen_ = 0;
  uint64_t payload_left_ = 0;  // Payload bytes of the current frame still to skip.
  bool bad_preface_ = false;
};

// A token bucket: `rate` tokens per second up to `burst`, starting full. Time in
// microseconds, passed by the caller (monotonic). Not thread-safe.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
  // Takes `n` tokens if there are; false (nothing taken) otherwise.
  bool Take(double n, int64_t now_us);
  // Takes `n` tokens even into debt; returns how long until the balance is back to
  // zero (0 when it never went below).
  int64_t TakeOrWaitUs(double n, int64_t now_us);

 private:
  void Refill(int64_t now_us);
  double rate_, burst_, tokens_;
  int64_t last_us_ = -1;
};

}  // namespace hiedge::http2
