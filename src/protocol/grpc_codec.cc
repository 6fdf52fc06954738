#include "grpc_codec.h"

#include "tensor_codec.h"

namespace hiedge::protocol {
namespace {

using internal::AppendRawContents;
using internal::DecodeRawContents;
using internal::ElementCount;

// An integer parameter value, or InvalidArgument for another type.
Result<int64_t> IntParameter(const inference::InferParameter& p, const std::string& name) {
  switch (p.parameter_choice_case()) {
    case inference::InferParameter::kInt64Param:
      return p.int64_param();
    case inference::InferParameter::kUint64Param:
      if (p.uint64_param() > static_cast<uint64_t>(INT64_MAX)) break;
      return static_cast<int64_t>(p.uint64_param());
    default:
      break;
  }
  return Status::InvalidArgument("parameter '" + name + "' must be an int64");
}

template <typename Repeated>
void AppendAsFloat(const Repeated& values, std::vector<float>* out) {
  out->reserve(out->size() + static_cast<size_t>(values.size()));
  for (const auto& v : values) out->push_back(static_cast<float>(v));
}

// Reads typed contents into t and returns how many elements they hold.
int64_t DecodeTypedContents(const inference::InferTensorContents& c, Tensor* t) {
  const std::string& d = t->datatype;
  if (d == "FP32")
    AppendAsFloat(c.fp32_contents(), &t->data);
  else if (d == "FP64")
    AppendAsFloat(c.fp64_contents(), &t->data);
  else if (d == "INT8" || d == "INT16" || d == "INT32")
    AppendAsFloat(c.int_contents(), &t->data);
  else if (d == "INT64")
    AppendAsFloat(c.int64_contents(), &t->data);
  else if (d == "UINT8" || d == "UINT16" || d == "UINT32")
    AppendAsFloat(c.uint_contents(), &t->data);
  else if (d == "UINT64")
    AppendAsFloat(c.uint64_contents(), &t->data);
  else if (d == "BOOL")
    AppendAsFloat(c.bool_contents(), &t->data);
  else if (d == "BYTES")
    t->strings.assign(c.bytes_contents().begin(), c.bytes_contents().end());
  return static_cast<int64_t>(t->data.size() + t->strings.size());
}

template <typename ProtoTensor>
Result<Tensor> TensorHeader(const ProtoTensor& p) {
  Tensor t;
  t.name = p.name();
  t.datatype = p.datatype();
  if (!IsKnownDatatype(t.datatype)) {
    return Status::InvalidArgument("tensor " + Quoted(t.name) + ": unknown datatype '" +
                                   t.datatype + "'");
  }
  t.shape.assign(p.shape().begin(), p.shape().end());
  return t;
}

// Decodes tensors whose data is either raw (one bytes entry per tensor) or typed.
template <typename ProtoTensors>
Result<std::vector<Tensor>> DecodeTensors(
    const ProtoTensors& tensors, const google::protobuf::RepeatedPtrField<std::string>& raw,
    const char* raw_field) {
  if (!raw.empty() && raw.size() != tensors.size()) {
    return Status::InvalidArgument(std::string(raw_field) + " has " + std::to_string(raw.size()) +
                                   " entries for " + std::to_string(tensors.size()) + " tensors");
  }
  std::vector<Tensor> out;
  for (int i = 0; i < tensors.size(); ++i) {
    const auto& p = tensors[i];
    HIEDGE_ASSIGN_OR_RETURN(Tensor t, TensorHeader(p));
    HIEDGE_ASSIGN_OR_RETURN(const int64_t elements, ElementCount(t.shape, t.name));
    if (!raw.empty()) {
      if (p.has_contents()) {
        return Status::InvalidArgument("tensor " + Quoted(t.name) + " has both contents and " +
                                       raw_field);
      }
      HIEDGE_RETURN_IF_ERROR(DecodeRawContents(raw[i], elements, &t));
    } else {
      const int64_t count = DecodeTypedContents(p.contents(), &t);
      if (count != elements) {
        return Status::InvalidArgument(
            "tensor '" + t.name + "' has " + std::to_string(count) + " " + t.datatype +
            " values but shape " + ShapeToString(t.shape) + " needs " + std::to_string(elements));
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<InferRequest> ParseGrpcInferRequest(const inference::ModelInferRequest& m) {
  InferRequest r;
  r.id = m.id();
  for (const auto& [name, value] : m.parameters()) {
    if (name == "timeout") {
      HIEDGE_ASSIGN_OR_RETURN(r.timeout_us, IntParameter(value, name));
      if (r.timeout_us < 0) return Status::InvalidArgument("parameter 'timeout' must be >= 0");
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(r.inputs,
                          DecodeTensors(m.inputs(), m.raw_input_contents(), "raw_input_contents"));
  for (const auto& o : m.outputs()) {
    RequestedOutput out;
    out.name = o.name();
    const auto it = o.parameters().find("classification");
    if (it != o.parameters().end()) {
      HIEDGE_ASSIGN_OR_RETURN(const int64_t k, IntParameter(it->second, "classification"));
      if (k < 0 || k > 1'000'000)
        return Status::InvalidArgument("parameter 'classification' out of range");
      out.classification = static_cast<int>(k);
    }
    r.outputs.push_back(std::move(out));
  }
  return r;
}

void EncodeGrpcInferResponse(const InferResponse& response, inference::ModelInferResponse* out) {
  out->set_model_name(response.model_name);
  out->set_model_version(response.model_version);
  out->set_id(response.id);
  for (const auto& [name, value] : response.parameters) {
    (*out->mutable_parameters())[name].set_int64_param(value);
  }
  for (const auto& [name, value] : response.string_parameters) {
    (*out->mutable_parameters())[name].set_string_param(value);
  }
  for (const Tensor& t : response.outputs) {
    auto* o = out->add_outputs();
    o->set_name(t.name);
    o->set_datatype(internal::WireDatatype(t));
    for (const int64_t d : t.shape) o->add_shape(d);
    AppendRawContents(t, out->add_raw_output_contents());
  }
}

void EncodeGrpcInferRequest(const std::string& model, const InferRequest& request,
                            inference::ModelInferRequest* out) {
  out->set_model_name(model);
  out->set_id(request.id);
  if (request.timeout_us > 0)
    (*out->mutable_parameters())["timeout"].set_int64_param(request.timeout_us);
  for (const Tensor& t : request.inputs) {
    auto* i = out->add_inputs();
    i->set_name(t.name);
    i->set_datatype(internal::WireDatatype(t));
    for (const int64_t d : t.shape) i->add_shape(d);
    AppendRawContents(t, out->add_raw_input_contents());
  }
  for (const RequestedOutput& o : request.outputs) {
    auto* r = out->add_outputs();
    r->set_name(o.name);
    if (o.classification > 0)
      (*r->mutable_parameters())["classification"].set_int64_param(o.classification);
  }
}

Result<InferResponse> ParseGrpcInferResponse(const inference::ModelInferResponse& m) {
  InferResponse r;
  r.model_name = m.model_name();
  r.model_version = m.model_version();
  r.id = m.id();
  HIEDGE_ASSIGN_OR_RETURN(
      r.outputs, DecodeTensors(m.outputs(), m.raw_output_contents(), "raw_output_contents"));
  for (const auto& [name, value] : m.parameters()) {
    if (value.parameter_choice_case() == inference::InferParameter::kInt64Param) {
      r.parameters[name] = value.int64_param();
    } else if (value.parameter_choice_case() == inference::InferParameter::kStringParam) {
      r.string_parameters[name] = value.string_param();
    }
  }
  return r;
}

void EncodeGrpcModelMetadata(const ModelMetadata& metadata, inference::ModelMetadataResponse* out) {
  out->set_name(metadata.name);
  for (const std::string& v : metadata.versions) out->add_versions(v);
  out->set_platform(metadata.platform);
  auto add = [](const TensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* p) {
    p->set_name(t.name);
    p->set_datatype(t.datatype);
    for (const int64_t d : t.shape) p->add_shape(d);
  };
  for (const TensorMetadata& t : metadata.inputs) add(t, out->add_inputs());
  for (const TensorMetadata& t : metadata.outputs) add(t, out->add_outputs());
}

}  // namespace hiedge::protocol
