// Subcommands of the `hiedge` executable. Each Add*Command registers its options on
// `app` and a callback that runs the command through the library and sets *exit_code.
#pragma once

#include <CLI/CLI.hpp>

#include "cli.h"
#include "hiedge/device.h"
#include "hiedge/status.h"

namespace hiedge::cli {

void AddTrainCommand(CLI::App& app, int* exit_code);
void AddCalibrateCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddDeviceCommand(CLI::App& app, int* exit_code);
void AddDemoCommand(CLI::App& app, int* exit_code);
void AddEvalCommand(CLI::App& app, int* exit_code);
void AddLoadgenCommand(CLI::App& app, int* exit_code);
void AddSuperclassesCommand(CLI::App& app, int* exit_code);
void AddTwoLevelCommand(CLI::App& app, int* exit_code);
void AddTwoLevelDeviceCommand(CLI::App& app, int* exit_code);
void AddExampleRequestCommand(CLI::App& app, int* exit_code);
void AddExportCommand(CLI::App& app, int* exit_code);
void AddQuantizeCommand(CLI::App& app, int* exit_code);
void AddExitsCommand(CLI::App& app, int* exit_code);
void AddPlanCommand(CLI::App& app, int* exit_code);
void AddPartitionCommand(CLI::App& app, int* exit_code);
void AddClustersCommand(CLI::App& app, int* exit_code);
void AddBudgetsCommand(CLI::App& app, int* exit_code);

}  // namespace hiedge::cli
