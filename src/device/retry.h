// Bounded retries with jittered exponential backoff inside a deadline, shared by the
// offload transports. Internal to src/device.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "hiedge/device.h"

namespace hiedge::internal {

using OffloadClock = std::chrono::steady_clock;

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
