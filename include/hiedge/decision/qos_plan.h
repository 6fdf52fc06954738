// The QoS planner (seed 001, Table 5): given an accuracy target and optional latency
// and energy budgets, pick the strategy a device should run. Pure: the candidates'
// accuracies and modelled costs are computed elsewhere (hiedge plan).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hiedge {

struct PlanCandidate {
  std::string strategy;            // "S-ML on device", "L-ML on device", "HI", "EE-HI", "remote"
  double validation_accuracy = 0;  // What feasibility is judged on.
  double test_accuracy = 0;        // Reported.
  double latency_ms = 0;           // Expected per sample on the device.
  std::optional<double> energy_mj;
  bool reachable = true;  // false: the strategy cannot reach the accuracy target at all.
};

struct QosTargets {
  double accuracy = 0;
  std::optional<double> latency_ms;
  std::optional<double> energy_mj;
};

struct PlanChoice {
  std::vector<PlanCandidate> candidates;
  int chosen = -1;     // Index into candidates; -1 when none meets every target.
  std::string reason;  // Why the choice (or why none).
};

// Feasible = reachable, validation accuracy >= target, latency and energy within their
// budgets (an unknown energy fails an energy budget). The feasible candidate with the
// lowest latency wins; ties go to lower energy, then to the order given.
PlanChoice ChooseStrategy(std::vector<PlanCandidate> candidates, const QosTargets& targets);

}  // namespace hiedge
