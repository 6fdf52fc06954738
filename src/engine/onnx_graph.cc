#include "engine/onnx_graph.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "onnx.pb.h"

namespace hiedge::engine {
namespace {

// Elements of a tensor of these (non-negative) dims, or -1 beyond what any file within
// kMaxOnnxFileBytes can hold (no overflow on hostile dims).
int64_t Product(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d != 0 && n > static_cast<int64_t>(kMaxOnnxFileBytes) / d) return -1;
    n *= d;
  }
  return n;
}

// Values of a TensorProto as T, from raw_data (little-endian) or the typed field.
template <typename T, typename Field>
Result<std::vector<T>> TensorValues(const onnx::TensorProto& t, const Field& typed) {
  const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  for (int64_t d : dims) {
    if (d < 0) return Status::DataLoss("initializer '" + t.name() + "' has a negative dimension");
  }
  const int64_t count = Product(dims);
  if (count < 0) return Status::DataLoss("initializer '" + t.name() + "' is too large");
  std::vector<T> values;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != static_cast<size_t>(count) * sizeof(T)) {
      return Status::DataLoss("initializer '" + t.name() + "' holds " +
                              std::to_string(t.raw_data().size()) + " bytes for shape " +
                              ShapeToString(dims));
    }
    values.resize(static_cast<size_t>(count));
    std::memcpy(values.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    if (typed.size() != count) {
      return Status::DataLoss("initializer '" + t.name() + "' holds " +
                              std::to_string(typed.size()) + " values for shape " +
                              ShapeToString(dims));
    }
    values.assign(typed.begin(), typed.end());
  }
  return values;
}

Status AddConstant(const onnx::TensorProto& t, OnnxGraph& graph) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    return Status::DataLoss("initializer '" + t.name() +
                            "' uses external data; save the model as one file");
  }
  const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
  if (t.data_type() == onnx::TensorProto::FLOAT) {
    HIEDGE_ASSIGN_OR_RETURN(std::vector<float> values, TensorValues<float>(t, t.float_data()));
    graph.float_constants[t.name()] = FloatTensor{dims, std::move(values)};
    return Status::Ok();
  }
  if (t.data_type() == onnx::TensorProto::INT64) {
    HIEDGE_ASSIGN_OR_RETURN(std::vector<int64_t> values, TensorValues<int64_t>(t, t.int64_data()));
    graph.int_constants[t.name()] = std::move(values);
    return Status::Ok();
  }
  if (t.data_type() == onnx::TensorProto::INT8 || t.data_type() == onnx::TensorProto::UINT8 ||
      t.data_type() == onnx::TensorProto::INT32) {
    OnnxIntTensor q;
    q.data_type = t.data_type();
    q.shape = dims;
    if (t.data_type() == onnx::TensorProto::INT32) {
      HIEDGE_ASSIGN_OR_RETURN(q.values, TensorValues<int32_t>(t, t.int32_data()));
    } else if (t.has_raw_data()) {
      const int64_t count = Product(dims);
      if (count < 0 || t.raw_data().size() != static_cast<size_t>(count)) {
        return Status::DataLoss("initializer '" + t.name() + "' holds " +
                                std::to_string(t.raw_data().size()) + " bytes for shape " +
                                ShapeToString(dims));
      }
      for (const char c : t.raw_data()) {
        q.values.push_back(t.data_type() == onnx::TensorProto::INT8
                               ? static_cast<int32_t>(static_cast<int8_t>(c))
                               : static_cast<int32_t>(static_cast<uint8_t>(c)));
      }
    } else {
      // int8/uint8 values in int32_data, as ONNX stores small integer types.
      HIEDGE_ASSIGN_OR_RETURN(q.values, TensorValues<int32_t>(t, t.int32_data()));
    }
    graph.quantized_constants[t.name()] = std::move(q);
    return Status::Ok();
  }
  return Status::DataLoss("initializer '" + t.name() + "' has ONNX data type " +
                          std::to_string(t.data_type()) +
                          "; only FLOAT, INT64, INT32, INT8 and UINT8 are read");
}

OnnxValue ValueOf(const onnx::ValueInfoProto& v) {
  OnnxValue value{v.name(), {}};
  if (v.type().has_tensor_type() && v.type().tensor_type().has_shape()) {
    for (const auto& d : v.type().tensor_type().shape().dim()) {
      value.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
  }
  return value;
}

Result<OnnxNode> NodeOf(const onnx::NodeProto& n, OnnxGraph& graph) {
  OnnxNode node;
  node.op_type = n.op_type();
  node.name = n.name();
  node.inputs.assign(n.input().begin(), n.input().end());
  node.outputs.assign(n.output().begin(), n.output().end());
  if (!n.domain().empty() && n.domain() != "ai.onnx") {
    return Status::Unimplemented("node " + node.Describe() + " is in domain '" + n.domain() +
                                 "'; only the default ONNX domain is supported");
  }
  for (const auto& a : n.attribute()) {
    OnnxAttribute attr;
    attr.i = a.i();
    attr.f = a.f();
    attr.s = a.s();
    attr.ints.assign(a.ints().begin(), a.ints().end());
    attr.floats.assign(a.floats().begin(), a.floats().end());
    if (a.has_g() || a.graphs_size() > 0) {
      return Status::Unimplemented("node " + node.Describe() + " has a subgraph");
    }
    if (a.has_t() && node.op_type == "Constant") {
      onnx::TensorProto t = a.t();
      if (node.outputs.size() != 1) return Status::DataLoss("Constant needs one output");
      t.set_name(node.outputs[0]);
      HIEDGE_RETURN_IF_ERROR(AddConstant(t, graph));
    }
    node.attributes[a.name()] = std::move(attr);
  }
  return node;
}

}  // namespace

int64_t OnnxNode::Int(const std::string& key, int64_t fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.i;
}
float OnnxNode::Float(const std::string& key, float fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.f;
}
std::vector<int64_t> OnnxNode::Ints(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.ints;
}
std::string OnnxNode::String(const std::string& key, const std::string& fallback) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? fallback : it->second.s;
}
std::string OnnxNode::Describe() const { return op_type + (name.empty() ? "" : " '" + name + "'"); }

Result<OnnxGraph> ParseOnnxModel(std::span<const uint8_t> bytes) {
  if (bytes.size() > kMaxOnnxFileBytes) {
    return Status::DataLoss("ONNX model of " + std::to_string(bytes.size()) +
                            " bytes exceeds the " + std::to_string(kMaxOnnxFileBytes) +
                            "-byte bound");
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status::DataLoss("not an ONNX model (the protobuf does not parse)");
  }
  if (!model.has_graph()) return Status::DataLoss("ONNX model has no graph");
  const onnx::GraphProto& g = model.graph();
  if (static_cast<size_t>(g.node_size()) > kMaxOnnxNodes) {
    return Status::DataLoss("ONNX graph has " + std::to_string(g.node_size()) +
                            " nodes; the bound is " + std::to_string(kMaxOnnxNodes));
  }
  OnnxGraph graph;
  for (const auto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") graph.opset = opset.version();
  }
  for (const auto& prop : model.metadata_props()) graph.metadata[prop.key()] = prop.value();
  for (const auto& t : g.initializer()) HIEDGE_RETURN_IF_ERROR(AddConstant(t, graph));
  for (const auto& v : g.input()) {
    if (graph.float_constants.count(v.name()) || graph.int_constants.count(v.name()) ||
        graph.quantized_constants.count(v.name())) {
      continue;
    }
    graph.inputs.push_back(ValueOf(v));
  }
  for (const auto& v : g.output()) graph.outputs.push_back(ValueOf(v));
  for (const auto& n : g.node()) {
    HIEDGE_ASSIGN_OR_RETURN(OnnxNode node, NodeOf(n, graph));
    if (node.op_type != "Constant") graph.nodes.push_back(std::move(node));
  }
  return graph;
}

Result<OnnxGraph> ReadOnnxModel(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open ONNX model " + path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<size_t>(in.tellg());
  if (size > kMaxOnnxFileBytes) {
    return Status::DataLoss(path + " is larger than the " + std::to_string(kMaxOnnxFileBytes) +
                            "-byte bound on ONNX models");
  }
  in.seekg(0);
  std::vector<uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::IoError("cannot read " + path);
  }
  auto graph = ParseOnnxModel(bytes);
  if (!graph.ok()) return Status(graph.status().code(), path + ": " + graph.status().message());
  return graph;
}

}  // namespace hiedge::engine
