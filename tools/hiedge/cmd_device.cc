#include "commands.h"

namespace hiedge::cli {

void AddDeviceCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("device", "TODO");
}

}  // namespace hiedge::cli
