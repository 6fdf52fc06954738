#include "server/http2_frames.h"

#include <algorithm>
#include <cstring>

namespace hiedge::http2 {
namespace {

constexpr char kPreface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kPrefaceBytes = sizeof(kPreface) - 1;  // 24

}  // namespace

FrameScanner::Counts FrameScanner::Scan(std::span<const char> bytes) {
  Counts counts;
  size_t i = 0;
  while (i < bytes.size() && preface_seen_ < kPrefaceBytes) {
    if (bytes[i] != kPreface[preface_seen_]) bad_preface_ = true;
    ++preface_seen_;
    ++i;
  }
  while (i < bytes.size()) {
    if (payload_left_ > 0) {
      const uint64_t skip = std::min<uint64_t>(payload_left_, bytes.size() - i);
      payload_left_ -= skip;
      i += static_cast<size_t>(skip);
      continue;
    }
    const size_t take = std::min(sizeof(header_) - header_seen_, bytes.size() - i);
    std::memcpy(header_ + header_seen_, bytes.data() + i, take);
    header_seen_ += take;
    i += take;
    if (header_seen_ < sizeof(header_)) break;
    header_seen_ = 0;
    payload_left_ = (uint64_t{header_[0]} << 16) | (uint64_t{header_[1]} << 8) | header_[2];
    ++counts.frames;
    if (header_[3] == kHeadersFrame) ++counts.headers;
    if (header_[3] == kRstStreamFrame) ++counts.resets;
  }
  counts.bad_preface = bad_preface_;
  return counts;
}

void TokenBucket::Refill(int64_t now_us) {
  if (last_us_ >= 0 && now_us > last_us_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_us - last_us_) / 1e6);
  }
  last_us_ = std::max(last_us_, now_us);
}

bool TokenBucket::Take(double n, int64_t now_us) {
  Refill(now_us);
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

int64_t TokenBucket::TakeOrWaitUs(double n, int64_t now_us) {
  Refill(now_us);
  tokens_ -= n;
  if (tokens_ >= 0 || rate_ <= 0) return 0;
  return static_cast<int64_t>(-tokens_ / rate_ * 1e6) + 1;
}

}  // namespace hiedge::http2
