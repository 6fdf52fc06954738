// A server-wide budget of bytes held by requests in flight. Transports charge each
// request's estimated peak memory before they decode it and refuse it (HTTP 503,
// gRPC UNAVAILABLE) when the budget is spent, so concurrent large requests cannot grow
// the process without bound.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>

#include "hiedge/common/status.h"

namespace hiedge {

// Thread-safe. Reservations must not outlive the budget.
class MemoryBudget {
 public:
  // Holds `bytes` of a budget until destroyed (or Resize()d). Movable, not copyable.
  class Reservation {
   public:
    Reservation() = default;
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept {
      if (this != &other) {
        Release();
        budget_ = other.budget_;
        bytes_ = other.bytes_;
        other.budget_ = nullptr;
        other.bytes_ = 0;
      }
      return *this;
    }
    ~Reservation() { Release(); }
    // Changes the amount held; growing beyond the budget's room is ResourceExhausted and
    // leaves the reservation as it was.
    Status Resize(size_t bytes) {
      if (budget_ == nullptr) return Status::FailedPrecondition("empty reservation");
      if (bytes > bytes_) HIEDGE_RETURN_IF_ERROR(budget_->Take(bytes - bytes_));
      if (bytes < bytes_) budget_->Give(bytes_ - bytes);
      bytes_ = bytes;
      return Status::Ok();
    }
    size_t bytes() const { return bytes_; }

   private:
    friend class MemoryBudget;
    Reservation(MemoryBudget* budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
    void Release() {
      if (budget_ != nullptr) budget_->Give(bytes_);
      budget_ = nullptr;
      bytes_ = 0;
    }
    MemoryBudget* budget_ = nullptr;
    size_t bytes_ = 0;
  };

  // `capacity` bytes in all; 0 means unlimited.
  explicit MemoryBudget(size_t capacity) : capacity_(capacity) {}

  // ResourceExhausted when `bytes` do not fit in what is left.
  Result<Reservation> Reserve(size_t bytes) {
    HIEDGE_RETURN_IF_ERROR(Take(bytes));
    return Reservation(this, bytes);
  }
  size_t capacity() const { return capacity_; }
  size_t in_use() const { return used_.load(); }

 private:
  Status Take(size_t bytes) {
    size_t used = used_.load();
    do {
      if (capacity_ != 0 && (bytes > capacity_ || used > capacity_ - bytes)) {
        return Status::ResourceExhausted("server busy: requests in flight hold " +
                                         std::to_string(used) + " of " + std::to_string(capacity_) +
                                         " budgeted bytes; this one needs " +
                                         std::to_string(bytes) + "; retry later");
      }
    } while (!used_.compare_exchange_weak(used, used + bytes));
    return Status::Ok();
  }
  void Give(size_t bytes) { used_.fetch_sub(bytes); }

  const size_t capacity_;
  std::atomic<size_t> used_{0};
};

}  // namespace hiedge
