// The inference backend interface and model loading. Everything here speaks plain
// float buffers (FloatTensor); the device runtime, server and decision code use only
// this header and never include torch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hiedge/model_card.h"
#include "hiedge/status.h"
#include "hiedge/tensor.h"

namespace hiedge {

struct ModelInfo {
  std::string name;                  // e.g. "sml"
  std::string architecture;          // e.g. "small_cnn", "resnet8", "vgg", "torchscript"
  std::vector<int64_t> input_shape;  // Per sample, e.g. {1, 28, 28}.
  int num_classes = 0;
  int64_t parameter_count = 0;
  int64_t macs_per_sample = 0;  // Multiply-accumulates of one forward pass to the final exit.
  // Stages split the network for DNN partitioning and mid-layer features: stage k maps
  // the output of stage k-1 to its own output; the last stage yields final logits.
  int num_stages = 1;
  // Stage index after which each early exit branches off; the final exit is not listed.
  std::vector<int> early_exit_after_stage;
};

// Runs one model. Implementations are thread-safe for concurrent Infer calls.
class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;
  virtual const ModelInfo& info() const = 0;

  // Final logits [N, num_classes] for a batch of images [N, ...input_shape].
  virtual Result<FloatTensor> Infer(const FloatTensor& input) = 0;

  // Logits of every exit for a batch: early exits in order, then the final exit.
  virtual Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) = 0;

  // Runs stages [first, last) of the network. first == 0 takes images; last ==
  // num_stages returns final logits; otherwise the activation after stage last-1.
  virtual Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) = 0;
};

// Loads a model from its card (JSON). The card names the weights file (relative to
// the card) and its format: "hiedge" (weights saved by `hiedge train`) or
// "torchscript" (any TorchScript module mapping images to logits, via torch::jit::load).
// The card is checked against its weights: one zero image runs through the model at
// load, and logits of another shape than [1, num_classes] (or a model that cannot take
// the card's input_shape) are DataLoss. libtorch errors come back as one line.
Result<std::unique_ptr<InferenceBackend>> LoadModel(const std::string& card_path);
// The same from a card in memory; `directory` resolves card.weights.
Result<std::unique_ptr<InferenceBackend>> LoadModelFromCard(const ModelCard& card,
                                                            const std::string& directory);

// Sets the process-wide number of intra-op threads used by the torch backend.
void SetInferenceThreads(int threads);

}  // namespace hiedge

namespace hiedge {

// Measured peak multiply-accumulates per second of the torch backend: a large square
// float32 matrix product on the current thread setting. For arithmetic limits
// (MACs / peak) beside measured latencies.
double MeasurePeakMacsPerSecond();

}  // namespace hiedge
