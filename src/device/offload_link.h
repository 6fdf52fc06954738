// What the REST and gRPC offload clients share: the request they send, how they read
// the answer, and bounded retries with jittered exponential backoff inside a deadline.
// Internal to src/device.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "hiedge/device/device.h"
#include "hiedge/protocol/protocol.h"

namespace hiedge::internal {

using OffloadClock = std::chrono::steady_clock;

// The offload request for `images`: one input in `payload`'s datatype, the logits
// output (as binary data when the transport supports it). FP16 values are rounded here,
// so JSON and binary requests carry the same numbers.
inline protocol::InferRequest LogitsRequest(const FloatTensor& images, bool binary_output,
                                            Payload payload = Payload::kFp32) {
  protocol::InferRequest request;
  std::vector<float> values = images.data;
  const char* datatype = "FP32";
  if (payload == Payload::kUint8Pixels) {
    datatype = "UINT8";
    for (float& v : values) v = std::round(std::clamp(v, 0.0f, 1.0f) * 255.0f);
  } else if (payload == Payload::kFp16) {
    datatype = "FP16";
    for (float& v : values) v = protocol::HalfToFloat(protocol::FloatToHalf(v));
  }
  request.inputs.push_back({protocol::kInputName, datatype, images.shape, std::move(values), {}});
  request.outputs.push_back({protocol::kLogitsName, binary_output, 0});
  return request;
}

// The server's price from the text of a refusal's header or trailer.
inline void ReadPrice(std::string_view text, ServerReport* report) {
  int64_t ppm = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ppm);
  if (ec != std::errc() || end != text.data() + text.size() || ppm < 0 ||
      ppm > kMaxOffloadPricePpm) {
    report->malformed_price = true;
    return;
  }
  report->price_ppm = ppm;
}

// The server's price from an answer's parameters.
inline void ReadPrice(const protocol::InferResponse& response, ServerReport* report) {
  if (auto p = response.parameters.find(protocol::kOffloadPriceParameter);
      p != response.parameters.end()) {
    if (p->second < 0 || p->second > kMaxOffloadPricePpm) {
      report->malformed_price = true;
    } else {
      report->price_ppm = p->second;
    }
  } else if (response.string_parameters.count(protocol::kOffloadPriceParameter)) {
    report->malformed_price = true;  // Sent, but not as an integer.
  }
}

// The logits of a server's answer, or Internal when it has none; `report` gets what
// the server reported beside them.
inline Result<FloatTensor> LogitsOf(protocol::InferResponse response, ServerReport* report) {
  *report = {};
  if (auto q = response.parameters.find(protocol::kQueueParameter);
      q != response.parameters.end() && q->second >= 0) {
    report->queue_us = q->second;
  }
  if (auto f = response.parameters.find(protocol::kFallbackRowsParameter);
      f != response.parameters.end() && f->second > 0) {
    report->fallback_rows = f->second;
  }
  ReadPrice(response, report);
  for (protocol::Tensor& t : response.outputs) {
    if (t.name == protocol::kLogitsName && t.datatype == "FP32")
      return FloatTensor{t.shape, std::move(t.data)};
  }
  return Status::Internal("server response has no FP32 '" + std::string(protocol::kLogitsName) +
                          "' output");
}

// Calls attempt(give_up) until it succeeds or fails for good. An attempt signals a
// retryable failure (server shedding load, connection dropped before an answer) with
// ResourceExhausted; the retry comes after a backoff drawn uniformly from
// [0, backoff_base * 2^attempt], unless retries are used up or the backoff would pass
// give_up, in which case the result is Unavailable. Other errors return at once.
template <typename Attempt>
Result<FloatTensor> CallWithRetries(Attempt&& attempt, OffloadClock::time_point give_up,
                                    const OffloadOptions& options, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  for (int tries = 0;; ++tries) {
    Result<FloatTensor> result = attempt(give_up);
    if (result.ok() || result.status().code() != StatusCode::kResourceExhausted) return result;
    const double cap =
        static_cast<double>(options.backoff_base.count()) * (1 << std::min(tries, 16));
    const auto backoff = std::chrono::microseconds(static_cast<int64_t>(jitter(rng) * cap));
    if (tries >= options.max_retries || OffloadClock::now() + backoff >= give_up) {
      return Status::Unavailable(result.status().message());
    }
    std::this_thread::sleep_for(backoff);
  }
}

}  // namespace hiedge::internal
