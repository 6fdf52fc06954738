// Model card: the JSON file shipped beside every model's weights. It says what the
// model is, how it was trained and how well it does, and LoadModel reads it.
// ModelCard is a value (copyable); the readers and writers take paths and hold nothing.
// Thread-safety: the functions are reentrant; one card is not for concurrent writes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

// One early exit of a model, as its card records it (`hiedge exits --write`).
struct ExitFacts {
  int after_stage = 0;             // The stage the exit branches after.
  int64_t macs = 0;                // Per sample, from the input to this exit's logits.
  double validation_accuracy = 0;  // Answering every sample at this exit.
  double test_accuracy = 0;
};

struct ModelCard {
  std::string name;          // Model name served and logged, e.g. "sml".
  std::string architecture;  // small_cnn | resnet8 | vgg | vgg_small | expert | cnn1d | onnx |
                             // torchscript | cascade | statistical_rule
  // onnx | hiedge (hiedge's trainer) | torchscript | cascade (weights: a CascadeSpec) |
  // statistical_rule (weights: a StatisticalRule's JSON)
  std::string format = "hiedge";
  std::string weights;  // Weights file, relative to the card's folder.
  // The same weights in other formats, {format: file}; e.g. a trained model's card has
  // format "onnx" (what the engine runs) and alternates {"hiedge": "<name>.pt"}.
  std::map<std::string, std::string> alternates;
  std::string dataset = "fashion-mnist";
  std::vector<int64_t> input_shape;  // Per sample {C, H, W}.
  int num_classes = 10;
  // Non-empty for a binary filter: label 1 = these original classes (e.g. {5, 7, 9}).
  std::vector<int> positive_classes;
  // Non-empty for a model of some classes only: output k is original class classes[k].
  std::vector<int> classes;
  // With `classes`: one more output, "none of these" (trained on every other class),
  // so a second-level model can say a sample is not its superclass's.
  bool other_class = false;
  // Non-empty for a model on mid-layer features (a two-level expert): its input is the
  // output of the first `feature_stages` stages of the model whose card is
  // `feature_model` (a path relative to this card's folder).
  std::string feature_model;
  int feature_stages = 0;
  // The input is image pixels in [0, 1], byte / 255 (any normalisation is inside the
  // model): servers also take OIP UINT8 pixel bytes for it. Features are not pixels.
  bool pixel_inputs = false;
  // What the model's output is: "logits" (hiedge's trainer; the default when empty) or
  // "probabilities" (the graph ends in a softmax, as PyTorch and Keras exports often
  // do; hiedge serves log p), or "auto" (whichever the load's dry run shows). Checked
  // at load: probability-like outputs (non-negative rows summing to 1 on a zero sample)
  // under a card that says neither "probabilities" nor "auto" are refused.
  std::string outputs;
  // OIP tensor names to serve it under; empty: "input" and "logits".
  std::string input_name;
  std::string output_name;
  std::vector<float> normalize_mean;  // Per channel; applied inside the model.
  std::vector<float> normalize_std;
  int64_t parameter_count = 0;
  // "fp32", or "int8" for a quantised model (hiedge quantize).
  std::string precision = "fp32";
  // Bytes of the parameters as stored: 4 * parameter_count in fp32; for int8, the int8
  // weights plus their per-channel scales and the float biases.
  int64_t size_bytes = 0;
  int64_t macs_per_sample = 0;
  uint64_t seed = 0;
  int epochs = 0;
  int batch_size = 0;
  double validation_accuracy = 0;  // Fraction in [0, 1] on the fixed validation split.
  double test_accuracy = 0;        // Fraction in [0, 1] on the test split.
  double training_seconds = 0;
  std::string training_command;
  std::vector<ExitFacts> exits;  // Early exits, in order; empty when not measured.

  std::string ToJson() const;
  static Result<ModelCard> FromJson(const std::string& text);
};

Result<ModelCard> ReadModelCard(const std::string& path);
Status WriteModelCard(const ModelCard& card, const std::string& path);

// Folder of a card, used to resolve its weights path.
std::string CardDirectory(const std::string& card_path);

// "<name>@<16 hex digits>": the card's name and a hash (FNV-1a) of its weights file, so
// a decision config can say which model it was calibrated for, whatever its path.
Result<std::string> ModelIdentity(const std::string& card_path);

}  // namespace hiedge
