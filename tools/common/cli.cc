// CLI helpers shared by hiedge's executables (hiedge, hiedge-device).
#include "cli.h"

#include <charconv>
#include <cstdio>
#include <filesystem>

#include "common/files.h"
#include "hiedge/device/device.h"

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

CLI::Validator RegisteredTransport() {
  std::string names;
  for (const std::string& n : RegisteredOffloadTransports()) names += (names.empty() ? "" : "|") + n;
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const Result<std::string> transport = ParseTransport(value);
        return transport.ok() ? std::string() : transport.status().message();
      },
      "{" + names + "}");
}

Status AppendMarkdown(const std::string& path, const std::string& markdown) {
  HIEDGE_ASSIGN_OR_RETURN(std::string existing, ReadTextFile(path));
  return WriteTextFile(path, existing + markdown);
}

Status RefuseToOverwrite(const std::string& path, bool force) {
  std::error_code ec;
  if (force || !std::filesystem::exists(path, ec)) return Status::Ok();
  return Status::FailedPrecondition(path + " exists; pass --force to overwrite it");
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return 0;
  const std::string program = g_command_line.substr(0, g_command_line.find(' '));
  std::fprintf(stderr, "%s: error: %s\n",
               std::filesystem::path(program.empty() ? "hiedge" : program).filename().c_str(),
               status.ToString().c_str());
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 2;
    case StatusCode::kNotFound:
      return 3;
    case StatusCode::kDataLoss:
      return 4;
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kUnauthenticated:
    case StatusCode::kOverloaded:
      return 5;
    default:
      return 1;
  }
}

std::string CommandLine() { return g_command_line; }

void SetCommandLine(int argc, char** argv) {
  g_command_line.clear();
  for (int i = 0; i < argc; ++i) {
    if (i > 0) g_command_line += ' ';
    // Quoted for a POSIX shell when needed, so a recorded command can be rerun as it is.
    const std::string arg = argv[i];
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      g_command_line += arg;
    } else {
      g_command_line += '\'';
      for (char c : arg) g_command_line += c == '\'' ? std::string("'\\''") : std::string(1, c);
      g_command_line += '\'';
    }
  }
}

CLI::Option* AddDataOption(CLI::App* command, std::string* source) {
  return command
      ->add_option("--data", *source,
                   "Data set: an idx folder (Fashion-MNIST names), CIFAR-10 binary batches, an "
                   "image folder (train/<class>/*.png|jpg, test/...) or a manifest .json "
                   "(docs/data.md)")
      ->capture_default_str();
}

std::string Version() { return HIEDGE_VERSION_STRING; }

void AddVersionFlag(CLI::App& app, const std::string& program) {
  app.set_version_flag("--version", program + " " + Version(), "Print the version and exit");
}

Status CheckSubcommandName(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return Status::Ok();
  const std::string word = argv[1];
  if (word.empty() || word[0] == '-') return Status::Ok();
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->check_name(word)) return Status::Ok();
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return Status::InvalidArgument("unknown command '" + word + "'; the commands are: " + names +
                                 " (hiedge --help explains each)");
}

}  // namespace hiedge::cli
