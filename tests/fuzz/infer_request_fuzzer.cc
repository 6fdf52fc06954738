// libFuzzer target for the REST request and response parsers (JSON + binary tensor
// data). Input layout: 2 bytes (little-endian) header length, or 0xFFFF for "no
// Inference-Header-Content-Length", then the body. Run via scripts/fuzz.sh.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "hiedge/protocol/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint16_t raw = static_cast<uint16_t>(data[0] | (data[1] << 8));
  const std::optional<size_t> header_length =
      raw == 0xFFFF ? std::nullopt : std::optional<size_t>(raw);
  const std::string_view body(reinterpret_cast<const char*>(data + 2), size - 2);
  auto request = hiedge::protocol::ParseInferRequest(body, header_length);
  if (request.ok()) {
    // Whatever parses must encode and parse back to the same tensors. JSON has no
    // NaN or infinity (they encode as null), so non-finite values go binary only.
    bool finite = true;
    for (const auto& t : request->inputs) {
      for (const float v : t.data) finite = finite && std::isfinite(v);
    }
    for (bool binary : {false, true}) {
      if (!binary && !finite) continue;
      const auto encoded = hiedge::protocol::EncodeInferRequest(*request, binary);
      auto again = hiedge::protocol::ParseInferRequest(encoded.body, encoded.header_length);
      if (!again.ok() || again->inputs.size() != request->inputs.size()) __builtin_trap();
    }
  }
  (void)hiedge::protocol::ParseInferResponse(body, header_length);
  (void)hiedge::protocol::ParseModelMetadata(body);
  return 0;
}
