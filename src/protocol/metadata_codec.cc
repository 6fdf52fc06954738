#include <nlohmann/json.hpp>

#include "hiedge/protocol/protocol.h"
#include "tensor_codec.h"

namespace hiedge::protocol {

using nlohmann::json;

namespace {

json EncodeTensorMetadata(const std::vector<TensorMetadata>& tensors) {
  json out = json::array();
  for (const TensorMetadata& t : tensors) {
    out.push_back({{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}});
  }
  return out;
}

Result<std::vector<TensorMetadata>> ParseTensorMetadata(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_array()) {
    return Status::InvalidArgument(std::string("model metadata has no '") + key + "' array");
  }
  std::vector<TensorMetadata> out;
  for (const json& t : j[key]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
        !t.contains("datatype") || !t["datatype"].is_string() || !t.contains("shape") ||
        !t["shape"].is_array()) {
      return Status::InvalidArgument(std::string("model metadata '") + key +
                                     "' entries need a string name and datatype and a shape array");
    }
    TensorMetadata m{t["name"].get<std::string>(), t["datatype"].get<std::string>(), {}};
    for (const json& d : t["shape"]) {
      // Integers only: a float such as 1e300 would not convert to int64 safely.
      if (!d.is_number_integer()) {
        return Status::InvalidArgument("model metadata tensor '" + m.name +
                                       "': shape must hold integers");
      }
      m.shape.push_back(d.get<int64_t>());
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

std::string EncodeModelMetadata(const ModelMetadata& m) {
  return json{{"name", m.name},
              {"versions", m.versions},
              {"platform", m.platform},
              {"inputs", EncodeTensorMetadata(m.inputs)},
              {"outputs", EncodeTensorMetadata(m.outputs)}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

ModelStatisticsReport MakeStatisticsReport(const std::string& model, const std::string& version,
                                           const StatisticsFigures& f) {
  ModelStatisticsReport r;
  r.name = model;
  r.version = version;
  r.inference_count = f.inference_count;
  r.execution_count = f.execution_count;
  r.success = {f.request_success, f.request_duration_us * 1000};
  r.fail = {f.request_failure, f.failure_duration_us * 1000};
  r.queue = {f.request_success, f.queue_duration_us * 1000};
  r.compute_infer = {f.request_success, f.compute_duration_us * 1000};
  return r;
}

std::string EncodeModelStatistics(const ModelStatisticsReport& r) {
  auto duration = [](const DurationStatistic& d) { return json{{"count", d.count}, {"ns", d.ns}}; };
  json stats = {{"name", r.name},
                {"version", r.version},
                {"inference_count", r.inference_count},
                {"execution_count", r.execution_count},
                {"inference_stats",
                 {{"success", duration(r.success)},
                  {"fail", duration(r.fail)},
                  {"queue", duration(r.queue)},
                  {"compute_infer", duration(r.compute_infer)}}}};
  return json{{"model_stats", json::array({stats})}}.dump(-1, ' ', false,
                                                          json::error_handler_t::replace);
}

std::string EncodeServerMetadata(const ServerMetadata& m) {
  return json{{"name", m.name}, {"version", m.version}, {"extensions", m.extensions}}.dump();
}

Result<ModelMetadata> ParseModelMetadata(std::string_view body) {
  HIEDGE_ASSIGN_OR_RETURN(json j, internal::ParseJsonObject(body));
  ModelMetadata m;
  if (!j.contains("name") || !j["name"].is_string()) {
    return Status::InvalidArgument("model metadata has no 'name'");
  }
  m.name = j["name"].get<std::string>();
  if (j.contains("platform")) {
    if (!j["platform"].is_string())
      return Status::InvalidArgument("model metadata 'platform' must be a string");
    m.platform = j["platform"].get<std::string>();
  }
  if (j.contains("versions") && j["versions"].is_array()) {
    for (const json& v : j["versions"]) {
      if (v.is_string()) m.versions.push_back(v.get<std::string>());
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(m.inputs, ParseTensorMetadata(j, "inputs"));
  HIEDGE_ASSIGN_OR_RETURN(m.outputs, ParseTensorMetadata(j, "outputs"));
  return m;
}

}  // namespace hiedge::protocol
