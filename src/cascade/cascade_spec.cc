// CascadeSpec from JSON, and the live β of a cascade tier.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "common/files.h"
#include "hiedge/cascade/cascade.h"

namespace hiedge {
namespace {

using nlohmann::json;

constexpr int kMaxConnections = 256;
constexpr int64_t kMaxDeadlineMs = 60'000;

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute() || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

Status Invalid(const std::string& what) { return Status::InvalidArgument("cascade spec: " + what); }

Status ParseNext(const json& j, CascadeSpec* spec) {
  if (!j.is_object()) return Invalid("'next' must be an object naming the next tier");
  if (!j.contains("server"))
    return Invalid("'next.server' (host:port of the next tier) is missing");
  HIEDGE_RETURN_IF_ERROR(ParseHostPort(j.at("server").get<std::string>(), &spec->next));
  HIEDGE_ASSIGN_OR_RETURN(spec->next.transport,
                          ParseTransport(j.value("transport", std::string("rest"))));
  spec->next.model = j.value("model", spec->next.model);
  if (spec->next.model.empty()) return Invalid("'next.model' must name the next tier's model");
  HIEDGE_ASSIGN_OR_RETURN(spec->next.payload,
                          ParsePayload(j.value("payload", std::string("fp32"))));
  spec->next.binary = j.value("binary", true);
  spec->next.max_retries = j.value("max_retries", spec->next.max_retries);
  if (spec->next.max_retries < 0 || spec->next.max_retries > 10) {
    return Invalid("'next.max_retries' must be in 0..10");
  }
  const int64_t deadline_ms = j.value("deadline_ms", int64_t{200});
  if (deadline_ms < 1 || deadline_ms > kMaxDeadlineMs) {
    return Invalid("'next.deadline_ms' must be in 1.." + std::to_string(kMaxDeadlineMs));
  }
  spec->deadline = std::chrono::milliseconds(deadline_ms);
  // A token never sits in a spec file: the spec names the environment variable.
  if (j.contains("bearer_token_env")) {
    const std::string variable = j.at("bearer_token_env").get<std::string>();
    const char* token = std::getenv(variable.c_str());
    if (token == nullptr || *token == '\0') {
      return Invalid("'next.bearer_token_env' names " + variable + ", which is not set");
    }
    spec->next.bearer_token = token;
  }
  return Status::Ok();
}

}  // namespace

Result<CascadeSpec> CascadeSpec::FromJson(const std::string& text, const std::string& base_dir) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Invalid(parsed.status().message());
  const json j = *std::move(parsed);
  if (!j.is_object()) return Invalid("not a JSON object");
  CascadeSpec spec;
  try {
    for (const char* field : {"name", "local", "decision", "next"}) {
      if (!j.contains(field)) return Invalid(std::string("'") + field + "' is missing");
    }
    spec.name = j.at("name").get<std::string>();
    if (spec.name.empty()) return Invalid("'name' must not be empty");
    spec.local_card = Resolve(base_dir, j.at("local").get<std::string>());
    spec.decision = Resolve(base_dir, j.at("decision").get<std::string>());
    HIEDGE_RETURN_IF_ERROR(ParseNext(j.at("next"), &spec));
    spec.offload_cost = j.value("offload_cost", -1.0);
    spec.offload_cost_per_ms = j.value("offload_cost_per_ms", 0.0);
    spec.max_connections = j.value("max_connections", spec.max_connections);
  } catch (const json::exception& e) {
    return Invalid(e.what());
  }
  if (!std::isfinite(spec.offload_cost) || !std::isfinite(spec.offload_cost_per_ms) ||
      spec.offload_cost_per_ms < 0) {
    return Invalid("'offload_cost' must be finite and 'offload_cost_per_ms' finite and >= 0");
  }
  if (spec.max_connections < 1 || spec.max_connections > kMaxConnections) {
    return Invalid("'max_connections' must be in 1.." + std::to_string(kMaxConnections));
  }
  return spec;
}

Result<CascadeSpec> ReadCascadeSpec(const std::string& path) {
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  return ReadAndParse<CascadeSpec>(
      path, [&](const std::string& text) { return CascadeSpec::FromJson(text, base_dir); });
}

}  // namespace hiedge
