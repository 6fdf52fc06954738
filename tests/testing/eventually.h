// Waiting for a condition another thread brings about, without assuming how fast
// that thread runs: tests stay correct on a loaded machine.
#pragma once

#include <chrono>
#include <thread>

namespace hiedge::testing {

// Polls `condition` every millisecond; false only if it is still unmet after
// `safety_bound` (a hang guard, not a timing assumption).
template <typename Condition>
bool Eventually(Condition condition,
                std::chrono::steady_clock::duration safety_bound = std::chrono::seconds(10)) {
  const auto give_up = std::chrono::steady_clock::now() + safety_bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace hiedge::testing
