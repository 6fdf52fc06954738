// A fault-injecting TCP proxy for tests (the kernel's netem is not available here):
// forwards loopback connections to a target port, adding delay, capping bandwidth,
// or stalling/dropping connections. Settings may change while it runs.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hiedge::testing {

class FaultProxy {
 public:
  enum class Mode { kForward, kStall, kDrop };

  explicit FaultProxy(int target_port);
  ~FaultProxy();
  int port() const { return port_; }

  void set_mode(Mode mode) { mode_.store(mode); }
  // Added before forwarding each chunk, in each direction.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_.store(delay.count()); }
  // Bytes per second in each direction; 0 = unlimited.
  void set_bandwidth(int64_t bytes_per_second) { bandwidth_.store(bytes_per_second); }
  // Connections closed at once in kDrop mode so far.
  int dropped() const { return dropped_.load(); }

 private:
  void Accept();
  void Serve(int client);
  void Pump(int from, int to);

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<int64_t> delay_ms_{0};
  std::atomic<int64_t> bandwidth_{0};
  std::atomic<int> dropped_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;  // Guarded by mu_.
  std::vector<int> sockets_;          // Guarded by mu_; shut down on destruction.
};

}  // namespace hiedge::testing
