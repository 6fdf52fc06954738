// Post-training static quantisation (INT8) of an ONNX model, in the engine: no torch.
#pragma once

#include <cstddef>
#include <string>

#include "hiedge/data/data.h"
#include "hiedge/common/model_card.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct QuantizeOptions {
  std::string name;                   // Name of the quantised model (card "name").
  size_t calibration_samples = 2000;  // First samples of `calibration` observed.
};

// Quantises the ONNX model of the card at `card_path` (format "onnx"):
//  - BatchNormalization after a Conv is folded into it first;
//  - weights of Conv and Gemm: int8, symmetric, one scale per output channel;
//  - activations entering and leaving Conv, Gemm, MaxPool, GlobalAveragePool and Add:
//    int8 per tensor, asymmetric, scales from the min/max observed on `calibration`
//    (use the validation split, never the test set); MaxPool keeps its input's scale;
//  - biases stay float (the engine requantises them with the scales it runs).
// Writes the result as a standard QDQ ONNX model (QuantizeLinear/DequantizeLinear
// around each operator, as ONNX Runtime's quantiser writes them) to `onnx_path` and
// returns its card, to be written in the same folder (weights = the file's name;
// precision "int8", size_bytes = bytes of the quantised parameters;
// accuracies are left for the caller to measure). Graph outputs, early exits and
// stage boundaries keep their names and stay float.
Result<ModelCard> QuantizeModel(const std::string& card_path, const Dataset& calibration,
                                const std::string& onnx_path, const QuantizeOptions& options);

}  // namespace hiedge
