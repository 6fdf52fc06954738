// Subcommands of the `hiedge` executable. Each Add*Command registers its options on
// `app` and a callback that runs the command through the library and sets *exit_code.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli.h"
#include "common/files.h"
#include "hiedge/common/status.h"
#include "hiedge/device/device.h"

namespace hiedge::cli {

// Where a study command writes beyond its table: `--json FILE`, `--csv FILE` (the
// table's rows) and `--markdown-append FILE` (a section of a results document).
struct StudyOutputs {
  std::string json;
  std::string csv;
  std::string markdown_append;
};
void AddStudyOutputOptions(CLI::App* cmd, StudyOutputs* outputs);

// Prints `study`'s table and writes its JSON, CSV and Markdown section where asked;
// `Study` has ToTable, ToJson, ToCsv and ToMarkdown.
template <typename Study>
Status ReportStudy(const Study& study, const StudyOutputs& outputs) {
  std::fputs(study.ToTable().c_str(), stdout);
  if (!outputs.json.empty()) HIEDGE_RETURN_IF_ERROR(WriteTextFile(outputs.json, study.ToJson()));
  if (!outputs.csv.empty()) HIEDGE_RETURN_IF_ERROR(WriteTextFile(outputs.csv, study.ToCsv()));
  if (!outputs.markdown_append.empty()) {
    HIEDGE_RETURN_IF_ERROR(AppendMarkdown(outputs.markdown_append, study.ToMarkdown()));
  }
  return Status::Ok();
}

void AddTrainCommand(CLI::App& app, int* exit_code);
void AddCalibrateCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddDeviceCommand(CLI::App& app, int* exit_code);
void AddDemoCommand(CLI::App& app, int* exit_code);
void AddEvalCommand(CLI::App& app, int* exit_code);
void AddEarlyExitCommand(CLI::App& app, int* exit_code);
void AddFilterCommand(CLI::App& app, int* exit_code);
void AddLoadgenCommand(CLI::App& app, int* exit_code);
void AddLinkCommand(CLI::App& app, int* exit_code);
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
void AddVibrationDataCommand(CLI::App& app, int* exit_code);
void AddHiBenchCommand(CLI::App& app, int* exit_code);
void AddFleetCommand(CLI::App& app, int* exit_code);
void AddShiftBenchCommand(CLI::App& app, int* exit_code);

}  // namespace hiedge::cli
