// A fixed set of threads running submitted jobs in FIFO order: the REST transport runs
// model executions here so its event loop never blocks on a model.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hiedge {

// Thread-safe. Jobs run in submission order on `threads` threads; the queue is bounded
// by the callers (each REST connection has at most one job queued or running).
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Stop().
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; false (job dropped) once Stop() has begun.
  bool Submit(std::function<void()> job);
  // Runs every job already queued, then joins the threads. Idempotent.
  void Stop();
  // Jobs queued and not yet started.
  size_t queued() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // Guarded by mu_.
  bool stopping_ = false;                   // Guarded by mu_.
  std::vector<std::thread> threads_;
};

}  // namespace hiedge
