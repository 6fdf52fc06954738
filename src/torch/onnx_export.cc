// Writes a trained StagedNet as an ONNX model (opset 13): the normalisation, every
// stage, the early-exit heads as extra outputs, and metadata naming the stage
// boundaries, which the engine uses for stage-by-stage execution and partitioning.
#include "onnx_export.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/onnx_graph.h"
#include "hiedge/torch/train.h"
#include "onnx.pb.h"

namespace hiedge::models {
namespace nn = torch::nn;
namespace {

class Emitter {
 public:
  explicit Emitter(onnx::GraphProto* graph) : graph_(graph) {}

  std::string Fresh(const std::string& hint) { return hint + "_" + std::to_string(counter_++); }

  std::string Constant(const std::string& hint, const torch::Tensor& value) {
    torch::Tensor t = value.detach().to(torch::kFloat32).contiguous();
    onnx::TensorProto* proto = graph_->add_initializer();
    const std::string name = Fresh(hint);
    proto->set_name(name);
    proto->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : t.sizes()) proto->add_dims(d);
    proto->set_raw_data(std::string(reinterpret_cast<const char*>(t.data_ptr<float>()),
                                    static_cast<size_t>(t.numel()) * sizeof(float)));
    return name;
  }

  onnx::NodeProto* Node(const std::string& op, std::vector<std::string> inputs) {
    onnx::NodeProto* node = graph_->add_node();
    node->set_op_type(op);
    node->set_name(Fresh(op));
    for (const std::string& in : inputs) node->add_input(in);
    node->add_output(Fresh(op));
    return node;
  }

  static void Ints(onnx::NodeProto* node, const std::string& key, std::vector<int64_t> values) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values) a->add_ints(v);
  }
  static void Int(onnx::NodeProto* node, const std::string& key, int64_t value) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void Float(onnx::NodeProto* node, const std::string& key, float value) {
    onnx::AttributeProto* a = node->add_attribute();
    a->set_name(key);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
  }

  // Gives value `x` the name `name`: renames the last node's output when it is `x`
  // (nothing reads it yet), else adds an Identity.
  std::string Name(const std::string& x, const std::string& name) {
    if (graph_->node_size() > 0 && graph_->node(graph_->node_size() - 1).output(0) == x) {
      graph_->mutable_node(graph_->node_size() - 1)->set_output(0, name);
    } else {
      onnx::NodeProto* node = Node("Identity", {x});
      node->set_output(0, name);
    }
    return name;
  }

 private:
  onnx::GraphProto* graph_;
  int counter_ = 0;
};

std::vector<int64_t> Pair(const torch::ExpandingArray<2>& a) { return {(*a)[0], (*a)[1]}; }

Result<std::string> EmitSequential(Emitter& e, const nn::Sequential& seq, std::string x);

Result<std::string> EmitModule(Emitter& e, const std::shared_ptr<nn::Module>& module,
                               std::string x) {
  if (auto* conv = module->as<nn::Conv2dImpl>()) {
    const auto& o = conv->options;
    if (!c10::holds_alternative<torch::ExpandingArray<2>>(o.padding())) {
      return Status::Unimplemented("export: string padding modes");
    }
    std::vector<std::string> inputs = {x, e.Constant("weight", conv->weight)};
    if (o.bias()) inputs.push_back(e.Constant("bias", conv->bias));
    onnx::NodeProto* node = e.Node("Conv", inputs);
    const auto pad = Pair(c10::get<torch::ExpandingArray<2>>(o.padding()));
    Emitter::Ints(node, "kernel_shape", Pair(o.kernel_size()));
    Emitter::Ints(node, "strides", Pair(o.stride()));
    Emitter::Ints(node, "dilations", Pair(o.dilation()));
    Emitter::Ints(node, "pads", {pad[0], pad[1], pad[0], pad[1]});
    Emitter::Int(node, "group", o.groups());
    return node->output(0);
  }
  if (auto* bn = module->as<nn::BatchNorm2dImpl>()) {
    onnx::NodeProto* node =
        e.Node("BatchNormalization",
               {x, e.Constant("gamma", bn->weight), e.Constant("beta", bn->bias),
                e.Constant("mean", bn->running_mean), e.Constant("var", bn->running_var)});
    Emitter::Float(node, "epsilon", static_cast<float>(bn->options.eps()));
    return node->output(0);
  }
  if (module->as<nn::ReLUImpl>()) return e.Node("Relu", {x})->output(0);
  if (module->as<nn::DropoutImpl>()) return x;  // Identity at inference.
  if (auto* pool = module->as<nn::MaxPool2dImpl>()) {
    const auto& o = pool->options;
    onnx::NodeProto* node = e.Node("MaxPool", {x});
    const auto pad = Pair(o.padding());
    Emitter::Ints(node, "kernel_shape", Pair(o.kernel_size()));
    Emitter::Ints(node, "strides", Pair(o.stride()));
    Emitter::Ints(node, "dilations", Pair(o.dilation()));
    Emitter::Ints(node, "pads", {pad[0], pad[1], pad[0], pad[1]});
    Emitter::Int(node, "ceil_mode", o.ceil_mode() ? 1 : 0);
    return node->output(0);
  }
  if (auto* pool = module->as<nn::AdaptiveAvgPool2dImpl>()) {
    const auto& size = pool->options.output_size();
    if ((*size)[0] != 1 || (*size)[1] != 1) {
      return Status::Unimplemented("export: AdaptiveAvgPool2d to other than 1x1");
    }
    return e.Node("GlobalAveragePool", {x})->output(0);
  }
  if (auto* flatten = module->as<nn::FlattenImpl>()) {
    if (flatten->options.start_dim() != 1 || flatten->options.end_dim() != -1) {
      return Status::Unimplemented("export: Flatten other than from dimension 1");
    }
    onnx::NodeProto* node = e.Node("Flatten", {x});
    Emitter::Int(node, "axis", 1);
    return node->output(0);
  }
  if (auto* linear = module->as<nn::LinearImpl>()) {
    onnx::NodeProto* node =
        e.Node("Gemm", {x, e.Constant("weight", linear->weight), e.Constant("bias", linear->bias)});
    Emitter::Int(node, "transB", 1);
    return node->output(0);
  }
  if (auto* block = module->as<ResidualBlockImpl>()) {
    HIEDGE_ASSIGN_OR_RETURN(std::string body, EmitSequential(e, block->body, x));
    HIEDGE_ASSIGN_OR_RETURN(std::string skip, EmitSequential(e, block->shortcut, x));
    const std::string sum = e.Node("Add", {body, skip})->output(0);
    return e.Node("Relu", {sum})->output(0);
  }
  return Status::Unimplemented("export: no ONNX form for module " + module->name());
}

Result<std::string> EmitSequential(Emitter& e, const nn::Sequential& seq, std::string x) {
  for (const auto& item : *seq) {
    HIEDGE_ASSIGN_OR_RETURN(x, EmitModule(e, item.ptr(), x));
  }
  return x;
}

void AddValueInfo(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                  const std::string& name, std::vector<int64_t> dims) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param("N");
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

Result<std::string> ExportOnnx(StagedNet& net, const std::vector<int64_t>& input_shape,
                               int num_classes, const std::string& model_name) {
  torch::NoGradGuard no_grad;
  net->eval();
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("hiedge");
  model.set_producer_version("0.1.0");
  model.set_model_version(1);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(model_name);
  Emitter e(graph);
  AddValueInfo(graph->mutable_input(), "input", input_shape);
  std::string x = e.Node("Sub", {"input", e.Constant("mean", net->mean)})->output(0);
  x = e.Node("Div", {x, e.Constant("std", net->std)})->output(0);
  std::vector<std::string> stage_outputs, exit_outputs, exit_after;
  const int stages = static_cast<int>(net->stages.size());
  for (int k = 0; k < stages; ++k) {
    HIEDGE_ASSIGN_OR_RETURN(x, EmitSequential(e, net->stages[static_cast<size_t>(k)], x));
    x = e.Name(x, k + 1 < stages ? "stage" + std::to_string(k) : "logits");
    if (k + 1 < stages) stage_outputs.push_back(x);
    for (size_t h = 0; h < net->exit_heads.size(); ++h) {
      if (net->exit_after_stage[h] != k) continue;
      HIEDGE_ASSIGN_OR_RETURN(std::string head, EmitSequential(e, net->exit_heads[h], x));
      exit_outputs.push_back(e.Name(head, "exit" + std::to_string(h)));
      exit_after.push_back(std::to_string(k));
    }
  }
  AddValueInfo(graph->mutable_output(), "logits", {num_classes});
  for (const std::string& name : exit_outputs) {
    AddValueInfo(graph->mutable_output(), name, {num_classes});
  }
  auto meta = [&](const std::string& key, const std::string& value) {
    auto* prop = model.add_metadata_props();
    prop->set_key(key);
    prop->set_value(value);
  };
  meta(engine::kStageOutputsKey, Join(stage_outputs));
  meta(engine::kExitOutputsKey, Join(exit_outputs));
  meta(engine::kExitAfterStageKey, Join(exit_after));
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return Status::Internal("export: cannot serialise");
  return bytes;
}

Status ExportOnnxFile(StagedNet& net, const std::vector<int64_t>& input_shape, int num_classes,
                      const std::string& model_name, const std::string& path) {
  HIEDGE_ASSIGN_OR_RETURN(std::string bytes, ExportOnnx(net, input_shape, num_classes, model_name));
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Status::IoError("cannot write " + path);
  }
  return Status::Ok();
}

}  // namespace hiedge::models

namespace hiedge {

Result<ModelCard> ExportModel(const std::string& card_path, const std::string& onnx_path) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(card_path));
  std::string torch_weights = card.format == "hiedge" ? card.weights : "";
  if (auto it = card.alternates.find("hiedge"); it != card.alternates.end()) {
    torch_weights = it->second;
  }
  if (torch_weights.empty()) {
    return Status::FailedPrecondition(card_path +
                                      " has no weights in hiedge's format; only "
                                      "built-in architectures trained by hiedge export");
  }
  models::ArchitectureSpec spec{card.architecture, card.input_shape, card.num_classes,
                                card.normalize_mean, card.normalize_std};
  HIEDGE_ASSIGN_OR_RETURN(models::StagedNet net, models::BuildNetwork(spec));
  const std::string directory = CardDirectory(card_path);
  try {
    torch::load(net, directory + "/" + torch_weights);
  } catch (const std::exception& e) {
    return Status::DataLoss("cannot load " + directory + "/" + torch_weights + ": " +
                            std::string(e.what()).substr(0, 300));
  }
  HIEDGE_RETURN_IF_ERROR(
      models::ExportOnnxFile(net, card.input_shape, card.num_classes, card.name, onnx_path));
  std::error_code ec;
  const std::string relative = std::filesystem::relative(onnx_path, directory, ec).generic_string();
  if (ec || relative.empty()) return Status::IoError("cannot relate " + onnx_path + " to the card");
  card.alternates.erase("onnx");
  card.alternates["hiedge"] = torch_weights;
  card.format = "onnx";
  card.weights = relative;
  card.alternates.erase("onnx");
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  return card;
}

}  // namespace hiedge
