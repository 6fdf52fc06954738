// The gRPC guard's HTTP/2 frame scanner and token bucket, on hand-made byte streams:
// counts do not depend on how the stream is cut into reads, payloads are skipped
// whatever they hold, and the buckets pay and refuse as their rates say.
#include "server/http2_frames.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace hiedge::http2 {
namespace {

std::string Frame(uint8_t type, uint32_t stream, const std::string& payload) {
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string f = {static_cast<char>(n >> 16),
                   static_cast<char>(n >> 8),
                   static_cast<char>(n),
                   static_cast<char>(type),
                   0,
                   static_cast<char>(stream >> 24),
                   static_cast<char>(stream >> 16),
                   static_cast<char>(stream >> 8),
                   static_cast<char>(stream)};
  return f + payload;
}

// A client stream: preface, SETTINGS, then per stream HEADERS + DATA (whose payload
// looks like frame headers, to be skipped) + RST_STREAM.
std::string ClientStream(int streams) {
  std::string s = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + Frame(0x4, 0, "");
  for (int i = 0; i < streams; ++i) {
    const uint32_t id = 1 + 2 * static_cast<uint32_t>(i);
    s += Frame(kHeadersFrame, id, std::string(20, '\x01'));
    s += Frame(0x0, id, std::string("\x00\x00\x00\x03\x00\x00\x00\x00\x01", 9) + "xyz");
    s += Frame(kRstStreamFrame, id, std::string("\x00\x00\x00\x08", 4));
  }
  return s;
}

TEST(FrameScannerTest, CountsStreamsAndResetsWhateverTheReadSizes) {
  const std::string bytes = ClientStream(100);
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    FrameScanner scanner;
    uint64_t headers = 0, resets = 0, frames = 0;
    size_t at = 0;
    while (at < bytes.size()) {
      const size_t n = std::min<size_t>(bytes.size() - at, 1 + rng() % 40);
      const auto c = scanner.Scan(std::span<const char>(bytes.data() + at, n));
      EXPECT_FALSE(c.bad_preface);
      headers += c.headers;
      resets += c.resets;
      frames += c.frames;
      at += n;
    }
    EXPECT_EQ(headers, 100u);
    EXPECT_EQ(resets, 100u);
    EXPECT_EQ(frames, 301u);
  }
}

TEST(FrameScannerTest, AStreamWithoutThePrefaceIsNoted) {
  FrameScanner scanner;
  const std::string junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_TRUE(scanner.Scan(std::span<const char>(junk.data(), junk.size())).bad_preface);
}

TEST(TokenBucketTest, PaysUpToItsBurstThenAtItsRate) {
  TokenBucket bucket(/*rate=*/10, /*burst=*/5);
  EXPECT_TRUE(bucket.Take(5, 0));
  EXPECT_FALSE(bucket.Take(1, 0));
  EXPECT_FALSE(bucket.Take(1, 99'999));  // 0.99 tokens.
  EXPECT_TRUE(bucket.Take(1, 100'000));
  EXPECT_TRUE(bucket.Take(5, 10'000'000));  // Refilled, capped at the burst.
  EXPECT_FALSE(bucket.Take(1, 10'000'000));
  // Debt: 5 tokens short at 10/s is half a second of waiting.
  TokenBucket pacer(10, 0);
  EXPECT_EQ(pacer.TakeOrWaitUs(5, 0), 500'001);
  EXPECT_EQ(pacer.TakeOrWaitUs(0, 500'001), 0);
}

}  // namespace
}  // namespace hiedge::http2
