#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/fleet/loadgen.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct LoadgenArgs {
  LoadgenOptions options;
  std::string server = "127.0.0.1:8000";
  int window_ms = 1000;
  std::string data_dir = kFashionMnistDir;
  std::string out;
  std::string transport = "rest";
};

Status Loadgen(LoadgenArgs a) {
  a.options.window = std::chrono::milliseconds(a.window_ms);
  HIEDGE_RETURN_IF_ERROR(ParseHostPort(a.server, &a.options.server));
  HIEDGE_ASSIGN_OR_RETURN(a.options.server.transport, ParseTransport(a.transport));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  HIEDGE_ASSIGN_OR_RETURN(std::vector<LoadLevel> levels, RunLoad(a.options, Head(test, 1000)));
  std::printf("%s", LoadLevelsToTable(levels).c_str());
  if (!a.out.empty()) {
    HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/loadgen.json", LoadLevelsToJson(levels)));
    std::fprintf(stderr, "wrote %s/loadgen.json\n", a.out.c_str());
  }
  size_t failures = 0, requests = 0;
  for (const LoadLevel& l : levels) {
    failures += l.failures;
    requests += l.requests;
  }
  if (failures > 0) {
    return Status::Unavailable(std::to_string(failures) + " of " + std::to_string(requests) +
                               " requests failed (see the failures column)");
  }
  return Status::Ok();
}

}  // namespace

void AddLoadgenCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "loadgen",
      "Load a running server: concurrency sweep, stable windows, throughput and p50/p90/p99");
  auto a = std::make_shared<LoadgenArgs>();
  cmd->add_option("--server", a->server,
                  "Edge server HOST:PORT (the gRPC port with --transport grpc)")
      ->capture_default_str();
  cmd->add_option("--model", a->options.server.model, "Model to load the server with")
      ->capture_default_str();
  cmd->add_option("--transport", a->transport, "rest, or grpc (then --server names the gRPC port)")
      ->check(RegisteredTransport())
      ->capture_default_str();
  cmd->add_option("--tls-root-cert", a->options.server.tls_root_cert_file,
                  "gRPC over TLS, trusting this PEM root")
      ->check(CLI::ExistingFile);
  cmd->add_option("--auth-token", a->options.server.bearer_token, "Bearer token");
  cmd->add_option("--concurrency", a->options.concurrency, "Concurrency levels to sweep")
      ->capture_default_str();
  cmd->add_option("--window-ms", a->window_ms, "Measurement window")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--stability", a->options.stability, "Windows agree within this fraction")
      ->capture_default_str();
  cmd->add_option("--max-windows", a->options.max_windows,
                  "Windows per level at most before it is reported as unstable")
      ->check(Positive())
      ->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--out", a->out, "Results folder (writes loadgen.json)");
  cmd->footer("Exit code 5 when any request failed.");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Loadgen(*a)); });
}

}  // namespace hiedge::cli
