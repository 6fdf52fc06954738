#include "eval/shift/change_detectors.h"

#include <algorithm>
#include <cmath>

namespace hiedge {

bool Adwin::Add(double value) {
  if (values_.empty()) {
    prefix_.assign(1, 0.0);
    prefix_sq_.assign(1, 0.0);
  }
  values_.push_back(value);
  prefix_.push_back(prefix_.back() + value);
  prefix_sq_.push_back(prefix_sq_.back() + value * value);
  if (width() > options_.max_window) ++start_;
  // Compact now and then so memory stays bounded by about twice the window.
  if (start_ > options_.max_window) {
    values_.erase(values_.begin(), values_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
    prefix_.assign(1, 0.0);
    prefix_sq_.assign(1, 0.0);
    for (double v : values_) {
      prefix_.push_back(prefix_.back() + v);
      prefix_sq_.push_back(prefix_sq_.back() + v * v);
    }
  }
  if (++since_check_ < options_.clock) return false;
  since_check_ = 0;
  bool cut = false;
  while (CutOnce()) cut = true;
  return cut;
}

bool Adwin::CutOnce() {
  const size_t n = width();
  if (n < 2 * options_.min_window) return false;
  const size_t end = values_.size();
  const double sum = prefix_[end] - prefix_[start_];
  const double sum_sq = prefix_sq_[end] - prefix_sq_[start_];
  const double mean = sum / static_cast<double>(n);
  const double variance = std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean);
  const double log_term = std::log(2.0 * std::log(static_cast<double>(n)) / options_.delta);
  for (size_t n1 = options_.min_window; n1 + options_.min_window <= n;
       n1 = std::max(n1 + 1, static_cast<size_t>(std::ceil(static_cast<double>(n1) * 1.25)))) {
    const size_t n0 = n - n1;
    const double sum1 = prefix_[end] - prefix_[end - n1];
    const double mean0 = (sum - sum1) / static_cast<double>(n0);
    const double mean1 = sum1 / static_cast<double>(n1);
    const double m = 1.0 / static_cast<double>(n0) + 1.0 / static_cast<double>(n1);
    const double eps = std::sqrt(2 * m * variance * log_term) + 2.0 / 3.0 * m * log_term;
    if (std::abs(mean0 - mean1) > eps) {
      start_ += n0;  // Drop the older part: the window keeps what followed the change.
      return true;
    }
  }
  return false;
}

void PageHinkley::Reset() {
  n_ = mean_ = 0;
  sum_up_ = min_up_ = sum_down_ = max_down_ = 0;
}

bool PageHinkley::Add(double value) {
  n_ += 1;
  mean_ += (value - mean_) / n_;
  sum_up_ = options_.alpha * sum_up_ + (value - mean_ - options_.delta);
  sum_down_ = options_.alpha * sum_down_ + (value - mean_ + options_.delta);
  min_up_ = std::min(min_up_, sum_up_);
  max_down_ = std::max(max_down_, sum_down_);
  if (n_ < static_cast<double>(options_.min_instances)) return false;
  const bool change =
      sum_up_ - min_up_ > options_.threshold || max_down_ - sum_down_ > options_.threshold;
  if (change) Reset();
  return change;
}

}  // namespace hiedge
