// Choosing among several edge servers by measured round-trip time (queueing
// included): the one server-choice mechanism of the multi-endpoint offload client and
// of seed 004's two-level device.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace hiedge {

struct EndpointSelectorOptions {
  double ewma_weight = 0.2;             // Weight of the newest RTT in the smoothed RTT.
  int64_t probe_interval_us = 1000000;  // Re-measure an endpoint unused this long.
  int64_t down_cooldown_us = 500000;    // Avoid a failed endpoint this long.
};

// Pure policy on plain numbers; time is passed in (microseconds, any epoch). Not
// thread-safe. Choose():
//  1. an endpoint never measured (in order), so every server gets a first RTT;
//  2. else an endpoint that is up and whose last measurement is older than
//     probe_interval (the stalest first), so a server that got faster is noticed;
//  3. else the up endpoint with the lowest expected wait: the smoothed round trip
//     without the server's queueing, plus the queue wait the server reported last
//     (a reported queue is current, a smoothed round trip lags; without reports the
//     expected wait is the smoothed round trip);
//  4. if all are down, the one whose cooldown ends first.
class EndpointSelector {
 public:
  EndpointSelector(size_t endpoints, EndpointSelectorOptions options = {});
  size_t Choose(int64_t now_us) const;
  // The same rules among `candidates` only (indices < endpoints); endpoints() when
  // there are none. Seed 004's device uses it among the servers holding an expert.
  size_t ChooseAmong(std::span<const size_t> candidates, int64_t now_us) const;
  size_t endpoints() const { return state_.size(); }
  // `reported_queue_us`: the queue wait the server reported for this request (part of
  // rtt_us), or < 0 when it reported none.
  void RecordSuccess(size_t endpoint, double rtt_us, int64_t now_us, double reported_queue_us = -1);
  void RecordFailure(size_t endpoint, int64_t now_us);
  // The expected wait of rule 3 (microseconds).
  double ExpectedWaitUs(size_t endpoint) const {
    return state_[endpoint].rtt_us + state_[endpoint].queue_us;
  }
  bool IsDown(size_t endpoint, int64_t now_us) const {
    return now_us < state_[endpoint].down_until_us;
  }

 private:
  struct State {
    bool measured = false;
    double rtt_us = 0;    // Smoothed round trip less the reported queue wait.
    double queue_us = 0;  // The last reported queue wait.
    int64_t last_used_us = 0;
    int64_t down_until_us = INT64_MIN;
  };
  EndpointSelectorOptions options_;
  std::vector<State> state_;
};

}  // namespace hiedge
