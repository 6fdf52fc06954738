// CLI helpers shared by hiedge's executables: readable validators, the one mapping from
// Status to exit code, host:port parsing and the recorded command line.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "hiedge/device/device.h"
#include "hiedge/common/status.h"

namespace hiedge::cli {

// Number validators whose messages a person can read ("must be >= 0, got -1" rather
// than CLI11's "not in range 0 to 1.797...e+308").
CLI::Validator NonNegative();
CLI::Validator Positive();
// A transport this program registered (hiedge/device/device.h: RegisteredOffloadTransports);
// the error names the registered ones.
CLI::Validator RegisteredTransport();

// FailedPrecondition when `path` exists and `force` is not set: commands never
// overwrite shipped models or configs by accident.
Status RefuseToOverwrite(const std::string& path, bool force);

// Appends `markdown` to the document at `path`, which must exist (a results document
// that `hiedge eval --markdown` started): sections are added, never a stray file made.
Status AppendMarkdown(const std::string& path, const std::string& markdown);

// `--data SOURCE` (default: Debian's Fashion-MNIST folder): any layout LoadData reads
// (hiedge/data/data_source.h, docs/data.md). The one description for every command.
CLI::Option* AddDataOption(CLI::App* command, std::string* source);

// The one place a Status becomes an exit code: prints the error, returns 0 or 1..n.
int ExitCodeFor(const Status& status);

// `--version`: prints "<program> <hiedge version>" and exits 0.
void AddVersionFlag(CLI::App& app, const std::string& program);
// The hiedge version this executable was built from (CMake's PROJECT_VERSION).
std::string Version();

// For an executable with subcommands: InvalidArgument naming argv's first word when it
// is neither an option nor one of `app`'s subcommands, with the list of those (CLI11
// itself only says that a subcommand is required).
Status CheckSubcommandName(const CLI::App& app, int argc, char** argv);

// The full command line, for model cards and result files.
std::string CommandLine();
void SetCommandLine(int argc, char** argv);

}  // namespace hiedge::cli
