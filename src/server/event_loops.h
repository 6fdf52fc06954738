// Event-loop threads for the transports: one Asio io_context per thread, each run by
// exactly that thread. Internal to src/server.
//
// Why not one io_context shared by N threads: a shared scheduler takes a lock and wakes
// another thread for most completions, and every connection then needs a strand. With
// one loop per thread a connection lives on one loop for its life, its handlers never run
// concurrently (no strand), and a completion never crosses threads. Connections are
// spread over the loops round-robin as they are accepted.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace hiedge::server_internal {

// Start() and Stop() from one owning thread; Next() and Primary() from any thread.
class EventLoops {
 public:
  // `threads` loops (at least 1), whose threads are named `name` (at most 15
  // characters: what `top -H` and /proc/<pid>/task/*/comm show). Nothing runs until Start().
  EventLoops(int threads, std::string name);
  ~EventLoops();  // Stop().
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  // Starts one thread per loop; the loops keep running (even with no work) until Stop().
  void Start();
  // Stops every loop, abandoning handlers not yet run, and joins the threads. Idempotent.
  void Stop();

  // The loop that holds listeners and server-wide timers.
  boost::asio::io_context& Primary() { return *loops_.front(); }
  // The loop for the next accepted connection (round-robin).
  boost::asio::io_context& Next();
  int size() const { return static_cast<int>(loops_.size()); }

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  std::string name_;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<WorkGuard> keep_running_;
  std::vector<std::thread> threads_;
  std::atomic<unsigned> next_{0};
};

}  // namespace hiedge::server_internal
