#include <cstdio>

#include "commands.h"
#include "eval/demo/demo.h"

namespace hiedge::cli {
namespace {

struct DemoArgs {
  DemoOptions options;
  int deadline_ms = 500;
  bool progress = true;
  std::string markdown_append;
};

Status Demo(DemoArgs a) {
  a.options.offload_deadline = std::chrono::milliseconds(a.deadline_ms);
  a.options.progress = a.progress;
  HIEDGE_ASSIGN_OR_RETURN(DemoReport report, RunDemo(a.options));
  std::printf(
      "\nHierarchical inference on Fashion-MNIST test (%zu images), device <-> edge server "
      "over HTTP (Open Inference Protocol v2)\n\n%s",
      report.strategies.empty() ? size_t{0} : report.strategies.front().samples,
      DemoReportToText(report).c_str());
  HIEDGE_RETURN_IF_ERROR(WriteDemoResults(report, a.options.results_dir));
  if (!a.markdown_append.empty()) {
    HIEDGE_RETURN_IF_ERROR(AppendMarkdown(a.markdown_append, DemoReportToMarkdown(report)));
  }
  std::printf("results: %s/demo.json, strategies.csv, beta_sweep.csv\n",
              a.options.results_dir.c_str());
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "demo", "End-to-end HI: calibrate, serve the L-ML on loopback, run the device, compare");
  auto a = std::make_shared<DemoArgs>();
  DemoOptions& o = a->options;
  cmd->add_option("--local", o.local_model, "S-ML model card")->capture_default_str();
  cmd->add_option("--remote", o.remote_model, "L-ML model card")->capture_default_str();
  cli::AddDataOption(cmd, &o.data_dir);
  cmd->add_option("--out", o.results_dir, "Results folder")->capture_default_str();
  cmd->add_option("--beta", o.offload_cost, "Offload cost β")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--accuracy-margin", o.accuracy_margin,
                  "Target = L-ML validation accuracy minus this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--limit", o.limit, "Test samples (0 = all 10,000)")->capture_default_str();
  cmd->add_option("--link", o.link,
                  "The device's link to the server: wifi, ble, lan100, cellular, loopback, or "
                  "up=B/s,down=B/s,delay=MS,jitter=MS,loss=P (docs/links.md; with a slow link "
                  "use --limit)")
      ->default_str("loopback");
  cmd->add_option("--port", o.port, "Server port (0 = any free)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--deadline-ms", a->deadline_ms, "Offload deadline")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--edge", o.edge_model,
                  "Edge tier's model card for the device -> edge -> cloud row (\"\" skips it)")
      ->capture_default_str();
  cmd->add_option("--two-level", o.two_level_config,
                  "Two-level config for the seed-004 section ('' = skip)")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "Intra-op threads")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--markdown-append", a->markdown_append,
                  "Append this run's section to a results document (e.g. docs/results.md)");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Demo(*a)); });
}

}  // namespace hiedge::cli
