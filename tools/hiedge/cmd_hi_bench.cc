// `hiedge hi-bench`: the reproducible HI benchmark (src/eval/demo/hi_bench.h) for any
// (data, S-ML, L-ML) triple: one JSON, a table, optionally a Markdown section.
#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/demo/hi_bench.h"

namespace hiedge::cli {
namespace {

struct HiBenchArgs {
  HiBenchOptions bench;
  std::string json = "results/hi_bench.json";
  std::string markdown;  // Appended to when set.
  std::string title = "HI benchmark";
};

Status RunHiBenchCommand(const HiBenchArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(HiBenchReport report, RunHiBench(a.bench));
  std::printf("%s", HiBenchToText(report).c_str());
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.json, HiBenchToJson(report)));
  std::fprintf(stderr, "wrote %s\n", a.json.c_str());
  if (!a.markdown.empty()) {
    HIEDGE_RETURN_IF_ERROR(
        AppendMarkdown(a.markdown, HiBenchToMarkdown(report, a.title, CommandLine())));
  }
  return Status::Ok();
}

}  // namespace

void AddHiBenchCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "hi-bench",
      "Run S-ML only, full offload and HI for any (data, S-ML, L-ML) through the real device "
      "-> REST server path on loopback; write one JSON (measured and modelled figures)");
  auto a = std::make_shared<HiBenchArgs>();
  AddDataOption(cmd, &a->bench.data);
  cmd->add_option("--local", a->bench.local_model,
                  "S-ML model card (any format, e.g. a "
                  "statistical_rule)")
      ->capture_default_str();
  cmd->add_option("--remote", a->bench.remote_model, "L-ML model card")->capture_default_str();
  cmd->add_option("--decision", a->bench.decision_config,
                  "Decision config for the HI row (hiedge calibrate); default: max-softmax "
                  "theta* at --beta, calibrated on the validation split");
  cmd->add_option("--beta", a->bench.offload_cost, "Cost of one offload (1 = one error)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--profiles", a->bench.profiles,
                  "Device profiles for modelled latency and energy (\"\" = none)")
      ->capture_default_str();
  cmd->add_option("--limit", a->bench.limit, "Test samples (0 = all)")->capture_default_str();
  cmd->add_option("--link", a->bench.link,
                  "Emulated device-server link: wifi, ble, lan100, cellular, loopback, or "
                  "up=B/s,down=B/s,delay=MS,jitter=MS,loss=P (docs/links.md)")
      ->default_str("loopback");
  cmd->add_option("--threads", a->bench.threads, "Intra-op threads per model")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--json", a->json, "Where to write the JSON report")->capture_default_str();
  cmd->add_option("--markdown-append", a->markdown,
                  "Append the table as a Markdown section to this existing document");
  cmd->add_option("--title", a->title, "Title of the Markdown section")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunHiBenchCommand(*a)); });
}

}  // namespace hiedge::cli
