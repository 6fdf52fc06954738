// libFuzzer target for the gRPC guard's HTTP/2 frame scanner (server/http2_frames.h):
// any client byte stream, cut into reads at sizes the first byte picks. The counts must
// not depend on the cut, and the scanner never reads past what it is given (ASan).
// Run via scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "server/http2_frames.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  const std::span<const char> bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  hiedge::http2::FrameScanner whole, pieces;
  const auto once = whole.Scan(bytes);
  uint64_t headers = 0, resets = 0, frames = 0;
  for (size_t at = 0; at < bytes.size(); at += step) {
    const auto c = pieces.Scan(bytes.subspan(at, std::min(step, bytes.size() - at)));
    headers += c.headers;
    resets += c.resets;
    frames += c.frames;
  }
  if (headers != once.headers || resets != once.resets || frames != once.frames) std::abort();
  return 0;
}
