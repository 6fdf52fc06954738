// Per-model inference statistics, kept as lock-free counters. The one source for the
// Prometheus /metrics text (Triton's nv_inference_* names) and the stats endpoint.
// Owned by InferenceService per model (shared with its batcher); Snapshot is a value.
#pragma once

#include <atomic>
#include <cstdint>

namespace hiedge {

// Thread-safe: every member is atomic. Durations are cumulative microseconds. As in
// Triton, inference_count, request_duration, queue and compute cover successful
// requests only; failed ones count in request_failure and failure_duration.
struct ModelStats {
  std::atomic<uint64_t> request_success{0};
  std::atomic<uint64_t> request_failure{0};
  std::atomic<uint64_t> inference_count{0};      // Rows (samples) of successful requests.
  std::atomic<uint64_t> execution_count{0};      // Backend executions (batches).
  std::atomic<uint64_t> request_duration_us{0};  // Successful requests, end to end.
  std::atomic<uint64_t> failure_duration_us{0};  // Failed requests, end to end.
  std::atomic<uint64_t> queue_duration_us{0};
  std::atomic<uint64_t> compute_duration_us{0};
  std::atomic<int64_t> pending_requests{0};

  struct Snapshot {
    uint64_t request_success, request_failure, inference_count, execution_count;
    uint64_t request_duration_us, failure_duration_us, queue_duration_us, compute_duration_us;
    int64_t pending_requests;
  };
  Snapshot Read() const {
    return {request_success.load(),   request_failure.load(),     inference_count.load(),
            execution_count.load(),   request_duration_us.load(), failure_duration_us.load(),
            queue_duration_us.load(), compute_duration_us.load(), pending_requests.load()};
  }
};

}  // namespace hiedge
