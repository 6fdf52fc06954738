// The offload policy: one object decides, for one sample, whether the device accepts
// its local answer or offloads the sample. Calibration fits it, the study evaluates it
// and the device runs it, so the three cannot drift apart. Pure: no I/O, no threads.
//
// A policy = probabilities from the local logits (softmax at a temperature) -> a
// confidence module's score (higher = surer the local answer is right) -> offload iff
// score < theta. Modules live in src/decision/modules/ behind ConfidenceModule; adding
// one touches that folder only.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct DecisionConfig;  // hiedge/decision/decision_config.h

// A confidence module. Implementations are immutable after Fit/SetParameters and then
// safe to share between threads.
class ConfidenceModule {
 public:
  virtual ~ConfidenceModule() = default;
  virtual std::string name() const = 0;

  // Fits learned parameters on validation rows [n, classes] of probabilities and
  // whether the local answer was right. Modules with nothing to learn return OK.
  virtual Status Fit(std::span<const float> probabilities, int classes,
                     const std::vector<bool>& local_correct) {
    (void)probabilities, (void)classes, (void)local_correct;
    return Status::Ok();
  }
  // Score of one probability vector; higher = more sure the local answer is right.
  virtual float Score(std::span<const float> probabilities) const = 0;
  // Smallest and largest score over `classes`-way probability vectors: the fixed grid
  // a certified threshold is searched on.
  virtual std::pair<double, double> ScoreRange(int classes) const = 0;
  // The learned parameters by name (written to the decision config), and setting them
  // back; InvalidArgument for a missing, unknown or non-finite parameter.
  virtual std::map<std::string, double> Parameters() const { return {}; }
  virtual Status SetParameters(const std::map<std::string, double>& parameters);
};

// The registered modules: "max_softmax", "margin", "neg_entropy", "logistic_top2".
std::vector<std::string> ConfidenceModuleNames();
// A fresh, unfitted module; InvalidArgument naming the known ones for another name.
Result<std::unique_ptr<ConfidenceModule>> MakeConfidenceModule(const std::string& name);

// What the policy made of one sample.
struct PolicyDecision {
  int prediction = -1;   // Argmax of the logits.
  float confidence = 0;  // Max probability at the policy's temperature.
  float score = 0;       // The module's score.
  bool offload = false;  // score < theta.
};

// Copyable; copies share the (immutable) module. Thread-safe for concurrent Decide.
class OffloadPolicy {
 public:
  // Max softmax at temperature 1: offload iff max probability < theta (0: never, > 1:
  // always). The policy of a bare --theta.
  static OffloadPolicy MaxSoftmax(double theta);
  // The policy a decision config describes; InvalidArgument for an unknown module or
  // bad parameters.
  static Result<OffloadPolicy> FromConfig(const DecisionConfig& config);
  OffloadPolicy(std::shared_ptr<const ConfidenceModule> module, double temperature, double theta);

  // From one sample's logits (at least one).
  PolicyDecision Decide(std::span<const float> logits) const;
  // Probabilities softmax(logits / temperature) of one row.
  std::vector<float> Probabilities(std::span<const float> logits) const {
    return ProbabilitiesAt(logits, temperature_);
  }
  static std::vector<float> ProbabilitiesAt(std::span<const float> logits, double temperature);

  const ConfidenceModule& module() const { return *module_; }
  double temperature() const { return temperature_; }
  double theta() const { return theta_; }
  OffloadPolicy WithTheta(double theta) const { return {module_, temperature_, theta}; }
  std::string Describe() const;  // "logistic_top2 at T=1.52, theta 0.84"

 private:
  std::shared_ptr<const ConfidenceModule> module_;
  double temperature_ = 1;
  double theta_ = 0;
};

}  // namespace hiedge
