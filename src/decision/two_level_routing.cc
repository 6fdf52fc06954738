// Seed 004's Alg. 1 (second-level model placement) and Alg. 2 (routing with recall).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "hiedge/decision/two_level.h"

namespace hiedge {
namespace {

Status ValidatePlacement(const PlacementInput& in) {
  if (in.memory_left.empty()) return Status::InvalidArgument("placement: no cluster");
  if (in.demand.size() != in.memory_left.size()) {
    return Status::InvalidArgument("placement: demand has " + std::to_string(in.demand.size()) +
                                   " clusters, memory " + std::to_string(in.memory_left.size()));
  }
  if (!(in.model_memory > 0) || !std::isfinite(in.model_memory)) {
    return Status::InvalidArgument("placement: model memory must be positive");
  }
  const size_t superclasses = in.demand[0].size();
  if (superclasses == 0) return Status::InvalidArgument("placement: no superclass");
  for (size_t c = 0; c < in.demand.size(); ++c) {
    if (in.demand[c].size() != superclasses) {
      return Status::InvalidArgument("placement: cluster " + std::to_string(c) + " has " +
                                     std::to_string(in.demand[c].size()) + " demands, expected " +
                                     std::to_string(superclasses));
    }
    for (double d : in.demand[c]) {
      if (!(d >= 0) || !std::isfinite(d)) {
        return Status::InvalidArgument("placement: demands must be finite and >= 0");
      }
    }
    if (!(in.memory_left[c] >= 0) || !std::isfinite(in.memory_left[c])) {
      return Status::InvalidArgument("placement: memory must be finite and >= 0");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::vector<int>>> PlaceSecondLevelModels(const PlacementInput& input) {
  HIEDGE_RETURN_IF_ERROR(ValidatePlacement(input));
  const size_t clusters = input.memory_left.size();
  const size_t superclasses = input.demand[0].size();
  const double m = input.model_memory;
  double room = 0;
  for (double left : input.memory_left) room += std::floor(left / m);
  if (room < static_cast<double>(superclasses)) {
    return Status::ResourceExhausted(
        "placement: the servers hold " + std::to_string(static_cast<long long>(room)) +
        " second-level models, fewer than the " + std::to_string(superclasses) + " superclasses");
  }
  std::vector<std::vector<double>> demand = input.demand;
  std::vector<double> memory = input.memory_left;
  std::vector<std::vector<bool>> holds(clusters, std::vector<bool>(superclasses, false));
  std::vector<std::vector<int>> models_on(clusters);
  auto fits = [&](size_t c) { return memory[c] >= m; };
  auto all_fit = [&] {
    return std::all_of(memory.begin(), memory.end(), [&](double left) { return left >= m; });
  };
  // The first pass always runs, so every superclass is loaded once; replicas follow
  // while every server has room, as in the seed's while-condition.
  bool first_pass = true;
  while (first_pass || all_fit()) {
    first_pass = false;
    bool loaded = false;
    for (size_t n = 0; n < superclasses; ++n) {
      int target = -1;
      for (size_t c = 0; c < clusters; ++c) {
        if (!fits(c) || holds[c][n]) continue;
        if (target < 0 || demand[c][n] > demand[static_cast<size_t>(target)][n]) {
          target = static_cast<int>(c);
        }
      }
      if (target < 0) continue;
      const auto t = static_cast<size_t>(target);
      models_on[t].push_back(static_cast<int>(n));
      holds[t][n] = true;
      memory[t] -= m;
      demand[t][n] = 0;
      loaded = true;
    }
    if (!loaded) break;  // Every server with room already holds every model.
  }
  return models_on;
}

SecondLevelPlan PlanSecondLevel(std::span<const double> confidences,
                                const RoutingThresholds& thresholds) {
  SecondLevelPlan plan;
  if (confidences.empty()) return plan;
  std::vector<int> order(confidences.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return confidences[static_cast<size_t>(a)] > confidences[static_cast<size_t>(b)];
  });
  const size_t cap = static_cast<size_t>(std::max(thresholds.max_parallel, 1));
  std::vector<int> eligible{order[0]};
  for (size_t i = 1; i < order.size() && eligible.size() < cap; ++i) {
    if (confidences[static_cast<size_t>(order[i])] >= thresholds.consider) {
      eligible.push_back(order[i]);
    }
  }
  if (confidences[static_cast<size_t>(order[0])] >= thresholds.accept_top) {
    plan.first = {order[0]};
    plan.recall.assign(eligible.begin() + 1, eligible.end());
  } else {
    plan.first = std::move(eligible);
  }
  return plan;
}

bool AnswersLocally(std::span<const float> class_probabilities,
                    const RoutingThresholds& thresholds) {
  return !class_probabilities.empty() &&
         *std::max_element(class_probabilities.begin(), class_probabilities.end()) >=
             thresholds.accept_locally;
}

SecondLevelAnswer ExpertAnswer(int superclass, std::span<const float> probabilities,
                               std::span<const int> classes) {
  size_t best = 0;
  for (size_t k = 1; k < classes.size(); ++k) {
    if (probabilities[k] > probabilities[best]) best = k;
  }
  return {superclass, classes[best], probabilities[best]};
}

const SecondLevelAnswer& BestAnswer(std::span<const SecondLevelAnswer> answers) {
  size_t best = 0;
  for (size_t i = 1; i < answers.size(); ++i) {
    if (answers[i].confidence > answers[best].confidence) best = i;
  }
  return answers[best];
}

bool NeedsRecall(std::span<const SecondLevelAnswer> answers, const SecondLevelPlan& plan,
                 const RoutingThresholds& thresholds) {
  return !plan.recall.empty() && !answers.empty() &&
         BestAnswer(answers).confidence < thresholds.recall_below;
}

int ChooseSecondLevelServer(int superclass, const std::vector<std::vector<int>>& models_on,
                            int local_cluster, const EndpointSelector& servers, int64_t now_us) {
  auto holds = [&](size_t c) {
    return std::find(models_on[c].begin(), models_on[c].end(), superclass) != models_on[c].end();
  };
  if (local_cluster >= 0 && static_cast<size_t>(local_cluster) < models_on.size() &&
      holds(static_cast<size_t>(local_cluster))) {
    return local_cluster;
  }
  std::vector<size_t> holders;
  for (size_t c = 0; c < models_on.size() && c < servers.endpoints(); ++c) {
    if (holds(c)) holders.push_back(c);
  }
  const size_t chosen = servers.ChooseAmong(holders, now_us);
  return chosen < servers.endpoints() ? static_cast<int>(chosen) : -1;
}

int ExpertCallBudget::BeginImage() {
  ++images_;
  if (unlimited()) return std::numeric_limits<int>::max();
  const double left = per_image_ * static_cast<double>(images_) - static_cast<double>(calls_);
  return left < 0 ? 0 : static_cast<int>(std::floor(left + 1e-9));
}

void ExpertCallBudget::EndImage(int calls, bool limited) {
  calls_ += static_cast<uint64_t>(std::max(calls, 0));
  limited_ += limited;
}

}  // namespace hiedge
