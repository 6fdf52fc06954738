#include <algorithm>
#include <chrono>
#include <future>

#include "hiedge/server/batching.h"
#include "hiedge/common/clock.h"

namespace hiedge {

struct DynamicBatcher::Pending {
  QueuedRequest meta;
  const FloatTensor* input = nullptr;  // Owned by the caller, who waits on `done`.
  std::promise<Result<FloatTensor>> done;
  ExecutionTimes times;  // Written by the worker before `done` is set.
};

DynamicBatcher::DynamicBatcher(std::shared_ptr<InferenceBackend> backend, BatchingConfig config,
                               ModelStats* stats, Clock clock)
    : backend_(std::move(backend)),
      stats_(stats),
      clock_(clock ? std::move(clock) : Clock(SteadyMicros)),
      queue_(config),
      instances_(std::max(1, config.instances)) {
  for (int i = 0; i < instances_; ++i) {
    workers_.emplace_back([this] { Run(); });
  }
}

DynamicBatcher::~DynamicBatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& worker : workers_) worker.join();
}

Result<FloatTensor> DynamicBatcher::Infer(const FloatTensor& input, int64_t timeout_us,
                                          ExecutionTimes* times) {
  const std::vector<int64_t>& per_sample = backend_->info().input_shape;
  if (input.shape.size() != per_sample.size() + 1 || input.shape[0] < 1 ||
      !std::equal(per_sample.begin(), per_sample.end(), input.shape.begin() + 1) ||
      static_cast<int64_t>(input.data.size()) != FloatTensor::NumElements(input.shape)) {
    return Status::InvalidArgument("batched input of shape " + ShapeToString(input.shape) +
                                   " does not match the model's per-sample shape " +
                                   ShapeToString(per_sample));
  }
  auto pending = std::make_shared<Pending>();
  pending->input = &input;
  std::future<Result<FloatTensor>> result = pending->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Unavailable("model is shutting down");
    const int64_t now = clock_();
    pending->meta = {next_id_++, input.shape[0], now, timeout_us > 0 ? now + timeout_us : 0};
    HIEDGE_RETURN_IF_ERROR(queue_.Enqueue(pending->meta));
    pending_.push_back(pending);
  }
  wake_.notify_one();
  Result<FloatTensor> out = result.get();
  if (times != nullptr) *times = pending->times;
  return out;
}

int64_t DynamicBatcher::QueuedRows() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.rows();
}

void DynamicBatcher::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (stopping_) {
      for (auto& p : pending_) p->done.set_value(Status::Unavailable("model is shutting down"));
      pending_.clear();
      return;
    }
    const int64_t now = clock_();
    auto take = [&](const std::vector<QueuedRequest>& metas) {
      std::vector<std::shared_ptr<Pending>> taken;
      for (const QueuedRequest& m : metas) {
        auto it = std::find_if(pending_.begin(), pending_.end(),
                               [&](const auto& p) { return p->meta.id == m.id; });
        taken.push_back(*it);
        pending_.erase(it);
      }
      return taken;
    };
    for (auto& p : take(queue_.TakeExpired(now))) {
      // Load shedding: the time it was given is spent, so no retry can help.
      p->done.set_value(Status::Overloaded("request timed out after waiting " +
                                            std::to_string(now - p->meta.enqueued_us) +
                                            " us in the queue"));
    }
    std::vector<std::shared_ptr<Pending>> batch = take(queue_.TakeBatch(now));
    if (batch.empty()) {
      const int64_t wake = queue_.NextWakeUs();
      // Capped waits keep an injected clock's jumps visible to the worker.
      const int64_t wait_us = wake < 0 ? 10000 : std::clamp<int64_t>(wake - now, 1, 10000);
      wake_.wait_for(lock, std::chrono::microseconds(wait_us));
      continue;
    }
    // Another instance may start on what is left while this one computes.
    if (!pending_.empty() && instances_ > 1) wake_.notify_one();
    lock.unlock();
    if (stats_ != nullptr) stats_->execution_count.fetch_add(1);
    for (const auto& p : batch) {
      p->times.queue_us = static_cast<uint64_t>(std::max<int64_t>(0, now - p->meta.enqueued_us));
    }
    const int64_t compute_start = clock_();
    FloatTensor joined{batch.front()->input->shape, {}};
    joined.shape[0] = 0;
    for (const auto& p : batch) {
      joined.shape[0] += p->meta.rows;
      joined.data.insert(joined.data.end(), p->input->data.begin(), p->input->data.end());
    }
    std::vector<RowSource> sources;
    Result<FloatTensor> out = backend_->InferWithRowSources(joined, &sources);
    const auto compute_us = static_cast<uint64_t>(std::max<int64_t>(0, clock_() - compute_start));
    for (const auto& p : batch) {
      p->times.compute_us = compute_us;
      p->times.batch_rows = joined.shape[0];
    }
    int64_t row = 0;
    for (const auto& p : batch) {
      if (!out.ok()) {
        p->done.set_value(out.status());
        continue;
      }
      const int64_t width = out->row_size();
      FloatTensor mine{out->shape, {}};
      mine.shape[0] = p->meta.rows;
      mine.data.assign(out->data.begin() + row * width,
                       out->data.begin() + (row + p->meta.rows) * width);
      if (!sources.empty()) {
        p->times.row_sources.assign(sources.begin() + row, sources.begin() + row + p->meta.rows);
      }
      row += p->meta.rows;
      p->done.set_value(std::move(mine));
    }
    lock.lock();
  }
}

}  // namespace hiedge
