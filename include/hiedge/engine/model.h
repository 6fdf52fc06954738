// The inference backend interface and model loading. Everything here speaks plain
// float buffers (FloatTensor); the device runtime, server and decision code use only
// this header and never include torch.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/common/model_card.h"
#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

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
  // Per sample, where the backend counts them (XNNPACK; empty otherwise): the MACs of
  // each stage and of each early-exit head. An exit's MACs from the input = its head's
  // + those of stages 0 .. early_exit_after_stage[k].
  std::vector<int64_t> stage_macs;
  std::vector<int64_t> exit_head_macs;
  // The input is image pixels in [0, 1] as byte / 255 (the card's pixel_inputs): the
  // server then also takes OIP UINT8 bytes for it, a quarter of the FP32 size.
  bool pixel_inputs = false;
  // The OIP tensor names it is served under: hiedge's own, or those a Triton
  // config.pbtxt (or the card) gives, e.g. INPUT__0 / OUTPUT__0.
  std::string input_name = "input";
  std::string output_name = "logits";
};

// A figure a backend reports of itself beyond the server's per-model statistics,
// exported by the server as a Prometheus sample of `name` with the model's labels and
// these.
struct BackendMetric {
  std::string name;  // e.g. "hiedge_cascade_rows_total"
  std::string help;
  std::map<std::string, std::string> labels;
  double value = 0;
  bool counter = true;  // Else a gauge.
};

// Who answered one row of a request (InferenceBackend::InferWithRowSources).
enum class RowSource : uint8_t {
  kHere = 0,       // The model itself.
  kForwarded = 1,  // A cascade tier's next tier.
  kFallback = 2,   // The model itself, because the next tier failed or was late.
};
// "here", "forwarded" or "fallback" (the response parameter's and the metric's words).
const char* RowSourceName(RowSource source);

// Runs one model. Implementations are thread-safe for concurrent Infer calls.
class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;
  virtual const ModelInfo& info() const = 0;

  // Final logits [N, num_classes] for a batch of images [N, ...input_shape].
  virtual Result<FloatTensor> Infer(const FloatTensor& input) = 0;

  // Logits of every exit for a batch: early exits in order, then the final exit. The
  // default, for a model without early exits, is {Infer(input)}.
  virtual Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input);

  // Runs stages [first, last) of the network. first == 0 takes images; last ==
  // num_stages returns final logits; otherwise the activation after stage last-1. The
  // default, for a model of one stage, runs Infer for [0, 1) (InvalidArgument for any
  // other range; Unimplemented when info() declares more stages than it can run).
  virtual Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last);

  // Logits of early exit `exit` (an index into info().early_exit_after_stage) from the
  // activation after its stage, as RunStages(..., 0, early_exit_after_stage[exit] + 1)
  // returns it. With RunStages this runs a model stage by stage, stopping samples at
  // exits. Unimplemented for backends that cannot (the default).
  virtual Result<FloatTensor> RunExit(const FloatTensor& stage_output, int exit);

  // Infer, also saying who answered each row of a composite model (a cascade tier:
  // itself, its next tier, or itself as a fallback when the next tier failed or was
  // late): *sources gets one entry per row, or stays empty for a model that answers
  // every row itself (the default, which runs Infer).
  virtual Result<FloatTensor> InferWithRowSources(const FloatTensor& input,
                                                  std::vector<RowSource>* sources);

  // Figures the server exports beside its own metrics for this model; none by default.
  // Thread-safe.
  virtual std::vector<BackendMetric> Metrics() const { return {}; }
};

// How to load one model.
struct LoadOptions {
  // Backend name ("xnnpack", "torch", ...); empty = the highest-priority registered
  // backend that reads one of the card's formats.
  std::string backend;
  // Intra-op threads for this model; 1 runs on the calling thread. (libtorch's pool is
  // process-wide: the torch backend sets it for the whole process.)
  int threads = 1;
};

// Loads a model from its card (JSON). The card names its weights (relative to the
// card) in one format and may list the same weights in other formats
// (card.alternates); the backend is chosen from the registry below. Every load is
// checked: one zero sample runs through the model, and logits of another shape than
// [1, num_classes] (or a model that cannot take the card's input_shape) are DataLoss.
Result<std::unique_ptr<InferenceBackend>> LoadModel(const std::string& card_path,
                                                    const LoadOptions& options = {});
// The same from a card in memory; `directory` resolves the card's weight files.
Result<std::unique_ptr<InferenceBackend>> LoadModelFromCard(const ModelCard& card,
                                                            const std::string& directory,
                                                            const LoadOptions& options = {});

// The backend registry: one entry per backend, keyed by name, reading one weights
// format. Thread-safe. The engine registers "xnnpack" (format "onnx") itself; other
// targets register theirs when linked in hiedge's CMake tree, or through their Register*()
// against the installed library (hiedge_torch: RegisterTorchBackends() in hiedge/torch/train.h).
struct BackendInfo {
  std::string name;    // e.g. "xnnpack"
  std::string format;  // Card format it reads, e.g. "onnx"
  int priority = 0;    // Higher wins when LoadOptions::backend is empty.
  // Runs other models (a cascade): chosen for its format whatever LoadOptions::backend
  // names, which it passes on to the models it loads. Not dry-run itself (its models
  // are, as it loads them).
  bool composite = false;
};
using BackendFactory = std::function<Result<std::unique_ptr<InferenceBackend>>(
    const ModelCard& card, const std::string& weights_path, const LoadOptions& options)>;
// Registers (or replaces) the backend `info.name`.
void RegisterBackend(const BackendInfo& info, BackendFactory factory);
std::vector<BackendInfo> RegisteredBackends();

// Stages [from_stage, num_stages) of `model` as a model of their own, for DNN
// partitioning: its input is the activation after stage from_stage - 1 (per-sample
// shape measured once with a zero image), its output the final logits; name
// "<model>_tail<from_stage>". InvalidArgument unless 1 <= from_stage < num_stages.
Result<std::unique_ptr<InferenceBackend>> MakeTailBackend(std::shared_ptr<InferenceBackend> model,
                                                          int from_stage);

// Measured peak multiply-accumulates per second of this CPU on the current thread: a
// large float32 matrix product through the engine (XNNPACK). For arithmetic limits
// (MACs / peak) beside measured latencies.
double MeasurePeakMacsPerSecond();

}  // namespace hiedge
