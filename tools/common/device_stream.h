// The device run shared by `hiedge device` and `hiedge-device`: one set of flags, one
// loop, one output contract (docs/results-schema.md, "The device's answers"). Both
// stream their input a sample at a time, write answers.csv as each answer is made and
// summary.json at the end, and exit with the same codes.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "device_flags.h"
#include "hiedge/decision/drift.h"
#include "hiedge/common/status.h"

namespace hiedge::cli {

struct DeviceStreamArgs {
  DeviceFlags device;
  std::string data_dir;  // Data set, test split (docs/data.md).
  std::string idx_images, idx_labels;
  std::string raw;  // File or "-"
  std::string raw_format = "u8";
  uint64_t limit = 0;
  std::string answers;  // Empty: <out>/answers.csv
  uint64_t progress_every = 0;
  uint64_t estimate_window = 500;  // Samples per label-free accuracy estimate.
  // Read when none of --data, --idx and --raw is given; empty: one of them is required.
  std::string default_data_dir;
};

// Adds the device flags (AddDeviceFlags) and the stream's own to `command`.
void AddDeviceStreamFlags(CLI::App* command, DeviceStreamArgs* args);

// Runs the device over the stream the flags name; `drift` receives the detector when
// drift detection ran. Every sample read is answered, also when the stream or the
// server fails part-way.
Status RunDeviceStream(const DeviceStreamArgs& args, std::optional<DriftDetector>* drift);

}  // namespace hiedge::cli
