#include "hiedge/decision/offload_policy.h"

#include <cmath>
#include <cstdio>

#include "hiedge/decision/decision.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/temperature.h"

namespace hiedge {

OffloadPolicy::OffloadPolicy(std::shared_ptr<const ConfidenceModule> module, double temperature,
                             double theta)
    : module_(std::move(module)), temperature_(temperature), theta_(theta) {}

OffloadPolicy OffloadPolicy::MaxSoftmax(double theta) {
  static const std::shared_ptr<const ConfidenceModule> kMaxSoftmax =
      std::move(MakeConfidenceModule("max_softmax")).value();
  return OffloadPolicy(kMaxSoftmax, 1.0, theta);
}

Result<OffloadPolicy> OffloadPolicy::FromConfig(const DecisionConfig& config) {
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<ConfidenceModule> module,
                          MakeConfidenceModule(config.module));
  HIEDGE_RETURN_IF_ERROR(module->SetParameters(config.parameters));
  if (!(config.temperature > 0) || !std::isfinite(config.temperature)) {
    return Status::InvalidArgument("decision config: temperature must be > 0");
  }
  return OffloadPolicy(std::move(module), config.temperature, config.theta);
}

std::vector<float> OffloadPolicy::ProbabilitiesAt(std::span<const float> logits,
                                                  double temperature) {
  if (temperature == 1.0) return Softmax(logits.data(), logits.size());
  return ScaledSoftmax(std::vector<float>(logits.begin(), logits.end()),
                       static_cast<int>(logits.size()), temperature);
}

PolicyDecision OffloadPolicy::Decide(std::span<const float> logits) const {
  PolicyDecision d;
  const std::vector<float> p = Probabilities(logits);
  const ArgMax top = FindArgMax(p.data(), p.size());
  d.prediction = top.index;
  d.confidence = top.value;
  d.score = module_->Score(p);
  d.offload = d.score < theta_;
  return d;
}

std::string OffloadPolicy::Describe() const {
  char text[160];
  std::snprintf(text, sizeof(text), "%s at T=%.3g, theta %.4g", module_->name().c_str(),
                temperature_, theta_);
  return text;
}

}  // namespace hiedge
