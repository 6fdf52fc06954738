#include "hiedge/decision/signals.h"

#include <cmath>

namespace hiedge {

const char* SignalName(Signal signal) {
  switch (signal) {
    case Signal::kMaxSoftmax:
      return "max_softmax";
    case Signal::kMargin:
      return "margin";
    case Signal::kNegativeEntropy:
      return "neg_entropy";
  }
  return "unknown";
}

Result<Signal> ParseSignal(const std::string& name) {
  for (Signal s : AllSignals()) {
    if (name == SignalName(s)) return s;
  }
  return Status::InvalidArgument("unknown signal '" + name +
                                 "' (max_softmax, margin, neg_entropy)");
}

const std::vector<Signal>& AllSignals() {
  static const std::vector<Signal> kAll = {Signal::kMaxSoftmax, Signal::kMargin,
                                           Signal::kNegativeEntropy};
  return kAll;
}

TopTwo TopTwoOf(const float* p, size_t count) {
  TopTwo t;
  for (size_t i = 0; i < count; ++i) {
    if (p[i] > t.p1) {
      t.p2 = t.p1;
      t.p1 = p[i];
    } else if (p[i] > t.p2) {
      t.p2 = p[i];
    }
  }
  return t;
}

float SignalScore(Signal signal, const float* p, size_t count) {
  switch (signal) {
    case Signal::kMaxSoftmax:
      return TopTwoOf(p, count).p1;
    case Signal::kMargin: {
      const TopTwo t = TopTwoOf(p, count);
      return t.p1 - t.p2;
    }
    case Signal::kNegativeEntropy: {
      double sum = 0;
      for (size_t i = 0; i < count; ++i) {
        if (p[i] > 0) sum += p[i] * std::log(static_cast<double>(p[i]));
      }
      return static_cast<float>(sum);
    }
  }
  return 0;
}

double DetectionStats::precision() const {
  const size_t predicted = true_positives + false_positives;
  return predicted ? static_cast<double>(true_positives) / predicted : 0;
}

double DetectionStats::recall() const {
  const size_t actual = true_positives + false_negatives;
  return actual ? static_cast<double>(true_positives) / actual : 0;
}

double DetectionStats::f1() const {
  const double p = precision(), r = recall();
  return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

DetectionStats DetectOffloads(const std::vector<bool>& offloaded,
                              const std::vector<bool>& local_wrong) {
  DetectionStats s;
  for (size_t i = 0; i < offloaded.size() && i < local_wrong.size(); ++i) {
    if (offloaded[i]) {
      (local_wrong[i] ? s.true_positives : s.false_positives) += 1;
    } else {
      (local_wrong[i] ? s.false_negatives : s.true_negatives) += 1;
    }
  }
  return s;
}

}  // namespace hiedge
