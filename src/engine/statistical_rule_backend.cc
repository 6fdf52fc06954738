// The "statistical_rule" backend: a StatisticalRule (hiedge/decision/statistical_rule.h) behind
// the InferenceBackend seam, so a device, its decision modules and the server run a
// non-neural S-ML like any model. Weights: the rule's JSON.
#include "common/files.h"
#include "engine/backends.h"
#include "hiedge/decision/statistical_rule.h"

namespace hiedge::engine {
namespace {

class StatisticalRuleBackend : public InferenceBackend {
 public:
  StatisticalRuleBackend(ModelInfo info, StatisticalRule rule)
      : info_(std::move(info)), rule_(std::move(rule)) {}

  const ModelInfo& info() const override { return info_; }

  // Thread-safe: the rule is read-only.
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckInputBatch(input, info_));
    const int64_t rows = input.shape[0];
    const size_t per_row = input.data.size() / static_cast<size_t>(rows);
    FloatTensor logits{{rows, info_.num_classes}, {}};
    logits.data.reserve(static_cast<size_t>(rows * info_.num_classes));
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<float> scores = ScoreWindow(
          rule_,
          std::span<const float>(input.data).subspan(static_cast<size_t>(r) * per_row, per_row));
      logits.data.insert(logits.data.end(), scores.begin(), scores.end());
    }
    return logits;
  }

 private:
  const ModelInfo info_;
  const StatisticalRule rule_;
};

}  // namespace

BackendInfo StatisticalRuleBackendInfo() { return {"statistical_rule", "statistical_rule", 50}; }

Result<std::unique_ptr<InferenceBackend>> LoadStatisticalRuleBackend(
    const ModelCard& card, const std::string& weights_path, const LoadOptions&) {
  HIEDGE_ASSIGN_OR_RETURN(StatisticalRule rule,
                          ReadAndParse<StatisticalRule>(weights_path, StatisticalRule::FromJson));
  if (rule.num_classes != card.num_classes) {
    return Status::DataLoss(weights_path + ": the rule has " + std::to_string(rule.num_classes) +
                            " classes but its card declares " + std::to_string(card.num_classes));
  }
  ModelInfo info = InfoFromCard(card);
  // Statistics of a window: about four operations per reading, no multiply-accumulate
  // layers; the card's MAC count says 0 and the parameters are the band edges.
  info.parameter_count = static_cast<int64_t>(rule.bands.size()) * kRuleStatistics * 3;
  return std::unique_ptr<InferenceBackend>(
      new StatisticalRuleBackend(std::move(info), std::move(rule)));
}

}  // namespace hiedge::engine
