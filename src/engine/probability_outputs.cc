// Models whose graph ends in a softmax (PyTorch's nn.Softmax, Keras' activation=
// "softmax"): their outputs are probabilities, and everything downstream (the offload
// policy, calibration, the OIP "logits" output) expects logits. Softmaxing them again
// would squash every confidence towards 1/num_classes, silently. The card states what
// the model emits (`outputs`); the dry run checks it; a probability model is served
// through log(p), whose softmax is p again.
#include <algorithm>
#include <cmath>

#include "engine/backends.h"

namespace hiedge::engine {
namespace {

// log(p), with p floored so a zero probability stays finite (log 1e-30 ~ -69).
void ToLogProbabilities(FloatTensor* t) {
  for (float& v : t->data) v = std::log(std::max(v, 1e-30f));
}

class LogProbabilityBackend final : public InferenceBackend {
 public:
  explicit LogProbabilityBackend(std::unique_ptr<InferenceBackend> model)
      : model_(std::move(model)) {}

  const ModelInfo& info() const override { return model_->info(); }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor out, model_->Infer(input));
    ToLogProbabilities(&out);
    return out;
  }
  // Early exits are hiedge's own heads (logits); only the final output is the model's.
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(std::vector<FloatTensor> exits, model_->InferAllExits(input));
    if (!exits.empty()) ToLogProbabilities(&exits.back());
    return exits;
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor out, model_->RunStages(input, first, last));
    if (last == info().num_stages) ToLogProbabilities(&out);
    return out;
  }
  Result<FloatTensor> RunExit(const FloatTensor& stage_output, int exit) override {
    return model_->RunExit(stage_output, exit);
  }
  Result<FloatTensor> InferWithRowSources(const FloatTensor& input,
                                          std::vector<RowSource>* sources) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor out, model_->InferWithRowSources(input, sources));
    ToLogProbabilities(&out);
    return out;
  }
  std::vector<BackendMetric> Metrics() const override { return model_->Metrics(); }

 private:
  std::unique_ptr<InferenceBackend> model_;
};

}  // namespace

bool LooksLikeProbabilities(const FloatTensor& outputs) {
  if (outputs.shape.size() != 2 || outputs.shape[1] < 2) return false;
  const size_t classes = static_cast<size_t>(outputs.shape[1]);
  for (size_t row = 0; row * classes < outputs.data.size(); ++row) {
    double sum = 0;
    for (size_t k = 0; k < classes; ++k) {
      const float v = outputs.data[row * classes + k];
      if (!(v >= 0.0f && v <= 1.0f)) return false;
      sum += v;
    }
    if (std::abs(sum - 1.0) > 1e-3) return false;
  }
  return !outputs.data.empty();
}

Result<bool> ServesProbabilities(const ModelCard& card, const FloatTensor& dry_run_outputs,
                                 const std::string& source) {
  const bool probabilities = LooksLikeProbabilities(dry_run_outputs);
  if (card.outputs == "auto") return probabilities;
  if (card.outputs == "probabilities" && !probabilities) {
    return Status::DataLoss(source +
                            ": its card says the model emits probabilities, but its "
                            "outputs on a zero sample are not non-negative rows summing to 1");
  }
  if (card.outputs != "probabilities" && probabilities) {
    return Status::FailedPrecondition(
        source +
        ": the model's outputs are probabilities (non-negative rows summing to 1 on "
        "a zero sample; the graph ends in a softmax) but its card " +
        (card.outputs.empty() ? std::string("does not say so") : "says \"" + card.outputs + "\"") +
        ". Set \"outputs\": \"probabilities\" in the card (hiedge then serves log "
        "probabilities as logits), or export the model without its final softmax");
  }
  return probabilities;
}

std::unique_ptr<InferenceBackend> ServeProbabilitiesAsLogits(
    std::unique_ptr<InferenceBackend> model) {
  return std::make_unique<LogProbabilityBackend>(std::move(model));
}

}  // namespace hiedge::engine
