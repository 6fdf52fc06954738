// hiedge: hierarchical inference at the network edge. A thin front end over the library.
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "common/progress.h"
#include "hiedge/train.h"

namespace hiedge::cli {
namespace {
std::string g_command_line;
}  // namespace

namespace {

CLI::Validator NumberAtLeast(double least, bool strictly, const std::string& what) {
  return CLI::Validator(
      [least, strictly, what](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        const bool ok = strictly ? value > least : value >= least;
        return ok ? std::string() : "must be " + what + ", got " + text;
      },
      what == "> 0" ? "NUMBER > 0" : "NUMBER >= 0");
}

}  // namespace

CLI::Validator NonNegative() { return NumberAtLeast(0, false, ">= 0"); }
CLI::Validator Positive() { return NumberAtLeast(0, true, "> 0"); }

Status RefuseToOverwrite(const std::string& path, bool force) {
  std::error_code ec;
  if (force || !std::filesystem::exists(path, ec)) return Status::Ok();
  return Status::FailedPrecondition(path + " exists; pass --force to overwrite it");
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return 0;
  std::fprintf(stderr, "hiedge: error: %s\n", status.ToString().c_str());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 2;
    case StatusCode::kNotFound:
      return 3;
    case StatusCode::kDataLoss:
      return 4;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
      return 5;
    default:
      return 1;
  }
}

Status ParseHostPort(const std::string& endpoint, OffloadOptions* options) {
  const size_t colon = endpoint.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(endpoint.data() + colon + 1, endpoint.data() + endpoint.size(), port).ec !=
          std::errc() ||
      port < 1 || port > 65535) {
    return Status::InvalidArgument("'" + endpoint + "' is not host:port");
  }
  options->host = endpoint.substr(0, colon);
  options->port = port;
  return Status::Ok();
}

std::string CommandLine() { return g_command_line; }

void SetCommandLine(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) g_command_line += ' ';
    g_command_line += argv[i];
  }
}

}  // namespace hiedge::cli

int main(int argc, char** argv) {
  hiedge::cli::SetCommandLine(argc, argv);
  hiedge::RegisterTorchBackends();
  CLI::App app{"hiedge: hierarchical inference at the network edge"};
  app.require_subcommand(1);
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
  hiedge::cli::AddLoadgenCommand(app, &exit_code);
  hiedge::cli::AddSuperclassesCommand(app, &exit_code);
  hiedge::cli::AddTwoLevelCommand(app, &exit_code);
  hiedge::cli::AddTwoLevelDeviceCommand(app, &exit_code);
  hiedge::cli::AddExampleRequestCommand(app, &exit_code);
  hiedge::cli::AddExportCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; any other command-line error is exit code 2, like
    // an invalid argument found later.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return exit_code;
}
