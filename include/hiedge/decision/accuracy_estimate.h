// Estimated S-ML accuracy without labels, the way NannyML's CBPE does it: from
// calibrated confidence. Calibration records a reliability table (the S-ML's accuracy on
// the validation split per max-probability bin); live, each window's estimated accuracy
// is the mean of the table at its samples' confidences. The estimate holds only while the
// confidences mean on the stream what they meant on validation, i.e. without drift: a
// window is marked untrustworthy when the drift detector alarmed in it or in the window
// before. Pure; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

// Per confidence bin (ConfidenceBin(), kConfidenceHistogramBins), the share of samples in
// it the S-ML got right, with one pseudo-sample at the bin's centre confidence (so empty
// bins read as their own confidence). `correct` and `confidences` have equal sizes.
std::vector<double> ReliabilityTable(std::span<const float> confidences,
                                     const std::vector<bool>& correct);

struct EstimateWindow {
  uint64_t first_sample = 0;  // Counted from 0, as the device's samples.
  uint64_t samples = 0;
  double offload_rate = 0;
  double estimated_local_accuracy = 0;
  bool trustworthy = true;                // No drift alarm in this window or the previous.
  double observed_local_accuracy = -1;    // Over labelled samples; -1 when none.
};

class AccuracyEstimator {
 public:
  static constexpr size_t kMaxWindows = 1024;  // The latest are kept.
  // InvalidArgument for a table of the wrong size or values outside [0, 1], or window 0.
  static Result<AccuracyEstimator> Create(std::vector<double> table, uint64_t window);

  // One answered sample: its max probability, whether it was offloaded, whether it raised
  // a drift alarm, and whether the S-ML was right (-1: no label).
  void Add(float confidence, bool offloaded, bool drift_alarm, int local_correct);

  // Completed windows, then the one in progress when it has samples.
  std::vector<EstimateWindow> Windows() const;
  uint64_t dropped_windows() const { return dropped_; }
  uint64_t window() const { return window_; }

 private:
  AccuracyEstimator(std::vector<double> table, uint64_t window)
      : table_(std::move(table)), window_(window) {}
  EstimateWindow Close() const;

  std::vector<double> table_;
  uint64_t window_;
  std::deque<EstimateWindow> done_;
  uint64_t dropped_ = 0;
  uint64_t next_sample_ = 0;
  // The window in progress.
  uint64_t samples_ = 0, offloads_ = 0, labelled_ = 0, right_ = 0;
  double estimate_sum_ = 0;
  bool alarm_ = false, previous_alarm_ = false;
};

}  // namespace hiedge
