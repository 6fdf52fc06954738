// Dynamic batching, configured like Triton's dynamic_batching: requests for one model
// are queued and run together as one batch.
//
// BatchQueue is the scheduling policy alone: no threads, no clock (times are passed
// in, in microseconds), so it is tested deterministically. DynamicBatcher runs it
// on a worker thread against a backend.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hiedge/common/clock.h"
#include "hiedge/engine/model.h"
#include "hiedge/server/model_stats.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct BatchingConfig {
  int64_t max_batch_size = 0;                  // Rows per batch; 0 disables batching.
  std::vector<int64_t> preferred_batch_sizes;  // Run at once when the queue holds one of these.
  int64_t max_queue_delay_us = 0;              // Longest the oldest request waits for company.
  size_t max_queue_size = 0;                   // Requests queued at most; 0 = unbounded.
  // Batches run at once (Triton's instance_group count): while one instance runs a
  // batch the next one forms, so the model does not idle while answers go out and
  // clients send again. Each instance calls the backend concurrently.
  int instances = 1;
  bool enabled() const { return max_batch_size > 0; }
};

// A queued request as the policy sees it.
struct QueuedRequest {
  uint64_t id = 0;
  int64_t rows = 0;  // Batch dimension of the request's input.
  int64_t enqueued_us = 0;
  int64_t deadline_us = 0;  // Reject if not started by then; 0 = no timeout.
};

// Not thread-safe; DynamicBatcher guards it.
class BatchQueue {
 public:
  explicit BatchQueue(BatchingConfig config) : config_(std::move(config)) {}

  // ResourceExhausted when the queue is full; InvalidArgument when the request alone
  // exceeds max_batch_size.
  Status Enqueue(const QueuedRequest& request);

  // Requests whose deadline passed before they could start, removed from the queue.
  std::vector<QueuedRequest> TakeExpired(int64_t now_us);

  // The next batch to run now (oldest first, whole requests, at most max_batch_size
  // rows), or empty if it is better to wait: runs when the queue fills a batch or a
  // preferred size, or when the oldest request has waited max_queue_delay_us.
  std::vector<QueuedRequest> TakeBatch(int64_t now_us);

  // When TakeBatch or TakeExpired could next return something without new arrivals;
  // -1 if the queue is empty.
  int64_t NextWakeUs() const;

  size_t size() const { return queue_.size(); }
  int64_t rows() const;

 private:
  BatchingConfig config_;
  std::deque<QueuedRequest> queue_;
};

// Runs batches of requests on a backend from one worker thread. Thread-safe.
// Where one request's time went, in microseconds.
struct ExecutionTimes {
  uint64_t queue_us = 0;    // Waiting for its batch to start.
  uint64_t compute_us = 0;  // Its batch's execution.
  int64_t batch_rows = 0;   // Rows of its batch (its own and its companions').
  // Who answered each of its rows (InferenceBackend::InferWithRowSources); empty when
  // the model answered them all itself.
  std::vector<RowSource> row_sources;
};

class DynamicBatcher {
 public:
  using Clock = MicrosClock;
  // `stats`, if not null, must outlive the batcher; it gets the execution count (per
  // request figures go back to the caller, who knows whether the request succeeded).
  DynamicBatcher(std::shared_ptr<InferenceBackend> backend, BatchingConfig config,
                 ModelStats* stats = nullptr, Clock clock = nullptr);
  ~DynamicBatcher();  // Fails queued requests with Unavailable and joins the workers.

  // Blocks until the request's batch has run. `timeout_us` > 0 rejects it with
  // Overloaded if it has not started within that time.
  // `times`, if not null, receives the request's queue and compute time.
  Result<FloatTensor> Infer(const FloatTensor& input, int64_t timeout_us = 0,
                            ExecutionTimes* times = nullptr);
  // Rows queued and not yet started.
  int64_t QueuedRows();
  int instances() const { return instances_; }

 private:
  struct Pending;
  void Run();

  std::shared_ptr<InferenceBackend> backend_;
  ModelStats* stats_;
  Clock clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  BatchQueue queue_;                               // Guarded by mu_.
  std::vector<std::shared_ptr<Pending>> pending_;  // Guarded by mu_.
  uint64_t next_id_ = 1;                           // Guarded by mu_.
  bool stopping_ = false;                          // Guarded by mu_.
  const int instances_;                            // Workers running Run(), at least 1.
  std::vector<std::thread> workers_;               // config.instances of them, each running Run().
};

}  // namespace hiedge
