#include "hiedge/decision/accuracy_estimate.h"

#include <cmath>

#include "hiedge/decision/calibrate.h"

namespace hiedge {

std::vector<double> ReliabilityTable(std::span<const float> confidences,
                                     const std::vector<bool>& correct) {
  std::vector<double> right(kConfidenceHistogramBins, 0.0), count(kConfidenceHistogramBins, 0.0);
  for (size_t i = 0; i < confidences.size() && i < correct.size(); ++i) {
    const auto bin = static_cast<size_t>(ConfidenceBin(confidences[i]));
    right[bin] += correct[i];
    count[bin] += 1;
  }
  std::vector<double> table(kConfidenceHistogramBins);
  for (size_t b = 0; b < table.size(); ++b) {
    const double centre = (static_cast<double>(b) + 0.5) / kConfidenceHistogramBins;
    table[b] = (right[b] + centre) / (count[b] + 1);
  }
  return table;
}

Result<AccuracyEstimator> AccuracyEstimator::Create(std::vector<double> table, uint64_t window) {
  if (table.size() != static_cast<size_t>(kConfidenceHistogramBins))
    return Status::InvalidArgument("reliability table needs " +
                                   std::to_string(kConfidenceHistogramBins) + " bins");
  for (double v : table) {
    if (!(v >= 0 && v <= 1)) return Status::InvalidArgument("reliability values must be in [0, 1]");
  }
  if (window == 0) return Status::InvalidArgument("estimate window must be >= 1 sample");
  return AccuracyEstimator(std::move(table), window);
}

EstimateWindow AccuracyEstimator::Close() const {
  EstimateWindow w;
  w.first_sample = next_sample_ - samples_;
  w.samples = samples_;
  const double n = static_cast<double>(std::max<uint64_t>(samples_, 1));
  w.offload_rate = static_cast<double>(offloads_) / n;
  w.estimated_local_accuracy = estimate_sum_ / n;
  w.trustworthy = !alarm_ && !previous_alarm_;
  if (labelled_ > 0) w.observed_local_accuracy = static_cast<double>(right_) / labelled_;
  return w;
}

void AccuracyEstimator::Add(float confidence, bool offloaded, bool drift_alarm,
                            int local_correct) {
  ++next_sample_;
  ++samples_;
  offloads_ += offloaded;
  alarm_ = alarm_ || drift_alarm;
  estimate_sum_ += table_[static_cast<size_t>(ConfidenceBin(confidence))];
  if (local_correct >= 0) {
    ++labelled_;
    right_ += local_correct > 0;
  }
  if (samples_ < window_) return;
  done_.push_back(Close());
  if (done_.size() > kMaxWindows) {
    done_.pop_front();
    ++dropped_;
  }
  previous_alarm_ = alarm_;
  samples_ = offloads_ = labelled_ = right_ = 0;
  estimate_sum_ = 0;
  alarm_ = false;
}

std::vector<EstimateWindow> AccuracyEstimator::Windows() const {
  std::vector<EstimateWindow> out(done_.begin(), done_.end());
  if (samples_ > 0) out.push_back(Close());
  return out;
}

}  // namespace hiedge
