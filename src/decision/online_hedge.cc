#include <algorithm>
#include <cmath>

#include "hiedge/decision/online.h"

namespace hiedge {

OnlineThresholdLearner::OnlineThresholdLearner(const OnlineHedgeOptions& options,
                                               std::function<double()> uniform01)
    : options_(options), uniform01_(std::move(uniform01)) {
  options_.grid = std::max(options_.grid, 2);
  for (int k = 0; k < options_.grid; ++k) {
    thresholds_.push_back(static_cast<double>(k) / (options_.grid - 1));
  }
  log_weights_.assign(thresholds_.size(), 0.0);
  eta_ = options_.learning_rate > 0
             ? options_.learning_rate
             : std::sqrt(2 * std::log(static_cast<double>(options_.grid)) /
                         static_cast<double>(std::max<size_t>(options_.horizon, 1)));
}

std::vector<double> OnlineThresholdLearner::Distribution() const {
  const double max = *std::max_element(log_weights_.begin(), log_weights_.end());
  std::vector<double> p(log_weights_.size());
  double sum = 0;
  for (size_t k = 0; k < p.size(); ++k) sum += p[k] = std::exp(log_weights_[k] - max);
  for (double& v : p) v /= sum;
  return p;
}

double OnlineThresholdLearner::MeanThreshold() const {
  const std::vector<double> p = Distribution();
  double mean = 0;
  for (size_t k = 0; k < p.size(); ++k) mean += p[k] * thresholds_[k];
  return mean;
}

OnlineDecision OnlineThresholdLearner::Decide(float confidence) {
  const std::vector<double> p = Distribution();
  OnlineDecision d;
  double offload_probability = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    if (confidence < thresholds_[k]) offload_probability += p[k];
  }
  const double u = uniform01_();
  double cumulative = 0;
  d.theta = thresholds_.back();
  for (size_t k = 0; k < p.size(); ++k) {
    cumulative += p[k];
    if (u < cumulative) {
      d.theta = thresholds_[k];
      break;
    }
  }
  d.offload = confidence < d.theta;
  d.audit = !d.offload && options_.audit_rate > 0 && uniform01_() < options_.audit_rate;
  d.observe_probability = offload_probability + (1 - offload_probability) * options_.audit_rate;
  return d;
}

void OnlineThresholdLearner::Update(float confidence, const OnlineDecision& decision,
                                    bool local_wrong) {
  const double accept_loss_estimate =
      decision.sent() && local_wrong ? 1.0 / std::max(decision.observe_probability, 1e-6) : 0.0;
  for (size_t k = 0; k < thresholds_.size(); ++k) {
    const double loss = confidence < thresholds_[k] ? options_.offload_cost : accept_loss_estimate;
    log_weights_[k] -= eta_ * loss;
  }
  if (options_.share > 0) {
    // Fixed share: w <- (1 - α) w + α mean(w), in log space via the distribution.
    std::vector<double> p = Distribution();
    const double uniform = 1.0 / static_cast<double>(p.size());
    for (size_t k = 0; k < p.size(); ++k) {
      log_weights_[k] = std::log((1 - options_.share) * p[k] + options_.share * uniform);
    }
  } else {
    const double max = *std::max_element(log_weights_.begin(), log_weights_.end());
    for (double& w : log_weights_) w -= max;  // Keep the numbers bounded.
  }
}

double FixedThresholdLoss(const std::vector<float>& confidences,
                          const std::vector<bool>& local_wrong, double theta, double offload_cost) {
  double loss = 0;
  for (size_t i = 0; i < confidences.size() && i < local_wrong.size(); ++i) {
    loss += confidences[i] < theta ? offload_cost : (local_wrong[i] ? 1.0 : 0.0);
  }
  return loss;
}

HindsightBest BestFixedThreshold(const std::vector<float>& confidences,
                                 const std::vector<bool>& local_wrong,
                                 const OnlineHedgeOptions& options) {
  HindsightBest best{0, FixedThresholdLoss(confidences, local_wrong, 0, options.offload_cost)};
  const int grid = std::max(options.grid, 2);
  for (int k = 1; k < grid; ++k) {
    const double theta = static_cast<double>(k) / (grid - 1);
    const double loss = FixedThresholdLoss(confidences, local_wrong, theta, options.offload_cost);
    if (loss < best.loss) best = {theta, loss};
  }
  return best;
}

}  // namespace hiedge
