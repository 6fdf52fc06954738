#include <random>

#include "eval/decision/study.h"
#include "hiedge/decision/online.h"

namespace hiedge {

// Runs the online learner over `stream` in order. Feedback for a sent sample is
// whether the S-ML disagreed with the L-ML (the L-ML's answer is the label).
// Stationary streams are replayed four times (fresh order each pass) to show regret
// growth over a longer horizon.
Result<OnlineResult> RunOnlineStudy(const SplitPredictions& stream, size_t shift_at,
                                    const std::string& name, const StudyOptions& options) {
  const size_t n = stream.labels.size();
  if (n == 0) return Status::InvalidArgument("empty stream");
  std::mt19937_64 rng(options.seed + (shift_at > 0 ? 1 : 0));
  std::vector<size_t> order;
  const int passes = shift_at > 0 ? 1 : 4;
  for (int pass = 0; pass < passes; ++pass) {
    std::vector<size_t> one(n);
    for (size_t i = 0; i < n; ++i) one[i] = i;
    if (shift_at == 0) {
      for (size_t i = n; i > 1; --i) std::swap(one[i - 1], one[rng() % i]);
    }
    order.insert(order.end(), one.begin(), one.end());
  }

  OnlineHedgeOptions hedge;
  hedge.offload_cost = options.offload_cost;
  hedge.horizon = order.size();
  hedge.share = shift_at > 0 ? 1e-3 : 0.0;
  std::uniform_real_distribution<double> uniform(0, 1);
  OnlineThresholdLearner learner(hedge, [&] { return uniform(rng); });
  const std::vector<double>& grid = learner.thresholds();
  std::vector<double> fixed_loss(grid.size(), 0.0);

  OnlineResult out;
  out.stream = name;
  out.shift_at = shift_at;
  double loss = 0;
  const size_t every = std::max<size_t>(1, order.size() / 200);
  for (size_t t = 0; t < order.size(); ++t) {
    const size_t i = order[t];
    const float confidence = stream.local.confidences[i];
    const bool disagrees = stream.local.labels[i] != stream.remote.labels[i];
    const OnlineDecision d = learner.Decide(confidence);
    loss += d.sent() ? hedge.offload_cost : (disagrees ? 1.0 : 0.0);
    learner.Update(confidence, d, disagrees);
    for (size_t k = 0; k < grid.size(); ++k) {
      fixed_loss[k] += confidence < grid[k] ? hedge.offload_cost : (disagrees ? 1.0 : 0.0);
    }
    if ((t + 1) % every == 0 || t + 1 == order.size()) {
      const double best = *std::min_element(fixed_loss.begin(), fixed_loss.end());
      out.t.push_back(static_cast<double>(t + 1));
      out.learner_loss.push_back(loss);
      out.best_fixed_loss.push_back(best);
      out.regret.push_back(loss - best);
      out.mean_threshold.push_back(learner.MeanThreshold());
    }
  }
  return out;
}

}  // namespace hiedge
