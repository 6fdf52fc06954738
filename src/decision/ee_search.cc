#include "hiedge/decision/ee_search.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "hiedge/decision/decision.h"

namespace hiedge {
namespace {

constexpr double kDisabled = 2.0;

Status CheckSizes(const ExitOutcomes& o, const EeCostModel& c, size_t thresholds) {
  const size_t exits = o.early_exits();
  bool ok = o.confidence.size() == o.correct.size() && !o.confidence.empty() &&
            thresholds == exits && c.exit_after_stage.size() == exits && c.head.size() == exits;
  for (size_t e = 0; ok && e < o.confidence.size(); ++e) {
    ok = o.confidence[e].size() == o.samples() && o.correct[e].size() == o.samples();
  }
  for (size_t e = 0; ok && e < exits; ++e) {
    ok = c.exit_after_stage[e] >= 0 && static_cast<size_t>(c.exit_after_stage[e]) < c.stage.size();
  }
  if (!ok) return Status::InvalidArgument("early-exit outcomes, costs and thresholds disagree");
  return Status::Ok();
}

// Cost of a sample answered at early exit `exit` (or the final exit when exit == E),
// before any offload.
double PathCost(const EeCostModel& c, std::span<const double> thresholds, size_t exit) {
  const size_t exits = thresholds.size();
  const size_t last_stage =
      exit < exits ? static_cast<size_t>(c.exit_after_stage[exit]) : c.stage.size() - 1;
  double cost = 0;
  for (size_t s = 0; s <= last_stage; ++s) cost += c.stage[s];
  const size_t heads_run = std::min(exit + 1, exits);  // Every enabled head on the way.
  for (size_t e = 0; e < heads_run; ++e) {
    if (thresholds[e] <= 1) cost += c.head[e];
  }
  return cost;
}

// Which exit answers each sample (E = the final exit).
std::vector<size_t> Route(const ExitOutcomes& o, std::span<const double> thresholds) {
  std::vector<size_t> at(o.samples(), thresholds.size());
  for (size_t i = 0; i < o.samples(); ++i) {
    for (size_t e = 0; e < thresholds.size(); ++e) {
      if (thresholds[e] <= 1 && o.confidence[e][i] >= thresholds[e]) {
        at[i] = e;
        break;
      }
    }
  }
  return at;
}

// The point with these thresholds and the fewest offloads reaching the target; nullopt
// when unreachable.
std::optional<EePoint> BestTheta(const ExitOutcomes& o, const EeCostModel& c,
                                 std::span<const double> thresholds, const EeSearchOptions& opt) {
  const size_t exits = thresholds.size();
  const std::vector<size_t> at = Route(o, thresholds);
  size_t exited_correct = 0;
  std::vector<SampleOutcome> rest;
  for (size_t i = 0; i < o.samples(); ++i) {
    if (at[i] < exits) {
      exited_correct += o.correct[at[i]][i];
    } else {
      rest.push_back({o.confidence[exits][i], o.correct[exits][i] != 0, o.remote_correct[i] != 0});
    }
  }
  const double n = static_cast<double>(o.samples());
  double theta = 0;
  if (!rest.empty()) {
    const double needed = (opt.target_accuracy * n - static_cast<double>(exited_correct)) /
                          static_cast<double>(rest.size());
    if (needed > 0) {
      if (!opt.allow_offload) {
        const ThresholdPoint none = EvaluateThreshold(rest, 0, {});
        if (none.accuracy() + 1e-12 < needed) return std::nullopt;
      } else {
        const Result<ThresholdPoint> p = ThresholdForAccuracy(rest, std::min(needed, 1.0), {});
        if (!p.ok() || needed > 1) return std::nullopt;
        theta = p->theta;
      }
    }
  } else if (static_cast<double>(exited_correct) + 1e-9 < opt.target_accuracy * n) {
    return std::nullopt;
  }
  const Result<EePoint> point = EvaluateEe(o, c, thresholds, theta);
  if (!point.ok() || point->accuracy + 1e-12 < opt.target_accuracy) return std::nullopt;
  return *point;
}

std::vector<double> Grid(double lowest, double step) {
  std::vector<double> g;
  for (int k = 0;; ++k) {
    const double t = lowest + k * step;
    if (t > 1 + 1e-9) break;
    g.push_back(std::min(t, 1.0));
  }
  g.push_back(kDisabled);
  return g;
}

// Calls `visit` with every combination taking one value from each of `choices` (once,
// with an empty vector, when there are no choices).
template <typename Visit>
void ForEachCombination(const std::vector<std::vector<double>>& choices, Visit visit) {
  std::vector<size_t> index(choices.size(), 0);
  std::vector<double> values(choices.size());
  while (true) {
    for (size_t k = 0; k < choices.size(); ++k) values[k] = choices[k][index[k]];
    visit(values);
    size_t k = 0;
    while (k < choices.size() && ++index[k] == choices[k].size()) index[k++] = 0;
    if (k == choices.size()) return;
  }
}

}  // namespace

Result<EePoint> EvaluateEe(const ExitOutcomes& o, const EeCostModel& c,
                           std::span<const double> thresholds, double theta) {
  HIEDGE_RETURN_IF_ERROR(CheckSizes(o, c, thresholds.size()));
  const size_t exits = thresholds.size();
  EePoint p;
  p.thresholds.assign(thresholds.begin(), thresholds.end());
  p.theta = theta;
  p.exit_fraction.assign(exits, 0);
  std::vector<double> path(exits + 1);
  for (size_t e = 0; e <= exits; ++e) path[e] = PathCost(c, thresholds, e);
  const std::vector<size_t> at = Route(o, thresholds);
  double correct = 0, cost = 0, offloaded = 0;
  for (size_t i = 0; i < o.samples(); ++i) {
    cost += path[at[i]];
    if (at[i] < exits) {
      p.exit_fraction[at[i]] += 1;
      correct += o.correct[at[i]][i];
    } else if (ShouldOffload(o.confidence[exits][i], theta)) {
      offloaded += 1;
      cost += c.offload;
      correct += o.remote_correct[i];
    } else {
      correct += o.correct[exits][i];
    }
  }
  const double n = std::max<double>(1, static_cast<double>(o.samples()));
  p.accuracy = correct / n;
  p.cost = cost / n;
  p.offload_fraction = offloaded / n;
  for (double& f : p.exit_fraction) f /= n;
  return p;
}

Result<EePoint> SearchEe(const ExitOutcomes& o, const EeCostModel& c, const EeSearchOptions& opt) {
  const size_t exits = o.early_exits();
  HIEDGE_RETURN_IF_ERROR(CheckSizes(o, c, exits));
  std::optional<EePoint> best;
  auto consider = [&](const std::vector<double>& t) {
    const std::optional<EePoint> p = BestTheta(o, c, t, opt);
    if (p && (!best || p->cost < best->cost)) best = p;
  };
  if (exits <= 1) {
    ForEachCombination(std::vector<std::vector<double>>(exits, Grid(opt.lowest, opt.fine_step)),
                       consider);
  } else {
    // Coarse grid over every exit, then a fine grid around the best coarse point.
    ForEachCombination(std::vector<std::vector<double>>(exits, Grid(opt.lowest, opt.coarse_step)),
                       consider);
    if (best) {
      std::vector<std::vector<double>> around(exits);
      for (size_t e = 0; e < exits; ++e) {
        const double centre = best->thresholds[e];
        if (centre > 1) {
          around[e] = {kDisabled};
          continue;
        }
        for (double d = -opt.coarse_step; d <= opt.coarse_step + 1e-9; d += opt.fine_step) {
          const double t = centre + d;
          if (t >= opt.lowest - 1e-9 && t <= 1 + 1e-9) around[e].push_back(std::min(t, 1.0));
        }
      }
      ForEachCombination(around, consider);
    }
  }
  if (!best) {
    return Status::FailedPrecondition("no early-exit operating point reaches accuracy " +
                                      std::to_string(opt.target_accuracy));
  }
  return *best;
}

}  // namespace hiedge
