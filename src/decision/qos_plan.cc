#include "hiedge/decision/qos_plan.h"

#include <cstdio>
#include <limits>

namespace hiedge {

PlanChoice ChooseStrategy(std::vector<PlanCandidate> candidates, const QosTargets& t) {
  PlanChoice plan;
  plan.candidates = std::move(candidates);
  int best = -1;
  auto energy = [](const PlanCandidate& c) {
    return c.energy_mj.value_or(std::numeric_limits<double>::infinity());
  };
  size_t accurate = 0, fast = 0;
  for (size_t i = 0; i < plan.candidates.size(); ++i) {
    const PlanCandidate& c = plan.candidates[i];
    const bool accurate_enough = c.reachable && c.validation_accuracy + 1e-12 >= t.accuracy;
    const bool in_time = !t.latency_ms || c.latency_ms <= *t.latency_ms;
    const bool in_energy = !t.energy_mj || (c.energy_mj && *c.energy_mj <= *t.energy_mj);
    accurate += accurate_enough;
    fast += accurate_enough && in_time;
    if (!(accurate_enough && in_time && in_energy)) continue;
    const PlanCandidate* b = best < 0 ? nullptr : &plan.candidates[static_cast<size_t>(best)];
    if (b == nullptr || c.latency_ms < b->latency_ms ||
        (c.latency_ms == b->latency_ms && energy(c) < energy(*b))) {
      best = static_cast<int>(i);
    }
  }
  plan.chosen = best;
  char text[256];
  if (best >= 0) {
    const PlanCandidate& c = plan.candidates[static_cast<size_t>(best)];
    std::snprintf(text, sizeof(text),
                  "%s: the lowest latency (%.4g ms) among %zu strategies "
                  "meeting every target",
                  c.strategy.c_str(), c.latency_ms, fast);
  } else if (accurate == 0) {
    std::snprintf(text, sizeof(text), "no strategy reaches accuracy %.2f%% on validation",
                  100 * t.accuracy);
  } else if (fast == 0) {
    std::snprintf(text, sizeof(text), "%zu strategies reach the accuracy, none within %.4g ms",
                  accurate, t.latency_ms.value_or(0));
  } else {
    std::snprintf(text, sizeof(text),
                  "%zu strategies meet accuracy and latency, none within "
                  "%.4g mJ (or their energy is unknown)",
                  fast, t.energy_mj.value_or(0));
  }
  plan.reason = text;
  return plan;
}

}  // namespace hiedge
