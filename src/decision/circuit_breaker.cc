#include "hiedge/decision/circuit_breaker.h"

#include <algorithm>

namespace hiedge {

bool CircuitBreaker::Allow(int64_t now_us) {
  switch (state_) {
    case State::kClosed:
      return true;
    case State::kOpen:
      if (now_us < reopen_at_us_) return false;
      state_ = State::kProbing;
      return true;
    case State::kProbing:
      return false;  // One probe at a time.
  }
  return true;
}

void CircuitBreaker::RecordSuccess() {
  state_ = State::kClosed;
  consecutive_failures_ = 0;
  cooldown_us_ = 0;
}

void CircuitBreaker::RecordFailure(int64_t now_us) {
  ++consecutive_failures_;
  if (options_.failures_to_open <= 0) return;
  const bool probe_failed = state_ == State::kProbing;
  if (!probe_failed && consecutive_failures_ < options_.failures_to_open) return;
  cooldown_us_ =
      probe_failed ? std::min(2 * cooldown_us_, options_.max_cooldown_us) : options_.cooldown_us;
  if (state_ == State::kClosed) ++times_opened_;
  state_ = State::kOpen;
  reopen_at_us_ = now_us + cooldown_us_;
}

}  // namespace hiedge
