// The transports' event loops: connections are spread round-robin over the loops, each
// loop runs on its own named thread, a loop's handlers never run concurrently, and
// Stop() joins every thread (and may be called twice).
#include "server/event_loops.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <future>
#include <set>
#include <thread>

namespace hiedge::server_internal {
namespace {

// Runs `f` on `loop` and waits for its result.
template <class F>
auto RunOn(boost::asio::io_context& loop, F f) {
  std::promise<decltype(f())> done;
  boost::asio::post(loop, [&] { done.set_value(f()); });
  return done.get_future().get();
}

TEST(EventLoopsTest, NextCyclesThroughTheLoopsEachOnItsOwnNamedThread) {
  EventLoops loops(3, "hiedge-test-io-long-name");
  loops.Start();
  ASSERT_EQ(loops.size(), 3);
  std::vector<boost::asio::io_context*> order;
  for (int i = 0; i < 6; ++i) order.push_back(&loops.Next());
  EXPECT_NE(order[0], order[1]);
  EXPECT_NE(order[1], order[2]);
  EXPECT_NE(order[0], order[2]);
  EXPECT_EQ(order[0], order[3]);  // Round-robin.
  EXPECT_EQ(order[2], order[5]);
  std::set<std::thread::id> threads;
  for (int i = 0; i < 3; ++i) {
    threads.insert(RunOn(*order[static_cast<size_t>(i)], [] { return std::this_thread::get_id(); }));
    const std::string name = RunOn(*order[static_cast<size_t>(i)], [] {
      char buffer[32] = {};
      pthread_getname_np(pthread_self(), buffer, sizeof(buffer));
      return std::string(buffer);
    });
    EXPECT_EQ(name, "hiedge-test-io-");  // Cut to Linux's 15 characters.
  }
  EXPECT_EQ(threads.size(), 3u);
  EXPECT_FALSE(threads.count(std::this_thread::get_id()));
  loops.Stop();
  loops.Stop();  // Idempotent.
}

TEST(EventLoopsTest, ALoopRunsItsHandlersOneAtATimeInOrder) {
  EventLoops loops(2, "hiedge-test-io");
  loops.Start();
  boost::asio::io_context& loop = loops.Primary();
  int running = 0;
  int most_running = 0;
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 1000; ++i) {
    boost::asio::post(loop, [&, i] {
      most_running = std::max(most_running, ++running);
      order.push_back(i);
      --running;
      if (i == 999) done.set_value();
    });
  }
  done.get_future().wait();
  EXPECT_EQ(most_running, 1);
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(EventLoopsTest, AtLeastOneLoopAndStopWithoutStart) {
  EventLoops loops(0, "x");
  EXPECT_EQ(loops.size(), 1);
  EXPECT_EQ(&loops.Next(), &loops.Primary());
  loops.Stop();  // Never started: nothing to join.
}

}  // namespace
}  // namespace hiedge::server_internal
