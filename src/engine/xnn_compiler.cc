#include "engine/xnn_compiler.h"

#include <xnnpack.h>

#include <algorithm>
#include <sstream>

namespace hiedge::engine {
namespace {

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

// A node without the inputs its operator needs, or without an output, is DataLoss
// before any builder reads them.
Status CheckArity(const OnnxNode& node, size_t needed) {
  if (node.outputs.empty() || node.outputs[0].empty()) {
    return Status::DataLoss(node.Describe() + " has no output");
  }
  if (node.inputs.size() < needed) {
    return Status::DataLoss(node.Describe() + " has " + std::to_string(node.inputs.size()) +
                            " inputs; it needs at least " + std::to_string(needed));
  }
  for (size_t k = 0; k < needed; ++k) {
    if (node.inputs[k].empty() && !(node.op_type == "Clip" && k > 0)) {
      return Status::DataLoss(node.Describe() + " leaves required input " + std::to_string(k) +
                              " empty");
    }
  }
  return Status::Ok();
}

}  // namespace

const std::map<std::string, XnnCompiler::OperatorEntry>& XnnCompiler::Operators() {
  static const std::map<std::string, OperatorEntry> operators = {
      {"Add", {&XnnCompiler::Elementwise, 2}},
      {"AveragePool", {&XnnCompiler::Pool, 1}},
      {"BatchNormalization", {&XnnCompiler::BatchNorm, 5}},
      {"Cast", {&XnnCompiler::ShapePassThrough, 1}},
      {"Clip", {&XnnCompiler::Activation, 1}},
      {"Concat", {&XnnCompiler::Concat, 1}},
      {"Conv", {&XnnCompiler::Conv, 2}},
      {"DequantizeLinear", {&XnnCompiler::Dequantize, 2}},
      {"Div", {&XnnCompiler::Elementwise, 2}},
      {"Dropout", {&XnnCompiler::Alias, 1}},
      {"Erf", {&XnnCompiler::Unary, 1}},
      {"Flatten", {&XnnCompiler::Alias, 1}},
      {"Gather", {&XnnCompiler::Gather, 2}},
      {"Gelu", {&XnnCompiler::Unary, 1}},
      {"Gemm", {&XnnCompiler::Gemm, 2}},
      {"GlobalAveragePool", {&XnnCompiler::GlobalAveragePool, 1}},
      {"HardSigmoid", {&XnnCompiler::Unary, 1}},
      {"HardSwish", {&XnnCompiler::Unary, 1}},
      {"Identity", {&XnnCompiler::Alias, 1}},
      {"LayerNormalization", {&XnnCompiler::LayerNorm, 2}},
      {"LeakyRelu", {&XnnCompiler::Unary, 1}},
      {"MatMul", {&XnnCompiler::Gemm, 2}},
      {"MaxPool", {&XnnCompiler::Pool, 1}},
      {"Mul", {&XnnCompiler::Elementwise, 2}},
      {"Pad", {&XnnCompiler::Pad, 1}},
      {"QuantizeLinear", {&XnnCompiler::Quantize, 2}},
      {"ReduceMean", {&XnnCompiler::ReduceMean, 1}},
      {"Relu", {&XnnCompiler::Activation, 1}},
      {"Reshape", {&XnnCompiler::Reshape, 2}},
      {"Resize", {&XnnCompiler::Resize, 1}},
      {"Shape", {&XnnCompiler::Shape, 1}},
      {"Sigmoid", {&XnnCompiler::Unary, 1}},
      {"Slice", {&XnnCompiler::Slice, 3}},
      {"Softmax", {&XnnCompiler::Softmax, 1}},
      {"Squeeze", {&XnnCompiler::SqueezeOrUnsqueeze, 1}},
      {"Sub", {&XnnCompiler::Elementwise, 2}},
      {"Tanh", {&XnnCompiler::Unary, 1}},
      {"Transpose", {&XnnCompiler::Transpose, 1}},
      {"Unsqueeze", {&XnnCompiler::SqueezeOrUnsqueeze, 1}},
  };
  return operators;
}

std::vector<std::string> XnnCompiler::SupportedOperators() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : Operators()) names.push_back(name);
  return names;
}

const std::vector<std::string>& XnnSupportedOperators() {
  static const std::vector<std::string> ops = XnnCompiler::SupportedOperators();
  return ops;
}

XnnStep::~XnnStep() {
  for (xnn_operator_t op : operators) xnn_delete_operator(op);
}

Status XnnCheck(int status, const std::string& what) {
  if (status == xnn_status_success) return Status::Ok();
  return Status::Internal(what + ": XNNPACK status " + std::to_string(status));
}

bool XnnValue::permuted() const { return spatial() && dims[0] > 1 && dims[1] * dims[2] > 1; }

Result<int> XnnCompiler::ValueOf(const std::string& name, const OnnxNode& node) {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  if (auto dq = dequantized_views_.find(name); dq != dequantized_views_.end()) {
    // A float consumer of an int8 value: convert once, then share.
    const XnnValue source = program_.value(dq->second);
    const auto elements = static_cast<size_t>(source.elements());
    xnn_operator_t op = nullptr;
    HIEDGE_RETURN_IF_ERROR(
        XnnCheck(xnn_create_convert_nc_qs8_f32(elements, elements, elements, source.scale,
                                               static_cast<int8_t>(source.zero_point), 0, &op),
                 "DequantizeLinear to '" + name + "'"));
    const int v = AddValue(name, source.dims, source.hwc_source);
    XnnStep& step = AddStep("DequantizeLinear '" + name + "'", {dq->second}, v);
    step.operators.push_back(op);
    step.run = [op](size_t batch, std::span<const float* const> in, float* o,
                    pthreadpool_t pool) -> Status {
      HIEDGE_RETURN_IF_ERROR(XnnCheck(
          xnn_setup_convert_nc_qs8_f32(op, batch, reinterpret_cast<const int8_t*>(in[0]), o, pool),
          "dequantize setup"));
      return XnnCheck(xnn_run_operator(op, pool), "dequantize");
    };
    return v;
  }
  if (graph_.float_constants.count(name)) {
    return Status::Unimplemented(node.Describe() + ": a constant as its data input '" + name +
                                 "' is not supported");
  }
  return Status::DataLoss(node.Describe() + " reads '" + name +
                          "', which no earlier node produces");
}

const FloatTensor* XnnCompiler::ConstantOf(const std::string& name) const {
  auto it = graph_.float_constants.find(name);
  if (it != graph_.float_constants.end()) return &it->second;
  auto dq = dequantized_.find(name);
  return dq == dequantized_.end() ? nullptr : &dq->second;
}

int XnnCompiler::AddValue(const std::string& name, std::vector<int64_t> dims,
                          std::vector<int64_t> hwc_source, int alias_of) {
  const int index = static_cast<int>(program_.values_.size());
  const int root = alias_of < 0 ? index : alias_root_[static_cast<size_t>(alias_of)];
  program_.values_.push_back({name, std::move(dims), std::move(hwc_source), -1, root});
  if (alias_of >= 0) {  // An alias has its source's representation.
    const XnnValue& source = program_.values_[static_cast<size_t>(alias_of)];
    program_.values_.back().int8 = source.int8;
    program_.values_.back().scale = source.scale;
    program_.values_.back().zero_point = source.zero_point;
  }
  program_.producer_.push_back(alias_of < 0 ? -1
                                            : program_.producer_[static_cast<size_t>(alias_of)]);
  alias_root_.push_back(root);
  values_[name] = index;
  return index;
}

XnnStep& XnnCompiler::AddStep(std::string description, std::vector<int> inputs, int output,
                              int64_t macs) {
  auto step = std::make_unique<XnnStep>();
  step->description = std::move(description);
  step->inputs = std::move(inputs);
  step->output = output;
  step->macs = macs;
  program_.steps_.push_back(std::move(step));
  program_.producer_[static_cast<size_t>(output)] = static_cast<int>(program_.steps_.size()) - 1;
  return *program_.steps_.back();
}

int XnnCompiler::SoleConsumer(const std::string& name, const std::set<std::string>& ops) const {
  if (pinned_.count(name)) return -1;
  auto it = consumers_.find(name);
  if (it == consumers_.end() || it->second.size() != 1) return -1;
  const size_t j = it->second[0];
  if (fused_[j] || !ops.count(graph_.nodes[j].op_type)) return -1;
  return static_cast<int>(j);
}

Result<std::pair<float, float>> XnnCompiler::ClipRange(const OnnxNode& node) const {
  if (node.op_type == "Relu") return std::make_pair(0.0f, kNoMax);
  float lo = kNoMin, hi = kNoMax;
  if (graph_.opset > 0 && graph_.opset < 11) {
    lo = node.Float("min", kNoMin);
    hi = node.Float("max", kNoMax);
  }
  for (size_t k : {size_t{1}, size_t{2}}) {
    if (node.inputs.size() <= k || node.inputs[k].empty()) continue;
    const FloatTensor* bound = ConstantOf(node.inputs[k]);
    if (bound == nullptr || bound->data.size() != 1) {
      return Status::Unimplemented(node.Describe() + ": min/max must be constant scalars");
    }
    (k == 1 ? lo : hi) = bound->data[0];
  }
  return std::make_pair(lo, hi);
}

Status XnnCompiler::FuseActivation(std::string* name, float* lo, float* hi,
                                   std::string* description) {
  const int j = SoleConsumer(*name, {"Relu", "Clip"});
  if (j < 0) return Status::Ok();
  const OnnxNode& act = graph_.nodes[static_cast<size_t>(j)];
  HIEDGE_ASSIGN_OR_RETURN(auto range, ClipRange(act));
  *lo = std::max(*lo, range.first);
  *hi = std::min(*hi, range.second);
  fused_[static_cast<size_t>(j)] = true;
  *name = act.outputs[0];
  *description += " + " + act.op_type;
  return Status::Ok();
}

Status XnnCompiler::DeclareInput() {
  if (graph_.inputs.size() != 1) {
    return Status::Unimplemented("the model has " + std::to_string(graph_.inputs.size()) +
                                 " inputs; the engine runs models with one input");
  }
  const OnnxValue& in = graph_.inputs[0];
  if (in.dims.size() != 2 && in.dims.size() != 4) {
    return Status::Unimplemented("input '" + in.name + "' has shape " + ShapeToString(in.dims) +
                                 "; expected [N, C, H, W] or [N, F]");
  }
  std::vector<int64_t> dims(in.dims.begin() + 1, in.dims.end());
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d < 1) {
      return Status::Unimplemented("input '" + in.name +
                                   "' must have fixed sizes beyond the "
                                   "batch dimension, got " +
                                   ShapeToString(in.dims));
    }
    if (elements > kMaxValueElements / d) {
      return Status::DataLoss("input '" + in.name + "' of shape " + ShapeToString(in.dims) +
                              " exceeds " + std::to_string(kMaxValueElements) +
                              " elements per sample");
    }
    elements *= d;
  }
  program_.input_ = AddValue(in.name, dims);
  return Status::Ok();
}

Status XnnCompiler::DeclareOutputs() {
  if (graph_.outputs.empty()) return Status::DataLoss("the model has no outputs");
  const std::vector<std::string> exits = [&] {
    auto it = graph_.metadata.find(kExitOutputsKey);
    return it == graph_.metadata.end() ? std::vector<std::string>{} : SplitList(it->second);
  }();
  for (const OnnxValue& out : graph_.outputs) {
    HIEDGE_ASSIGN_OR_RETURN(int v, ValueOf(out.name, OnnxNode{"output", out.name, {}, {}, {}}));
    if (std::find(exits.begin(), exits.end(), out.name) != exits.end()) {
      program_.exit_outputs_.push_back(v);
    } else if (program_.final_ < 0) {
      program_.final_ = v;
    }
  }
  if (program_.final_ < 0) return Status::DataLoss("every output is marked an early exit");
  if (auto it = graph_.metadata.find(kStageOutputsKey); it != graph_.metadata.end()) {
    for (const std::string& name : SplitList(it->second)) {
      HIEDGE_ASSIGN_OR_RETURN(int v, ValueOf(name, OnnxNode{"stage", name, {}, {}, {}}));
      program_.stage_outputs_.push_back(v);
    }
  }
  program_.stage_outputs_.push_back(program_.final_);
  if (auto it = graph_.metadata.find(kExitAfterStageKey); it != graph_.metadata.end()) {
    for (const std::string& item : SplitList(it->second)) {
      program_.exit_after_stage_.push_back(std::stoi(item));
    }
  }
  if (program_.exit_after_stage_.size() != program_.exit_outputs_.size()) {
    return Status::DataLoss(std::string(kExitAfterStageKey) + " must name a stage per exit");
  }
  for (int stage : program_.exit_after_stage_) {
    if (stage < 0 || stage + 1 >= static_cast<int>(program_.stage_outputs_.size())) {
      return Status::DataLoss("an early exit branches after stage " + std::to_string(stage) +
                              ", which is not a stage before the last");
    }
  }
  return Status::Ok();
}

// Values live from their producing step to their last reader; boundaries and outputs
// (anything Run may return or start from) keep their own storage. The rest reuse freed
// buffers, so peak memory is a few activations, not the sum of all.
void XnnCompiler::AssignBuffers() {
  const size_t n_values = program_.values_.size();
  std::vector<int> last_use(n_values, -1);
  std::vector<bool> keep(n_values, false);
  keep[static_cast<size_t>(program_.input_)] = true;
  for (int v : program_.stage_outputs_) keep[static_cast<size_t>(v)] = true;
  for (int v : program_.exit_outputs_) keep[static_cast<size_t>(v)] = true;
  for (size_t s = 0; s < program_.steps_.size(); ++s) {
    for (int v : program_.steps_[s]->inputs) {
      const auto root = static_cast<size_t>(alias_root_[static_cast<size_t>(v)]);
      last_use[root] = std::max(last_use[root], static_cast<int>(s));
    }
  }
  for (size_t v = 0; v < n_values; ++v) {
    if (keep[v]) keep[static_cast<size_t>(alias_root_[v])] = true;
  }
  std::vector<int> free_buffers;
  std::vector<std::vector<int>> released(program_.steps_.size());
  auto new_buffer = [&] {
    program_.buffer_elements_.push_back(0);
    return static_cast<int>(program_.buffer_elements_.size()) - 1;
  };
  auto place = [&](size_t root) {
    int buffer;
    if (keep[root] || free_buffers.empty()) {
      buffer = new_buffer();
    } else {
      buffer = free_buffers.back();
      free_buffers.pop_back();
    }
    program_.values_[root].buffer = buffer;
    auto& size = program_.buffer_elements_[static_cast<size_t>(buffer)];
    size = std::max(size, program_.values_[root].elements());
    if (!keep[root] && last_use[root] >= 0) {
      released[static_cast<size_t>(last_use[root])].push_back(buffer);
    }
  };
  place(static_cast<size_t>(program_.input_));
  for (size_t s = 0; s < program_.steps_.size(); ++s) {
    place(static_cast<size_t>(program_.steps_[s]->output));
    // Freed after the step has run, so no step writes over its own inputs.
    for (int b : released[s]) free_buffers.push_back(b);
  }
  for (size_t v = 0; v < n_values; ++v) {
    program_.values_[v].buffer = program_.values_[static_cast<size_t>(alias_root_[v])].buffer;
  }
}

Status XnnCompiler::Compile() {
  fused_.assign(graph_.nodes.size(), false);
  // Every node first: a builder may read a later node it fuses.
  for (const OnnxNode& node : graph_.nodes) {
    const auto known = Operators().find(node.op_type);
    HIEDGE_RETURN_IF_ERROR(
        CheckArity(node, known == Operators().end() ? 1 : known->second.minimum_inputs));
  }
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    for (const std::string& in : graph_.nodes[i].inputs) consumers_[in].push_back(i);
  }
  for (const OnnxValue& out : graph_.outputs) pinned_.insert(out.name);
  if (auto it = graph_.metadata.find(kStageOutputsKey); it != graph_.metadata.end()) {
    for (const std::string& name : SplitList(it->second)) pinned_.insert(name);
  }
  HIEDGE_RETURN_IF_ERROR(DeclareInput());
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    if (fused_[i]) continue;
    const auto known = Operators().find(graph_.nodes[i].op_type);
    if (known == Operators().end()) {
      std::string supported;
      for (const std::string& name : XnnSupportedOperators()) {
        supported += (supported.empty() ? "" : ", ") + name;
      }
      return Status::Unimplemented("unsupported ONNX operator " + graph_.nodes[i].Describe() +
                                   "; the XNNPACK backend runs " + supported);
    }
    HIEDGE_RETURN_IF_ERROR((this->*known->second.build)(i));
  }
  HIEDGE_RETURN_IF_ERROR(DeclareOutputs());
  for (const XnnValue& v : program_.values_) {
    if (v.elements() > kMaxValueElements) {
      return Status::DataLoss("value '" + v.name + "' holds " + std::to_string(v.elements()) +
                              " elements per sample; the bound is " +
                              std::to_string(kMaxValueElements));
    }
  }
  AssignBuffers();
  return Status::Ok();
}

}  // namespace hiedge::engine
