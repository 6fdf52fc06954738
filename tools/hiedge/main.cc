// hiedge: hierarchical inference at the network edge. A thin front end over the library.
#include <cstdio>

#include "commands.h"
#include "common/progress.h"
#include "hiedge/protocol/grpc_library.h"

int main(int argc, char** argv) {
  // First, so it is destroyed last: gRPC shuts down (joining its threads) before exit.
  const hiedge::GrpcLibraryScope grpc_library;
  hiedge::cli::SetCommandLine(argc, argv);
  CLI::App app{"hiedge: hierarchical inference at the network edge"};
  app.require_subcommand(1);
  hiedge::cli::AddVersionFlag(app, "hiedge");
  // Options every subcommand takes, also after its name (`hiedge train --no-progress`).
  app.fallthrough();
  app.add_flag_callback(
      "--no-progress", [] { hiedge::SetProgressAllowed(false); },
      "Hide progress bars (shown only when stderr is a terminal anyway)");
  int exit_code = 0;
  hiedge::cli::AddTrainCommand(app, &exit_code);
  hiedge::cli::AddCalibrateCommand(app, &exit_code);
  hiedge::cli::AddServeCommand(app, &exit_code);
  hiedge::cli::AddDeviceCommand(app, &exit_code);
  hiedge::cli::AddDemoCommand(app, &exit_code);
  hiedge::cli::AddEvalCommand(app, &exit_code);
  hiedge::cli::AddEarlyExitCommand(app, &exit_code);
  hiedge::cli::AddFilterCommand(app, &exit_code);
  hiedge::cli::AddLoadgenCommand(app, &exit_code);
  hiedge::cli::AddLinkCommand(app, &exit_code);
  hiedge::cli::AddSuperclassesCommand(app, &exit_code);
  hiedge::cli::AddTwoLevelCommand(app, &exit_code);
  hiedge::cli::AddTwoLevelDeviceCommand(app, &exit_code);
  hiedge::cli::AddExampleRequestCommand(app, &exit_code);
  hiedge::cli::AddExportCommand(app, &exit_code);
  hiedge::cli::AddQuantizeCommand(app, &exit_code);
  hiedge::cli::AddExitsCommand(app, &exit_code);
  hiedge::cli::AddPlanCommand(app, &exit_code);
  hiedge::cli::AddPartitionCommand(app, &exit_code);
  hiedge::cli::AddClustersCommand(app, &exit_code);
  hiedge::cli::AddBudgetsCommand(app, &exit_code);
  hiedge::cli::AddVibrationDataCommand(app, &exit_code);
  hiedge::cli::AddHiBenchCommand(app, &exit_code);
  hiedge::cli::AddFleetCommand(app, &exit_code);
  hiedge::cli::AddShiftBenchCommand(app, &exit_code);
  if (const hiedge::Status known = hiedge::cli::CheckSubcommandName(app, argc, argv); !known.ok()) {
    std::fprintf(stderr, "hiedge: %s\n", known.message().c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other command-line error is exit code 2, like
    // an invalid argument found later.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
