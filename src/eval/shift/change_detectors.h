// Two standard univariate change detectors, for comparison with hiedge's CUSUM drift
// tests on the same per-sample signals (the shift benchmark). Written from their papers'
// definitions; pure, not thread-safe.
//
// ADWIN (Bifet & Gavaldà, "Learning from time-changing data with adaptive windowing",
// SDM 2007): keeps a window of recent values and drops its older part whenever some split
// W = W0 · W1 has |mean(W0) - mean(W1)| > ε_cut, with (the variance form, as river uses)
//   ε_cut = sqrt(2 m σ²_W ln(2/δ')) + (2/3) m ln(2/δ'),  m = 1/n0 + 1/n1,  δ' = δ / ln n.
// A drop is an alarm. Splits are checked every `clock` values at geometrically spaced
// positions (ratio 1.25 from the newest end), as ADWIN2's exponential buckets would; the
// window keeps at most `max_window` values.
//
// Page-Hinkley (Page 1954; Hinkley 1971), with river's defaults: after min_instances
// values, alarm when the cumulative deviation from the running mean, less δ per value and
// fading by α, rises λ above its minimum (an upward change) or falls λ below its maximum
// (downward), mode "both".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hiedge {

struct AdwinOptions {
  double delta = 0.002;
  size_t clock = 32;
  size_t min_window = 5;
  size_t max_window = 8192;
};

class Adwin {
 public:
  explicit Adwin(AdwinOptions options = {}) : options_(options) {}
  // Adds a value; true when the window was cut (a change).
  bool Add(double value);
  size_t width() const { return values_.size() - start_; }

 private:
  bool CutOnce();
  AdwinOptions options_;
  std::vector<double> values_;  // values_[start_..] is the window.
  std::vector<double> prefix_;  // prefix_[i] = Σ values_[start_..start_+i), squares below.
  std::vector<double> prefix_sq_;
  size_t start_ = 0;
  size_t since_check_ = 0;
};

struct PageHinkleyOptions {  // river.drift.PageHinkley's defaults.
  size_t min_instances = 30;
  double delta = 0.005;
  double threshold = 50;
  double alpha = 1 - 0.0001;
};

class PageHinkley {
 public:
  explicit PageHinkley(PageHinkleyOptions options = {}) : options_(options) {}
  bool Add(double value);

 private:
  void Reset();
  PageHinkleyOptions options_;
  double n_ = 0, mean_ = 0;
  double sum_up_ = 0, min_up_ = 0, sum_down_ = 0, max_down_ = 0;
};

}  // namespace hiedge
