// A circuit breaker for offloads: after consecutive failures of the server (offloads
// that missed their deadline) offloads fall back at once instead of each waiting its whole
// deadline; after a cool-down one probe is let through, and its outcome closes the circuit or
// reopens it for twice as long (up to a maximum). Pure: time is passed in (microseconds,
// monotonic). Not thread-safe.
#pragma once

#include <cstdint>

namespace hiedge {

struct CircuitBreakerOptions {
  int failures_to_open = 3;       // Consecutive failures; 0 disables the breaker.
  int64_t cooldown_us = 250'000;  // First open period.
  // Doubling stops here: a recovered server is offloaded to again within about this
  // long, and a hung one costs one probe's deadline per period.
  int64_t max_cooldown_us = 2'000'000;
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(CircuitBreakerOptions options = {}) : options_(options) {}

  // Whether to send a request now. Closed: yes. Open: no until the cool-down has
  // passed, then yes once (the probe) until its outcome is recorded.
  bool Allow(int64_t now_us);
  void RecordSuccess();
  void RecordFailure(int64_t now_us);

  bool open() const { return state_ != State::kClosed; }
  uint64_t times_opened() const { return times_opened_; }

 private:
  enum class State { kClosed, kOpen, kProbing };
  CircuitBreakerOptions options_;
  State state_ = State::kClosed;
  int consecutive_failures_ = 0;
  int64_t cooldown_us_ = 0;
  int64_t reopen_at_us_ = 0;
  uint64_t times_opened_ = 0;
};

}  // namespace hiedge
