#include "commands.h"

namespace hiedge::cli {

void AddDemoCommand(CLI::App& app, int* exit_code) {
  app.add_subcommand("demo", "TODO");
}

}  // namespace hiedge::cli
