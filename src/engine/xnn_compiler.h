// Compiles an OnnxGraph into an XnnProgram's values and steps: shape inference, weight
// re-layout (OIHW -> OHWI, Gemm columns in HWC order), BatchNormalization folded into
// the Conv before it, Relu/Clip fused into the operator before them. Internal.
#pragma once

#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/onnx_graph.h"
#include "engine/xnn_program.h"
#include "engine/xnn_step.h"

namespace hiedge::engine {

class XnnCompiler {
 public:
  XnnCompiler(const OnnxGraph& graph, XnnProgram& program) : graph_(graph), program_(program) {}
  Status Compile();
  // The ONNX operators Compile builds, by name.
  static std::vector<std::string> SupportedOperators();

 private:
  using Builder = Status (XnnCompiler::*)(size_t);
  struct OperatorEntry {
    Builder build;
    size_t minimum_inputs;  // Required inputs; optional ones are checked by the builder.
  };
  // Every operator the compiler builds, with its builder: the one list that dispatch,
  // arity checks and XnnSupportedOperators() read. Adding an operator is one entry.
  static const std::map<std::string, OperatorEntry>& Operators();

  // Per-operator builders; `i` indexes graph_.nodes.
  Status Conv(size_t i);
  Status Gemm(size_t i);
  Status Pool(size_t i);
  Status GlobalAveragePool(size_t i);
  Status Alias(size_t i);
  Status Reshape(size_t i);
  Status Elementwise(size_t i);
  Status BatchNorm(size_t i);
  Status Activation(size_t i);
  Status Softmax(size_t i);
  Status Concat(size_t i);
  // Sigmoid, Tanh, LeakyRelu, HardSwish, HardSigmoid, Erf, Gelu (xnn_unary.cc).
  Status Unary(size_t i);
  // Transpose, Squeeze/Unsqueeze of tensors and general reshapes (xnn_relayout.cc).
  Status Transpose(size_t i);
  Status SqueezeOrUnsqueeze(size_t i);
  // A new value `name` of per-sample `dims` whose ONNX-order element k is the input's
  // ONNX-order element source_of(k); an alias when no data moves.
  Status AddRelayout(int x, const std::string& name, std::vector<int64_t> dims,
                     const std::function<int64_t(int64_t)>& source_of, std::string description);
  // Resize of H and W, nearest or linear (xnn_resize.cc).
  Status Resize(size_t i);
  // Pad, ReduceMean and LayerNormalization (xnn_layout_ops.cc).
  Status Pad(size_t i);
  Status ReduceMean(size_t i);
  Status LayerNorm(size_t i);
  Result<bool> TryLayerNormDecomposition(size_t i);
  // A LayerNormalization of the rows of value `x` into a new value `name`.
  void AddLayerNormStep(int x, const std::string& name, std::vector<float> scale,
                        std::vector<float> bias, float epsilon, std::string description);
  // Shape arithmetic folded at compile time (xnn_shapes.cc): Shape, Gather, Slice,
  // Concat of shapes, and Unsqueeze/Squeeze/Cast of shapes.
  Status Shape(size_t i);
  Status Gather(size_t i);
  Status Slice(size_t i);
  Status ShapePassThrough(size_t i);
  Status ConcatShapes(size_t i);
  // The entries of a shape computed so far, or of an INT64 constant; Unimplemented for
  // anything else.
  Result<std::vector<int64_t>> ShapeValueOf(const std::string& name, const OnnxNode& node) const;
  bool IsShapeValue(const std::string& name) const;
  // QDQ (xnn_quantized.cc): QuantizeLinear/DequantizeLinear nodes, and the int8 forms of
  // Conv, Gemm, MaxPool, GlobalAveragePool and Add, used when their inputs are
  // dequantised int8 values and their output (after a Relu/Clip) is quantised again.
  Status Quantize(size_t i);
  Status Dequantize(size_t i);
  Result<bool> TryQuantizedConv(size_t i);
  Result<bool> TryQuantizedGemm(size_t i);
  Result<bool> TryQuantizedPool(size_t i);
  Result<bool> TryQuantizedAdd(size_t i);

  struct QuantizedOutput {
    std::vector<size_t> fused;  // Nodes absorbed: the activation (if any) and the Q.
    std::string name;           // The QuantizeLinear's output.
    float scale = 1;
    int32_t zero_point = 0;
    int32_t qmin = -128, qmax = 127;
    std::string description;
  };
  // The QuantizeLinear (int8, per tensor) that solely consumes `name`, through an
  // optional Relu/Clip; nullopt-like false when the chain is not there.
  Result<bool> FindQuantizedOutput(const std::string& name, QuantizedOutput* out);
  // Scale and zero point of a Q/DQ node's per-tensor int8 parameters; false when they
  // are not constant, per-tensor and int8.
  bool PerTensorInt8(const OnnxNode& node, float* scale, int32_t* zero_point) const;
  // The int8 value whose dequantisation `name` is, or -1.
  int DequantizedSource(const std::string& name) const;
  void MarkFused(const QuantizedOutput& out);
  // A new QS8 value: real = scale * (q - zero_point).
  int AddInt8Value(const std::string& name, std::vector<int64_t> dims,
                   std::vector<int64_t> hwc_source, float scale, int32_t zero_point);

  Status DeclareInput();
  Status DeclareOutputs();
  void AssignBuffers();

  // The float value `name`; a dequantised int8 value is converted on first use.
  Result<int> ValueOf(const std::string& name, const OnnxNode& node);
  const FloatTensor* ConstantOf(const std::string& name) const;
  int AddValue(const std::string& name, std::vector<int64_t> dims,
               std::vector<int64_t> hwc_source = {}, int alias_of = -1);
  XnnStep& AddStep(std::string description, std::vector<int> inputs, int output, int64_t macs = 0);
  // The one node consuming `name`, if its operator is one of `ops` and `name` is not a
  // graph output or stage boundary; else -1.
  int SoleConsumer(const std::string& name, const std::set<std::string>& ops) const;
  // Fuses a Relu/Clip that solely consumes `*name` into the operator producing it:
  // narrows [*lo, *hi], moves *name to the activation's output.
  Status FuseActivation(std::string* name, float* lo, float* hi, std::string* description);
  Result<std::pair<float, float>> ClipRange(const OnnxNode& node) const;

  const OnnxGraph& graph_;
  XnnProgram& program_;
  std::map<std::string, int> values_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::set<std::string> pinned_;
  std::vector<bool> fused_;
  std::vector<int> alias_root_;                     // Per value: the value whose storage it shares.
  std::map<std::string, int> dequantized_views_;    // DQ output -> its int8 source value.
  std::map<std::string, FloatTensor> dequantized_;  // DQ of a constant, computed here.
  struct QuantizedConstant {
    const OnnxIntTensor* values = nullptr;
    std::vector<float> scales;  // One, or one per slice along `axis`.
    std::vector<int32_t> zero_points;
    int64_t axis = 1;
  };
  std::map<std::string, QuantizedConstant> quantized_constants_;  // DQ output -> source
  // Shapes computed at compile time: entries are sizes, or kBatchDim for the batch.
  std::map<std::string, std::vector<int64_t>> shape_values_;
};

// A Conv/pool window over [H, W]: kernel, strides, dilations, pads and output size.
struct XnnWindow {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  int64_t out_h = 0, out_w = 0;
};
// Reads a node's window attributes (auto_pad SAME_* computed as ONNX defines them).
Result<XnnWindow> WindowOf(const OnnxNode& n, int64_t h, int64_t w, int64_t kh, int64_t kw);

// The batch's entry in a shape computed at compile time (it is known only per call).
inline constexpr int64_t kBatchDim = std::numeric_limits<int64_t>::min();

inline constexpr float kNoMin = -std::numeric_limits<float>::infinity();
inline constexpr float kNoMax = std::numeric_limits<float>::infinity();

}  // namespace hiedge::engine
