// Training of hiedge's built-in architectures (libtorch underneath, hidden here).
#pragma once

#include <cstdint>
#include <string>

#include "hiedge/common/model_card.h"
#include "hiedge/common/status.h"
#include "hiedge/data/data.h"

namespace hiedge {

struct TrainOptions {
  std::string architecture = "small_cnn";  // One of TrainableArchitectures()
  std::string name = "sml";                // Output files: <output_dir>/<name>.pt and .json
  std::string output_dir = "models";
  int epochs = 20;
  int batch_size = 128;
  double learning_rate = 0.05;  // Peak; cosine-annealed to 0 over all steps.
  double momentum = 0.9;        // SGD with Nesterov momentum.
  double weight_decay = 5e-4;
  double label_smoothing = 0.1;
  bool augment = true;                  // Random crop (padding 2) and horizontal flip.
  double early_exit_loss_weight = 0.3;  // Weight of each early exit's loss.
  uint64_t seed = 1;
  int threads = 0;  // 0 = libtorch default.
  bool progress = true;
  std::string training_command;       // Recorded in the card.
  std::vector<int> positive_classes;  // Recorded in the card (binary filters).
  std::vector<int> classes;           // Recorded in the card (models of some classes).
  bool other_class = false;           // Recorded in the card.
  std::string feature_model;          // Recorded in the card (models on features).
  int feature_stages = 0;
  // Knowledge distillation: with distill_weight > 0 the loss is
  //   (1 - w) * cross-entropy(labels) + w * T^2 * KL(q_T || softmax(logits / T)),
  // where q_T is the training set's soft labels q (untempered teacher probabilities,
  // AttachTeacherProbabilities, mapped to this model's classes) tempered as q^(1/T).
  double distill_weight = 0;
  double distill_temperature = 4;
  std::string teacher_model;              // Recorded in the card's dataset line.
  std::string dataset = "fashion-mnist";  // The data's name, recorded in the card.
  // The inputs are pixels as byte / 255 (recorded as the card's pixel_inputs, so servers
  // take UINT8 bytes for it); false for other values (signal windows, features).
  bool pixel_inputs = true;
};

// Trains on `train`, reports accuracy on `validation` and `test`, writes weights and
// card, and returns the card. Deterministic for a given seed and thread count.
Result<ModelCard> TrainModel(const TrainOptions& options, const Dataset& train,
                             const Dataset& validation, const Dataset& test);

// Exports the hiedge-format weights of the card at `card_path` (a built-in
// architecture) to ONNX at `onnx_path`, with early exits and stage boundaries, and
// rewrites the card: format "onnx", weights = that file, alternates {"hiedge": .pt}.
Result<ModelCard> ExportModel(const std::string& card_path, const std::string& onnx_path);

// Registers the libtorch backends with the engine's registry: "torch" (format
// "hiedge", weights written by TrainModel) and "torchscript" (any TorchScript module
// mapping images to logits). Idempotent. Linking hiedge_torch in hiedge's CMake tree
// registers them (self_register.cc); against the installed library, call this once
// before LoadModel.
void RegisterTorchBackends();

// The built-in architectures TrainOptions::architecture may name.
std::vector<std::string> TrainableArchitectures();

}  // namespace hiedge
