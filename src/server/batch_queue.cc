#include <algorithm>

#include "hiedge/server/batching.h"

namespace hiedge {

Status BatchQueue::Enqueue(const QueuedRequest& r) {
  if (r.rows > config_.max_batch_size) {
    return Status::InvalidArgument("request batch " + std::to_string(r.rows) +
                                   " exceeds max_batch_size " +
                                   std::to_string(config_.max_batch_size));
  }
  if (config_.max_queue_size > 0 && queue_.size() >= config_.max_queue_size) {
    return Status::ResourceExhausted("queue full: " + std::to_string(queue_.size()) +
                                     " requests waiting (max_queue_size)");
  }
  queue_.push_back(r);
  return Status::Ok();
}

std::vector<QueuedRequest> BatchQueue::TakeExpired(int64_t now_us) {
  std::vector<QueuedRequest> expired;
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline_us > 0 && it->deadline_us <= now_us) {
      expired.push_back(*it);
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return expired;
}

std::vector<QueuedRequest> BatchQueue::TakeBatch(int64_t now_us) {
  if (queue_.empty()) return {};
  // The largest prefix of whole requests that fits in one batch.
  int64_t rows = 0;
  size_t count = 0;
  while (count < queue_.size() && rows + queue_[count].rows <= config_.max_batch_size) {
    rows += queue_[count++].rows;
  }
  const bool full = rows == config_.max_batch_size || count < queue_.size();
  const bool preferred =
      std::find(config_.preferred_batch_sizes.begin(), config_.preferred_batch_sizes.end(), rows) !=
      config_.preferred_batch_sizes.end();
  const bool waited = now_us - queue_.front().enqueued_us >= config_.max_queue_delay_us;
  if (!full && !preferred && !waited) return {};
  std::vector<QueuedRequest> batch(queue_.begin(), queue_.begin() + static_cast<long>(count));
  queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(count));
  return batch;
}

int64_t BatchQueue::rows() const {
  int64_t rows = 0;
  for (const QueuedRequest& r : queue_) rows += r.rows;
  return rows;
}

int64_t BatchQueue::NextWakeUs() const {
  if (queue_.empty()) return -1;
  int64_t wake = queue_.front().enqueued_us + config_.max_queue_delay_us;
  for (const QueuedRequest& r : queue_) {
    if (r.deadline_us > 0) wake = std::min(wake, r.deadline_us);
  }
  return wake;
}

}  // namespace hiedge
