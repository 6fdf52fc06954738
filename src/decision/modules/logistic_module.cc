// Seed 001's decision module: logistic regression on the top-2 softmax values,
// predicting whether the local answer is wrong; score = 1 - P(wrong).
#include <cmath>

#include "decision/modules/modules.h"
#include "hiedge/decision/logistic.h"
#include "hiedge/decision/signals.h"

namespace hiedge::decision_modules {
namespace {

class LogisticTop2Module final : public ConfidenceModule {
 public:
  std::string name() const override { return "logistic_top2"; }

  Status Fit(std::span<const float> probabilities, int classes,
             const std::vector<bool>& local_correct) override {
    if (classes < 1 ||
        probabilities.size() != local_correct.size() * static_cast<size_t>(classes)) {
      return Status::InvalidArgument("logistic_top2: " + std::to_string(probabilities.size()) +
                                     " probabilities for " + std::to_string(local_correct.size()) +
                                     " samples of " + std::to_string(classes) + " classes");
    }
    std::vector<TopTwo> features;
    std::vector<bool> wrong;
    features.reserve(local_correct.size());
    for (size_t i = 0; i < local_correct.size(); ++i) {
      features.push_back(TopTwoOf(probabilities.data() + i * static_cast<size_t>(classes),
                                  static_cast<size_t>(classes)));
      wrong.push_back(!local_correct[i]);
    }
    HIEDGE_ASSIGN_OR_RETURN(model_, FitLogistic(features, wrong));
    return Status::Ok();
  }

  float Score(std::span<const float> p) const override {
    return model_.Score(TopTwoOf(p.data(), p.size()));
  }
  std::pair<double, double> ScoreRange(int) const override { return {0.0, 1.0}; }

  std::map<std::string, double> Parameters() const override {
    return {
        {"weight_p1", model_.weight_p1}, {"weight_p2", model_.weight_p2}, {"bias", model_.bias}};
  }
  Status SetParameters(const std::map<std::string, double>& parameters) override {
    HIEDGE_RETURN_IF_ERROR(
        CheckParameterNames(name(), parameters, {"weight_p1", "weight_p2", "bias"}));
    model_.weight_p1 = parameters.at("weight_p1");
    model_.weight_p2 = parameters.at("weight_p2");
    model_.bias = parameters.at("bias");
    return Status::Ok();
  }

 private:
  LogisticModel model_;
};

}  // namespace

std::unique_ptr<ConfidenceModule> MakeLogisticTop2() {
  return std::make_unique<LogisticTop2Module>();
}

}  // namespace hiedge::decision_modules
