#include "hiedge/decision/device_profile.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/bounded_json.h"

namespace hiedge {

using nlohmann::json;

namespace {

Result<std::optional<double>> OptionalFigure(const json& p, const char* key) {
  if (!p.contains(key) || p[key].is_null()) return std::optional<double>();
  if (!p[key].is_number() || p[key].get<double>() < 0) {
    return Status::InvalidArgument(std::string("device profile: '") + key +
                                   "' must be a number >= 0");
  }
  return std::optional<double>(p[key].get<double>());
}

}  // namespace

Result<std::vector<DeviceProfile>> ParseDeviceProfiles(const std::string& text) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Status::InvalidArgument("device profiles: " + parsed.status().message());
  const json j = *std::move(parsed);
  if (!j.is_object() || !j.contains("profiles") || !j["profiles"].is_array()) {
    return Status::InvalidArgument("device profiles: expected {\"profiles\": [...]}");
  }
  std::vector<DeviceProfile> out;
  std::set<std::string> names;
  for (const json& p : j["profiles"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string()) {
      return Status::InvalidArgument("device profile without a string 'name'");
    }
    DeviceProfile d;
    d.name = p["name"].get<std::string>();
    if (!names.insert(d.name).second) {
      return Status::InvalidArgument("device profile '" + d.name + "' appears twice");
    }
    for (const char* key : {"reference_model", "source"}) {
      if (p.contains(key) && !p[key].is_string()) {
        return Status::InvalidArgument("device profile '" + d.name + "': '" + key +
                                       "' must be a string");
      }
    }
    d.reference_model = p.value("reference_model", std::string());
    d.source = p.value("source", std::string());
    if (d.source.empty())
      return Status::InvalidArgument("device profile '" + d.name + "' has no source");
    HIEDGE_ASSIGN_OR_RETURN(std::optional<double> local_latency,
                            OptionalFigure(p, "local_latency_ms"));
    HIEDGE_ASSIGN_OR_RETURN(std::optional<double> offload_latency,
                            OptionalFigure(p, "offload_latency_ms"));
    if (!local_latency || !offload_latency) {
      return Status::InvalidArgument("device profile '" + d.name + "' needs both latencies");
    }
    d.local_latency_ms = *local_latency;
    d.offload_latency_ms = *offload_latency;
    HIEDGE_ASSIGN_OR_RETURN(d.local_energy_mj, OptionalFigure(p, "local_energy_mj"));
    HIEDGE_ASSIGN_OR_RETURN(d.offload_energy_mj, OptionalFigure(p, "offload_energy_mj"));
    out.push_back(std::move(d));
  }
  return out;
}

ModelledCost ModelPerInference(const DeviceProfile& p, bool runs_local, double offload_fraction) {
  ModelledCost c;
  c.latency_ms = (runs_local ? p.local_latency_ms : 0) + offload_fraction * p.offload_latency_ms;
  const bool need_local_energy = runs_local;
  const bool need_offload_energy = offload_fraction > 0;
  if ((!need_local_energy || p.local_energy_mj) && (!need_offload_energy || p.offload_energy_mj)) {
    c.energy_mj = (runs_local ? p.local_energy_mj.value_or(0) : 0) +
                  offload_fraction * p.offload_energy_mj.value_or(0);
  }
  return c;
}

}  // namespace hiedge
