// Inference request/response encoding of the Open Inference Protocol (REST).
#include <algorithm>
#include <cctype>
#include <charconv>

#include "hiedge/protocol/protocol.h"
#include "tensor_codec.h"

namespace hiedge::protocol {

using internal::EncodeTensor;
using internal::ParseJsonObject;
using internal::ParseTensors;
using internal::SplitBody;
using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Finalises an encoded body: JSON, then the binary tail if any.
EncodedBody Assemble(const json& j, std::string binary) {
  EncodedBody out;
  out.body = Dump(j);
  if (!binary.empty()) {
    out.header_length = out.body.size();
    out.body += binary;
  }
  return out;
}

Result<std::string> OptionalString(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) return std::string();
  if (!it->is_string())
    return Status::InvalidArgument(std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

Status ParseRequestParameters(const json& j, InferRequest* r) {
  const auto it = j.find("parameters");
  if (it == j.end()) return Status::Ok();
  if (!it->is_object()) return Status::InvalidArgument("'parameters' must be an object");
  if (it->contains("binary_data_output")) {
    if (!(*it)["binary_data_output"].is_boolean()) {
      return Status::InvalidArgument("'binary_data_output' must be a boolean");
    }
    r->binary_data_output = (*it)["binary_data_output"].get<bool>();
  }
  if (it->contains("timeout")) {
    if (!(*it)["timeout"].is_number_integer() || (*it)["timeout"].get<int64_t>() < 0) {
      return Status::InvalidArgument("'timeout' must be an integer >= 0 (microseconds)");
    }
    r->timeout_us = (*it)["timeout"].get<int64_t>();
  }
  return Status::Ok();
}

Result<RequestedOutput> ParseRequestedOutput(const json& j, bool binary_default) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) {
    return Status::InvalidArgument("each requested output needs a string 'name'");
  }
  RequestedOutput o;
  o.name = j["name"].get<std::string>();
  o.binary_data = binary_default;
  if (j.contains("parameters")) {
    const json& p = j["parameters"];
    if (!p.is_object()) return Status::InvalidArgument("output 'parameters' must be an object");
    if (p.contains("binary_data")) {
      if (!p["binary_data"].is_boolean())
        return Status::InvalidArgument("'binary_data' must be a boolean");
      o.binary_data = p["binary_data"].get<bool>();
    }
    if (p.contains("classification")) {
      if (!p["classification"].is_number_integer() || p["classification"].get<int64_t>() < 1 ||
          p["classification"].get<int64_t>() > 1000000) {
        return Status::InvalidArgument("'classification' must be an integer >= 1");
      }
      o.classification = p["classification"].get<int>();
    }
  }
  return o;
}

}  // namespace

Result<InferRequest> ParseInferRequest(std::string_view body, std::optional<size_t> header_length) {
  HIEDGE_ASSIGN_OR_RETURN(auto parts, SplitBody(body, header_length));
  HIEDGE_ASSIGN_OR_RETURN(json j, ParseJsonObject(parts.first));
  InferRequest r;
  HIEDGE_ASSIGN_OR_RETURN(r.id, OptionalString(j, "id"));
  HIEDGE_RETURN_IF_ERROR(ParseRequestParameters(j, &r));
  if (!j.contains("inputs")) return Status::InvalidArgument("request has no 'inputs'");
  HIEDGE_ASSIGN_OR_RETURN(r.inputs, ParseTensors(j["inputs"], parts.second, "inputs"));
  if (r.inputs.empty()) return Status::InvalidArgument("'inputs' is empty");
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array()) return Status::InvalidArgument("'outputs' must be an array");
    for (const json& o : j["outputs"]) {
      HIEDGE_ASSIGN_OR_RETURN(RequestedOutput out, ParseRequestedOutput(o, r.binary_data_output));
      r.outputs.push_back(std::move(out));
    }
  }
  return r;
}

EncodedBody EncodeInferRequest(const InferRequest& request, bool binary) {
  json j = json::object();
  if (!request.id.empty()) j["id"] = request.id;
  json params = json::object();
  if (request.binary_data_output) params["binary_data_output"] = true;
  if (request.timeout_us > 0) params["timeout"] = request.timeout_us;
  if (!params.empty()) j["parameters"] = params;
  std::string tail;
  j["inputs"] = json::array();
  for (const Tensor& t : request.inputs) j["inputs"].push_back(EncodeTensor(t, binary, &tail));
  if (!request.outputs.empty()) {
    j["outputs"] = json::array();
    for (const RequestedOutput& o : request.outputs) {
      json p = {{"binary_data", o.binary_data}};
      if (o.classification > 0) p["classification"] = o.classification;
      j["outputs"].push_back({{"name", o.name}, {"parameters", p}});
    }
  }
  return Assemble(j, std::move(tail));
}

Result<InferResponse> ParseInferResponse(std::string_view body,
                                         std::optional<size_t> header_length) {
  HIEDGE_ASSIGN_OR_RETURN(auto parts, SplitBody(body, header_length));
  HIEDGE_ASSIGN_OR_RETURN(json j, ParseJsonObject(parts.first));
  if (j.contains("error")) {
    const std::string message =
        j["error"].is_string() ? j["error"].get<std::string>() : Dump(j["error"]);
    return Status::Unavailable("server error: " + message);
  }
  InferResponse r;
  HIEDGE_ASSIGN_OR_RETURN(r.model_name, OptionalString(j, "model_name"));
  HIEDGE_ASSIGN_OR_RETURN(r.model_version, OptionalString(j, "model_version"));
  HIEDGE_ASSIGN_OR_RETURN(r.id, OptionalString(j, "id"));
  if (!j.contains("outputs")) return Status::InvalidArgument("response has no 'outputs'");
  HIEDGE_ASSIGN_OR_RETURN(r.outputs, ParseTensors(j["outputs"], parts.second, "outputs"));
  if (const auto p = j.find("parameters"); p != j.end()) {
    if (!p->is_object()) return Status::InvalidArgument("response 'parameters' must be an object");
    for (const auto& [name, value] : p->items()) {
      const bool fits =
          value.is_number_integer() &&
          !(value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX));
      if (fits) {
        r.parameters[name] = value.get<int64_t>();
      } else if (value.is_string()) {
        r.string_parameters[name] = value.get<std::string>();
      } else {
        // Kept as text, bounded, so a reader can tell a malformed value from none.
        r.string_parameters[name] = Dump(value).substr(0, 64);
      }
    }
  }
  return r;
}

EncodedBody EncodeInferResponse(const InferResponse& response,
                                const std::vector<std::string>& binary_outputs) {
  json j = {{"model_name", response.model_name}, {"outputs", json::array()}};
  if (!response.model_version.empty()) j["model_version"] = response.model_version;
  if (!response.id.empty()) j["id"] = response.id;
  for (const auto& [name, value] : response.parameters) j["parameters"][name] = value;
  for (const auto& [name, value] : response.string_parameters) j["parameters"][name] = value;
  std::string tail;
  for (const Tensor& t : response.outputs) {
    const bool binary =
        std::find(binary_outputs.begin(), binary_outputs.end(), t.name) != binary_outputs.end();
    j["outputs"].push_back(EncodeTensor(t, binary, &tail));
  }
  return Assemble(j, std::move(tail));
}

Result<std::optional<size_t>> ParseHeaderLength(std::optional<std::string_view> value) {
  if (!value) return std::optional<size_t>();
  size_t length = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), length);
  if (ec != std::errc() || end != value->data() + value->size()) {
    return Status::InvalidArgument(std::string(kHeaderLengthHeader) +
                                   " is not a non-negative integer: '" +
                                   std::string(value->substr(0, 40)) + "'");
  }
  return std::optional<size_t>(length);
}

Status CheckClientId(std::string_view id) {
  const bool valid = !id.empty() && id.size() <= 64 &&
                     std::all_of(id.begin(), id.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                              c == '_' || c == ':' || c == '-';
                     });
  if (valid) return Status::Ok();
  return Status::InvalidArgument(std::string(kClientIdHeader) + " " + Quoted(id, 64) +
                                 " is not 1-64 characters of [A-Za-z0-9._:-]");
}

std::string ErrorJson(std::string_view message) {
  return Dump(json{{"error", std::string(message)}});
}

}  // namespace hiedge::protocol
