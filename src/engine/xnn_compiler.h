// Compiles an OnnxGraph into an XnnProgram's values and steps: shape inference, weight
// re-layout (OIHW -> OHWI, Gemm columns in HWC order), BatchNormalization folded into
// the Conv before it, Relu/Clip fused into the operator before them. Internal.
#pragma once

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

 private:
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

  Status DeclareInput();
  Status DeclareOutputs();
  void AssignBuffers();

  Result<int> ValueOf(const std::string& name, const OnnxNode& node) const;
  const FloatTensor* ConstantOf(const std::string& name) const;
  int AddValue(const std::string& name, std::vector<int64_t> dims,
               std::vector<int64_t> hwc_source = {}, int alias_of = -1);
  XnnStep& AddStep(std::string description, std::vector<int> inputs, int output,
                   int64_t macs = 0);
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
  std::vector<int> alias_root_;  // Per value: the value whose storage it shares.
};

inline constexpr float kNoMin = -std::numeric_limits<float>::infinity();
inline constexpr float kNoMax = std::numeric_limits<float>::infinity();

}  // namespace hiedge::engine
