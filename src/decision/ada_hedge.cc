#include "hiedge/decision/ada_hedge.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hiedge {

AdaHedge::AdaHedge(size_t experts) : cumulative_(std::max<size_t>(experts, 1), 0.0) { Reweigh(); }

void AdaHedge::Reset() {
  std::fill(cumulative_.begin(), cumulative_.end(), 0.0);
  mixture_loss_ = gap_ = variance_ = range_ = 0;
  rounds_ = 0;
  Reweigh();
}

double AdaHedge::best_loss() const {
  return *std::min_element(cumulative_.begin(), cumulative_.end());
}

double AdaHedge::Bound() const {
  const double log_k = std::log(static_cast<double>(experts()));
  return 2 * std::sqrt(variance_ * log_k) + range_ * (4.0 / 3.0 * log_k + 2);
}

void AdaHedge::Reweigh() {
  const double best = best_loss();
  weights_.assign(cumulative_.size(), 0.0);
  double total = 0;
  if (gap_ <= 0 || experts() == 1) {  // η = ∞: uniform over the leaders.
    for (size_t k = 0; k < cumulative_.size(); ++k) {
      weights_[k] = cumulative_[k] <= best ? 1.0 : 0.0;
      total += weights_[k];
    }
  } else {
    const double eta = std::log(static_cast<double>(experts())) / gap_;
    for (size_t k = 0; k < cumulative_.size(); ++k) {
      weights_[k] = std::exp(-eta * (cumulative_[k] - best));
      total += weights_[k];
    }
  }
  for (double& w : weights_) w /= total;
}

double AdaHedge::Update(std::span<const double> losses) {
  const size_t k_count = cumulative_.size();
  double h = 0, low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < k_count; ++k) {
    h += weights_[k] * losses[k];
    low = std::min(low, losses[k]);
    high = std::max(high, losses[k]);
  }
  // The mix loss m = -(1/η) ln Σ w e^{-η ℓ} (η = ∞: the least loss on the mixture's
  // support); the gap δ = h - m >= 0.
  double m = 0;
  if (gap_ <= 0 || k_count == 1) {
    m = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < k_count; ++k) {
      if (weights_[k] > 0) m = std::min(m, losses[k]);
    }
  } else {
    const double eta = std::log(static_cast<double>(k_count)) / gap_;
    double sum = 0;
    for (size_t k = 0; k < k_count; ++k) {
      if (weights_[k] > 0) sum += weights_[k] * std::exp(-eta * (losses[k] - low));
    }
    m = low - std::log(sum) / eta;
  }
  double v = 0;
  for (size_t k = 0; k < k_count; ++k) v += weights_[k] * (losses[k] - h) * (losses[k] - h);
  gap_ += std::max(0.0, h - m);
  variance_ += v;
  range_ = std::max(range_, high - low);
  mixture_loss_ += h;
  for (size_t k = 0; k < k_count; ++k) cumulative_[k] += losses[k];
  ++rounds_;
  Reweigh();
  return h;
}

bool AdaHedge::Restore(std::vector<double> cumulative, double mixture_loss, double gap,
                       double variance, double range, size_t rounds) {
  if (cumulative.size() != cumulative_.size()) return false;
  for (double v : cumulative) {
    if (!std::isfinite(v)) return false;
  }
  for (double v : {gap, variance, range}) {
    if (!std::isfinite(v) || v < 0) return false;
  }
  if (!std::isfinite(mixture_loss)) return false;
  cumulative_ = std::move(cumulative);
  mixture_loss_ = mixture_loss;
  gap_ = gap;
  variance_ = variance;
  range_ = range;
  rounds_ = rounds;
  Reweigh();
  return true;
}

}  // namespace hiedge
