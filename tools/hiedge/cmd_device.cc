// `hiedge device`: the device run of `hiedge-device` (tools/common/device_stream.h, one
// definition of flags, files and exit codes), with the Fashion-MNIST test split as its
// default data.
#include <memory>
#include <optional>

#include "commands.h"
#include "device_stream.h"
#include "hiedge/data/data.h"

namespace hiedge::cli {

void AddDeviceCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "device",
      "Run the device over a data set (default: the Fashion-MNIST test split), offloading "
      "to a running edge server; the same run, files and exit codes as hiedge-device");
  auto a = std::make_shared<DeviceStreamArgs>();
  a->default_data_dir = kFashionMnistDir;
  AddDeviceStreamFlags(cmd, a.get());
  cmd->callback([a, exit_code] {
    std::optional<DriftDetector> drift;
    const Status status = RunDeviceStream(*a, &drift);
    *exit_code = ExitCodeWithDrift(status, drift ? &*drift : nullptr);
  });
}

}  // namespace hiedge::cli
