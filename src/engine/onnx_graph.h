// An ONNX model read into plain structs: the nodes in file order, the float and int64
// initialisers (Constant nodes included) and the model's metadata. Only what the
// engine's compilers need; unknown fields are ignored, unsupported ones (external
// data, non-float weights) are errors. Internal to the engine.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

namespace hiedge::engine {

// Metadata keys hiedge's exporter writes and the compiler reads (all optional):
//   hiedge.stage_outputs     comma-separated value names ending stages 0..S-2 (the
//                            graph's final output ends the last stage)
//   hiedge.exit_outputs      comma-separated graph outputs that are early-exit logits
//   hiedge.exit_after_stage  comma-separated stage index each exit branches after
inline constexpr const char* kStageOutputsKey = "hiedge.stage_outputs";
inline constexpr const char* kExitOutputsKey = "hiedge.exit_outputs";
inline constexpr const char* kExitAfterStageKey = "hiedge.exit_after_stage";

struct OnnxAttribute {
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
};

struct OnnxNode {
  std::string op_type;
  std::string name;
  std::vector<std::string> inputs;  // "" marks an omitted optional input.
  std::vector<std::string> outputs;
  std::map<std::string, OnnxAttribute> attributes;

  int64_t Int(const std::string& key, int64_t fallback) const;
  float Float(const std::string& key, float fallback) const;
  std::vector<int64_t> Ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::string String(const std::string& key, const std::string& fallback) const;
  // "Conv 'stage0.conv'" for error messages.
  std::string Describe() const;
};

// A graph input or output: its name and dimensions (-1 where symbolic, e.g. batch).
struct OnnxValue {
  std::string name;
  std::vector<int64_t> dims;
};

// An INT8, UINT8 or INT32 initialiser (quantised weights, biases and zero points),
// values widened to int32.
struct OnnxIntTensor {
  int data_type = 0;  // ONNX TensorProto data type: 2 UINT8, 3 INT8, 6 INT32.
  std::vector<int64_t> shape;
  std::vector<int32_t> values;
};

struct OnnxGraph {
  std::vector<OnnxNode> nodes;  // In file order (ONNX requires topological order).
  std::map<std::string, FloatTensor> float_constants;
  std::map<std::string, std::vector<int64_t>> int_constants;  // INT64 (shapes)
  std::map<std::string, OnnxIntTensor> quantized_constants;   // INT8 / UINT8 / INT32
  std::vector<OnnxValue> inputs;  // Graph inputs that are not initialisers.
  std::vector<OnnxValue> outputs;
  std::map<std::string, std::string> metadata;  // metadata_props
  int64_t opset = 0;                            // Of the default ("" / "ai.onnx") domain.
};

// Bounds on what a model file may declare; a file beyond them is DataLoss.
inline constexpr size_t kMaxOnnxFileBytes = size_t{1} << 30;
inline constexpr size_t kMaxOnnxNodes = 100000;

// Parses a serialised ModelProto. DataLoss for bytes that are not one, or that use
// external data, subgraphs or weights other than FLOAT, INT64, INT32, INT8 and UINT8.
Result<OnnxGraph> ParseOnnxModel(std::span<const uint8_t> bytes);
Result<OnnxGraph> ReadOnnxModel(const std::string& path);

}  // namespace hiedge::engine
