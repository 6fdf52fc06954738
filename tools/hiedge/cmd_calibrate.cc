#include "commands.h"

namespace hiedge::cli {

void AddCalibrateCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("calibrate", "TODO");
}

}  // namespace hiedge::cli
