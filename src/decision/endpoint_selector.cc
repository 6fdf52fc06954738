#include "hiedge/decision/endpoint_selector.h"

#include <algorithm>

namespace hiedge {

EndpointSelector::EndpointSelector(size_t endpoints, EndpointSelectorOptions options)
    : options_(options), state_(endpoints) {}

size_t EndpointSelector::Choose(int64_t now_us) const {
  std::vector<size_t> all(state_.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = i;
  return ChooseAmong(all, now_us);
}

size_t EndpointSelector::ChooseAmong(std::span<const size_t> candidates, int64_t now_us) const {
  const size_t none = state_.size();
  for (size_t i : candidates) {
    if (!state_[i].measured && !IsDown(i, now_us)) return i;
  }
  size_t best = none;
  size_t stalest = none;
  for (size_t i : candidates) {
    if (IsDown(i, now_us)) continue;
    if (now_us - state_[i].last_used_us >= options_.probe_interval_us &&
        (stalest == none || state_[i].last_used_us < state_[stalest].last_used_us)) {
      stalest = i;
    }
    if (best == none || ExpectedWaitUs(i) < ExpectedWaitUs(best)) best = i;
  }
  if (stalest != none) return stalest;
  if (best != none) return best;
  size_t soonest = none;
  for (size_t i : candidates) {
    if (soonest == none || state_[i].down_until_us < state_[soonest].down_until_us) soonest = i;
  }
  return soonest;
}

void EndpointSelector::RecordSuccess(size_t endpoint, double rtt_us, int64_t now_us,
                                     double reported_queue_us) {
  State& s = state_[endpoint];
  s.queue_us = reported_queue_us >= 0 ? std::min(reported_queue_us, rtt_us) : 0;
  const double service_us = rtt_us - s.queue_us;
  s.rtt_us = s.measured ? (1 - options_.ewma_weight) * s.rtt_us + options_.ewma_weight * service_us
                        : service_us;
  s.measured = true;
  s.last_used_us = now_us;
  s.down_until_us = INT64_MIN;
}

void EndpointSelector::RecordFailure(size_t endpoint, int64_t now_us) {
  State& s = state_[endpoint];
  s.last_used_us = now_us;
  s.down_until_us = now_us + options_.down_cooldown_us;
}

}  // namespace hiedge
