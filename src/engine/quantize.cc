#include "hiedge/engine/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "engine/onnx_graph.h"
#include "engine/xnn_program.h"
#include "onnx.pb.h"

namespace hiedge {
namespace {

using Range = std::pair<float, float>;

const onnx::TensorProto* FindInitializer(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::vector<float> FloatsOf(const onnx::TensorProto& t) {
  std::vector<float> v;
  if (t.has_raw_data()) {
    v.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(v.data(), t.raw_data().data(), v.size() * sizeof(float));
  } else {
    v.assign(t.float_data().begin(), t.float_data().end());
  }
  return v;
}

void SetFloats(onnx::TensorProto* t, const std::string& name, std::vector<int64_t> dims,
               const std::vector<float>& values) {
  t->Clear();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

void AddInt8(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims,
             const std::vector<int8_t>& values) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT8);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size()));
}

// Folds each BatchNormalization that alone reads a Conv's output into that Conv.
Status FoldBatchNorms(onnx::GraphProto* g) {
  std::map<std::string, int> readers;
  for (const auto& n : g->node()) {
    for (const auto& in : n.input()) ++readers[in];
  }
  std::set<std::string> outputs;
  for (const auto& o : g->output()) outputs.insert(o.name());
  std::vector<int> drop;
  for (int i = 0; i < g->node_size(); ++i) {
    onnx::NodeProto* bn = g->mutable_node(i);
    if (bn->op_type() != "BatchNormalization" || bn->input_size() < 5) continue;
    onnx::NodeProto* conv = nullptr;
    for (int j = 0; j < i; ++j) {
      if (g->node(j).op_type() == "Conv" && g->node(j).output(0) == bn->input(0)) {
        conv = g->mutable_node(j);
      }
    }
    if (conv == nullptr || readers[bn->input(0)] != 1 || outputs.count(bn->input(0))) continue;
    const onnx::TensorProto* w = FindInitializer(*g, conv->input(1));
    std::vector<const onnx::TensorProto*> p(4);
    for (int k = 0; k < 4; ++k) p[static_cast<size_t>(k)] = FindInitializer(*g, bn->input(k + 1));
    if (w == nullptr || std::count(p.begin(), p.end(), nullptr) > 0) continue;
    float epsilon = 1e-5f;
    for (const auto& a : bn->attribute()) {
      if (a.name() == "epsilon") epsilon = a.f();
    }
    std::vector<float> weight = FloatsOf(*w);
    const auto out_c = static_cast<size_t>(w->dims(0));
    std::vector<float> gamma = FloatsOf(*p[0]), beta = FloatsOf(*p[1]), mean = FloatsOf(*p[2]),
                       var = FloatsOf(*p[3]);
    std::vector<float> bias(out_c, 0.0f);
    if (conv->input_size() > 2 && !conv->input(2).empty()) {
      if (const onnx::TensorProto* b = FindInitializer(*g, conv->input(2))) bias = FloatsOf(*b);
    }
    const size_t per_output = weight.size() / out_c;
    for (size_t o = 0; o < out_c; ++o) {
      const float scale = gamma[o] / std::sqrt(var[o] + epsilon);
      for (size_t k = 0; k < per_output; ++k) weight[o * per_output + k] *= scale;
      bias[o] = (bias[o] - mean[o]) * scale + beta[o];
    }
    const std::string weight_name = conv->input(1) + "_folded";
    const std::string bias_name = conv->input(1) + "_folded_bias";
    SetFloats(g->add_initializer(), weight_name,
              std::vector<int64_t>(w->dims().begin(), w->dims().end()), weight);
    SetFloats(g->add_initializer(), bias_name, {static_cast<int64_t>(out_c)}, bias);
    conv->set_input(1, weight_name);
    if (conv->input_size() > 2) {
      conv->set_input(2, bias_name);
    } else {
      conv->add_input(bias_name);
    }
    conv->set_output(0, bn->output(0));
    drop.push_back(i);
  }
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) {
    g->mutable_node()->DeleteSubrange(*it, 1);
  }
  return Status::Ok();
}

// Drops initialisers no node reads any more (BN parameters, float weights replaced).
void DropUnusedInitializers(onnx::GraphProto* g) {
  std::set<std::string> used;
  for (const auto& n : g->node()) {
    for (const auto& in : n.input()) used.insert(in);
  }
  auto* inits = g->mutable_initializer();
  for (int k = inits->size() - 1; k >= 0; --k) {
    if (!used.count(inits->Get(k).name())) inits->DeleteSubrange(k, 1);
  }
}

// min/max of every value the fp32 program computes, over the calibration samples.
Result<std::map<std::string, Range>> ObserveRanges(const std::string& model_bytes,
                                                   const Dataset& data, size_t samples) {
  HIEDGE_ASSIGN_OR_RETURN(
      engine::OnnxGraph graph,
      engine::ParseOnnxModel(
          {reinterpret_cast<const uint8_t*>(model_bytes.data()), model_bytes.size()}));
  HIEDGE_ASSIGN_OR_RETURN(auto program, engine::XnnProgram::Compile(graph, nullptr));
  std::map<std::string, Range> ranges;
  program->SetObserver([&](int value, std::span<const float> values) {
    auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const std::string& name = program->value(value).name;
    auto it = ranges.find(name);
    if (it == ranges.end()) {
      ranges[name] = {*lo, *hi};
    } else {
      it->second.first = std::min(it->second.first, *lo);
      it->second.second = std::max(it->second.second, *hi);
    }
  });
  std::vector<int> targets = program->exit_outputs();
  targets.push_back(program->final_output());
  for (int v : program->stage_outputs()) targets.push_back(v);
  std::sort(targets.begin(), targets.end());
  targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
  const size_t n = std::min(samples, data.size());
  constexpr size_t kBatch = 250;
  for (size_t start = 0; start < n; start += kBatch) {
    const size_t rows = std::min(kBatch, n - start);
    TensorView batch{{data.image(start), rows * data.image_elements()},
                     {static_cast<int64_t>(rows), data.channels, data.height, data.width}};
    HIEDGE_RETURN_IF_ERROR(program->Run(program->input_value(), batch, targets).status());
  }
  return ranges;
}

struct QParams {
  float scale = 1;
  int8_t zero_point = 0;
};

QParams Asymmetric(Range r) {
  const float lo = std::min(r.first, 0.0f), hi = std::max(r.second, 0.0f);
  QParams q;
  q.scale = std::max((hi - lo) / 255.0f, 1e-8f);
  q.zero_point =
      static_cast<int8_t>(std::clamp<long>(std::lround(-128.0f - lo / q.scale), -128, 127));
  return q;
}

}  // namespace

Result<ModelCard> QuantizeModel(const std::string& card_path, const Dataset& calibration,
                                const std::string& onnx_path, const QuantizeOptions& options) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(card_path));
  if (card.format != "onnx") {
    return Status::FailedPrecondition(card_path + " is not an ONNX model (run hiedge export)");
  }
  if (calibration.size() == 0) return Status::InvalidArgument("no calibration samples");
  const std::string source = CardDirectory(card_path) + "/" + card.weights;
  std::ifstream in(source, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + source);
  std::stringstream buffer;
  buffer << in.rdbuf();
  {
    // The model must compile as it is before it is rewritten: that checks every node
    // the rewrite below reads (arity, constants, shapes).
    const std::string text = buffer.str();
    HIEDGE_ASSIGN_OR_RETURN(
        engine::OnnxGraph graph,
        engine::ParseOnnxModel({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
    HIEDGE_RETURN_IF_ERROR(engine::XnnProgram::Compile(graph, nullptr).status());
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(buffer.str())) return Status::DataLoss(source + " is not ONNX");
  onnx::GraphProto* g = model.mutable_graph();
  HIEDGE_RETURN_IF_ERROR(FoldBatchNorms(g));
  DropUnusedInitializers(g);
  std::string folded;
  model.SerializeToString(&folded);
  HIEDGE_ASSIGN_OR_RETURN(auto ranges,
                          ObserveRanges(folded, calibration, options.calibration_samples));

  // Which values get a QuantizeLinear/DequantizeLinear pair, with which parameters.
  std::map<std::string, const onnx::NodeProto*> producer;
  std::map<std::string, std::vector<const onnx::NodeProto*>> readers;
  for (const auto& n : g->node()) {
    for (const auto& o : n.output()) producer[o] = &n;
    for (const auto& i : n.input()) readers[i].push_back(&n);
  }
  auto is_initializer = [&](const std::string& name) {
    return FindInitializer(*g, name) != nullptr;
  };
  // Through Flatten/Reshape/Identity to the value that carries data.
  auto carrier = [&](std::string name) {
    while (producer.count(name) &&
           (producer[name]->op_type() == "Flatten" || producer[name]->op_type() == "Reshape" ||
            producer[name]->op_type() == "Identity")) {
      name = producer[name]->input(0);
    }
    return name;
  };
  const std::set<std::string> kQuantized = {"Conv", "Gemm", "MaxPool", "GlobalAveragePool", "Add"};
  std::map<std::string, QParams> qdq;
  std::vector<std::pair<std::string, std::string>> same_as;  // MaxPool out, in
  for (const auto& n : g->node()) {
    if (!kQuantized.count(n.op_type())) continue;
    const int activations = n.op_type() == "Add" ? 2 : 1;
    for (int k = 0; k < activations && k < n.input_size(); ++k) {
      if (is_initializer(n.input(k))) continue;
      const std::string v = carrier(n.input(k));
      if (!ranges.count(v)) return Status::Internal("no range observed for '" + v + "'");
      qdq[v] = Asymmetric(ranges[v]);
    }
    std::string out = n.output(0);
    if (readers[out].size() == 1 &&
        (readers[out][0]->op_type() == "Relu" || readers[out][0]->op_type() == "Clip")) {
      out = readers[out][0]->output(0);
    }
    if (n.op_type() == "MaxPool") {
      same_as.push_back({out, carrier(n.input(0))});
    } else {
      if (!ranges.count(out)) return Status::Internal("no range observed for '" + out + "'");
      qdq[out] = Asymmetric(ranges[out]);
    }
  }
  for (const auto& [out, in] : same_as) qdq[out] = qdq.at(in);

  // Weights: int8 per output channel, behind DequantizeLinear nodes placed first.
  std::vector<onnx::NodeProto> weight_nodes;
  int64_t quantized_bytes = 0;
  for (int i = 0; i < g->node_size(); ++i) {
    onnx::NodeProto* n = g->mutable_node(i);
    if (n->op_type() != "Conv" && n->op_type() != "Gemm") continue;
    const onnx::TensorProto* w = FindInitializer(*g, n->input(1));
    if (w == nullptr) continue;
    bool trans_b = n->op_type() == "Conv";
    for (const auto& a : n->attribute()) {
      if (a.name() == "transB") trans_b = a.i() != 0;
    }
    const std::vector<int64_t> dims(w->dims().begin(), w->dims().end());
    const std::vector<float> weight = FloatsOf(*w);
    const int64_t axis = trans_b ? 0 : 1;  // The output-channel axis.
    const auto channels = static_cast<size_t>(dims[static_cast<size_t>(axis)]);
    const size_t inner = axis == 0 ? weight.size() / channels : 1;
    std::vector<float> scales(channels, 0.0f);
    for (size_t k = 0; k < weight.size(); ++k) {
      const size_t c = axis == 0 ? k / inner : k % channels;
      scales[c] = std::max(scales[c], std::fabs(weight[k]) / 127.0f);
    }
    for (float& s : scales) s = std::max(s, 1e-12f);
    std::vector<int8_t> q(weight.size());
    for (size_t k = 0; k < weight.size(); ++k) {
      const size_t c = axis == 0 ? k / inner : k % channels;
      q[k] = static_cast<int8_t>(std::clamp<long>(std::lround(weight[k] / scales[c]), -127, 127));
    }
    const std::string base = n->input(1);
    AddInt8(g, base + "_int8", dims, q);
    SetFloats(g->add_initializer(), base + "_scale", {static_cast<int64_t>(channels)}, scales);
    AddInt8(g, base + "_zero_point", {static_cast<int64_t>(channels)},
            std::vector<int8_t>(channels, 0));
    onnx::NodeProto dq;
    dq.set_op_type("DequantizeLinear");
    dq.set_name(base + "_dequantize");
    dq.add_input(base + "_int8");
    dq.add_input(base + "_scale");
    dq.add_input(base + "_zero_point");
    dq.add_output(base + "_dequantized");
    auto* attr = dq.add_attribute();
    attr->set_name("axis");
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(axis);
    weight_nodes.push_back(dq);
    n->set_input(1, base + "_dequantized");
    quantized_bytes += static_cast<int64_t>(q.size() + 4 * channels);
    if (n->input_size() > 2 && !n->input(2).empty()) {
      if (const onnx::TensorProto* b = FindInitializer(*g, n->input(2))) {
        quantized_bytes += 4 * static_cast<int64_t>(FloatsOf(*b).size());
      }
    }
  }

  // Activations: the producer's output is renamed <v>_f32, then Q -> <v>_q -> DQ -> <v>,
  // so every reader, graph output and metadata name keeps its value (now fake-quantised).
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (const auto& w : weight_nodes) *nodes.Add() = w;
  auto add_pair = [&](const std::string& v, const std::string& from) {
    const QParams p = qdq.at(v);
    SetFloats(g->add_initializer(), v + "_act_scale", {}, {p.scale});
    AddInt8(g, v + "_act_zero_point", {}, {p.zero_point});
    onnx::NodeProto* q = nodes.Add();
    q->set_op_type("QuantizeLinear");
    q->set_name(v + "_quantize");
    q->add_input(from);
    q->add_input(v + "_act_scale");
    q->add_input(v + "_act_zero_point");
    q->add_output(v + "_q");
    onnx::NodeProto* dq = nodes.Add();
    dq->set_op_type("DequantizeLinear");
    dq->set_name(v + "_dequantize");
    dq->add_input(v + "_q");
    dq->add_input(v + "_act_scale");
    dq->add_input(v + "_act_zero_point");
    dq->add_output(v);
  };
  std::set<std::string> graph_inputs;
  for (const auto& i : g->input()) graph_inputs.insert(i.name());
  for (const auto& [v, p] : qdq) {
    if (graph_inputs.count(v)) {
      return Status::Unimplemented("quantising the graph input itself ('" + v + "')");
    }
  }
  for (const auto& original : g->node()) {
    onnx::NodeProto* n = nodes.Add();
    *n = original;
    std::vector<std::string> renamed;
    for (int k = 0; k < n->output_size(); ++k) {
      if (qdq.count(n->output(k))) {
        renamed.push_back(n->output(k));
        n->set_output(k, n->output(k) + "_f32");
      }
    }
    for (const std::string& v : renamed) add_pair(v, v + "_f32");
  }
  g->mutable_node()->Swap(&nodes);
  DropUnusedInitializers(g);
  auto* meta = model.add_metadata_props();
  meta->set_key("hiedge.quantization");
  meta->set_value(
      "int8: weights symmetric per output channel, activations per tensor from "
      "min/max over " +
      std::to_string(std::min(options.calibration_samples, calibration.size())) +
      " calibration samples; biases float");
  std::string bytes;
  if (!model.SerializeToString(&bytes)) return Status::Internal("cannot serialise");
  std::ofstream out(onnx_path, std::ios::binary | std::ios::trunc);
  if (!out || !out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
    return Status::IoError("cannot write " + onnx_path);
  }
  out.close();
  ModelCard q = card;
  q.name = options.name.empty() ? card.name + "_int8" : options.name;
  q.format = "onnx";
  q.alternates.clear();
  q.weights = std::filesystem::path(onnx_path).filename().string();  // Card goes beside it.
  q.precision = "int8";
  q.size_bytes = quantized_bytes;
  q.validation_accuracy = q.test_accuracy = 0;
  return q;
}

}  // namespace hiedge
