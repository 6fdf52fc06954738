// The engine's own backends and helpers shared by every backend. Internal.
#pragma once

#include <memory>
#include <string>

#include "hiedge/engine/model.h"

namespace hiedge::engine {

BackendInfo XnnpackBackendInfo();
// Compiles the ONNX file `weights_path` for XNNPACK (card.format "onnx").
Result<std::unique_ptr<InferenceBackend>> LoadXnnpackBackend(const ModelCard& card,
                                                             const std::string& weights_path,
                                                             const LoadOptions& options);

BackendInfo StatisticalRuleBackendInfo();
// Reads a StatisticalRule's JSON (card.format "statistical_rule").
Result<std::unique_ptr<InferenceBackend>> LoadStatisticalRuleBackend(
    const ModelCard& card, const std::string& weights_path, const LoadOptions& options);

// OK when `input` is [N, ...info.input_shape] with N >= 1 and as many values as that
// shape holds; InvalidArgument naming the model otherwise.
Status CheckInputBatch(const FloatTensor& input, const ModelInfo& info);
// OK when [first, last) is a non-empty range of the model's stages.
Status CheckStageRange(const ModelInfo& info, int first, int last);
// OK when `exit` indexes info.early_exit_after_stage.
Status CheckExitIndex(const ModelInfo& info, int exit);

// True when every row of `outputs` [N, K] is non-negative, at most 1, and sums to 1
// (within 1e-3): a model ending in a softmax.
bool LooksLikeProbabilities(const FloatTensor& outputs);
// Whether to serve the model's outputs as probabilities: the card's `outputs` checked
// against what the dry run gave. Outputs that look like probabilities need "outputs":
// "probabilities" (FailedPrecondition otherwise, saying what to do), a card saying so
// needs outputs that are (DataLoss otherwise); "auto" takes what the dry run shows.
Result<bool> ServesProbabilities(const ModelCard& card, const FloatTensor& dry_run_outputs,
                                 const std::string& source);
// Serves a probability model's outputs as log probabilities (logits whose softmax is the
// model's probabilities). The final output only; early exits pass through.
std::unique_ptr<InferenceBackend> ServeProbabilitiesAsLogits(
    std::unique_ptr<InferenceBackend> model);

// The ModelInfo a card declares; backends fill in what they measure.
ModelInfo InfoFromCard(const ModelCard& card);

}  // namespace hiedge::engine
