#include "server/event_loops.h"

#include <pthread.h>

#include <algorithm>

namespace hiedge::server_internal {

EventLoops::EventLoops(int threads, std::string name) : name_(std::move(name)) {
  const int n = std::max(threads, 1);
  loops_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    // Concurrency hint 1: the loop is run by one thread only, so Asio's scheduler skips
    // waking other threads.
    loops_.push_back(std::make_unique<boost::asio::io_context>(1));
  }
}

EventLoops::~EventLoops() { Stop(); }

void EventLoops::Start() {
  if (!threads_.empty()) return;
  for (auto& loop : loops_) {
    keep_running_.emplace_back(loop->get_executor());
    threads_.emplace_back([&io = *loop, name = name_.substr(0, 15)] {
      pthread_setname_np(pthread_self(), name.c_str());  // Best effort: a name is a hint.
      io.run();
    });
  }
}

void EventLoops::Stop() {
  for (WorkGuard& guard : keep_running_) guard.reset();
  keep_running_.clear();
  for (auto& loop : loops_) loop->stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

boost::asio::io_context& EventLoops::Next() {
  return *loops_[next_.fetch_add(1, std::memory_order_relaxed) % loops_.size()];
}

}  // namespace hiedge::server_internal
