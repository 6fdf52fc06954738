// The parameter-free confidence modules: max softmax (seed 000), margin p1 - p2 and
// negative entropy.
#include <cmath>

#include "decision/modules/modules.h"
#include "hiedge/decision/signals.h"

namespace hiedge::decision_modules {
namespace {

class SignalModule final : public ConfidenceModule {
 public:
  explicit SignalModule(Signal signal) : signal_(signal) {}
  std::string name() const override { return SignalName(signal_); }
  float Score(std::span<const float> p) const override {
    return SignalScore(signal_, p.data(), p.size());
  }
  std::pair<double, double> ScoreRange(int classes) const override {
    if (signal_ == Signal::kNegativeEntropy) return {-std::log(std::max(classes, 1)), 0.0};
    return {0.0, 1.0};
  }

 private:
  Signal signal_;
};

}  // namespace

std::unique_ptr<ConfidenceModule> MakeMaxSoftmax() {
  return std::make_unique<SignalModule>(Signal::kMaxSoftmax);
}
std::unique_ptr<ConfidenceModule> MakeMargin() {
  return std::make_unique<SignalModule>(Signal::kMargin);
}
std::unique_ptr<ConfidenceModule> MakeNegativeEntropy() {
  return std::make_unique<SignalModule>(Signal::kNegativeEntropy);
}

}  // namespace hiedge::decision_modules
