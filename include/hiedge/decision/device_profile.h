// Named device profiles (latency and energy of one local inference and one offload,
// from published measurements) and the per-inference cost they model for a strategy.
// Pure: parsing takes text, modelling takes numbers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct DeviceProfile {
  std::string name;
  std::string reference_model;  // The on-device model the figures were measured with.
  double local_latency_ms = 0;
  std::optional<double> local_energy_mj;  // Absent when the source gives none.
  double offload_latency_ms = 0;
  std::optional<double> offload_energy_mj;
  std::string source;  // Where every figure comes from.
};

// Parses {"profiles": [...]} (see data/device_profiles.json). InvalidArgument on a
// missing field, a negative figure or a duplicate name.
Result<std::vector<DeviceProfile>> ParseDeviceProfiles(const std::string& json_text);

// Modelled device-side cost of one inference: the S-ML when `runs_local`, plus an
// offload with probability `offload_fraction`, done one after the other.
struct ModelledCost {
  double latency_ms = 0;
  std::optional<double> energy_mj;
};
ModelledCost ModelPerInference(const DeviceProfile& profile, bool runs_local,
                               double offload_fraction);

}  // namespace hiedge
