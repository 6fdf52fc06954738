#include "commands.h"

namespace hiedge::cli {

void AddServeCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("serve", "TODO");
}

}  // namespace hiedge::cli
