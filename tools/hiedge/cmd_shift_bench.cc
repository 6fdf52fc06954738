#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/core/eval.h"
#include "eval/shift/shift_bench.h"
#include "eval/shift/shift_streams.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct ShiftBenchArgs {
  std::string local = "models/sml.json";
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::string out = "docs/results/shift_bench";
  ShiftBenchOptions options;
};

Status RunCommand(const ShiftBenchArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(auto local, LoadModel(a.local));
  HIEDGE_ASSIGN_OR_RETURN(auto remote, LoadModel(a.remote));
  HIEDGE_ASSIGN_OR_RETURN(const StudySplits splits, LoadStudySplits(a.data_dir, local->info()));
  const Dataset& validation = splits.validation;
  const Dataset& test = splits.test;
  ShiftBenchOptions o = a.options;
  o.progress = [](const std::string& step) {
    std::fprintf(stderr, "shift-bench: %s\n", step.c_str());
  };
  HIEDGE_ASSIGN_OR_RETURN(const ShiftBench bench,
                          RunShiftBench(*local, *remote, validation, test, o));
  const std::string markdown =
      ShiftBenchToMarkdown(bench, "./scripts/results.sh (hiedge shift-bench)");
  std::printf("%s", markdown.c_str());
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/shift_bench.md", markdown));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/shift_bench.json", ShiftBenchToJson(bench)));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/shift_bench.csv", ShiftBenchToCsv(bench)));
  std::fprintf(stderr, "wrote %s/shift_bench.{md,json,csv}\n", a.out.c_str());
  return Status::Ok();
}

}  // namespace

void AddShiftBenchCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "shift-bench",
      "Clean-then-shifted streams over 16 shifts and a clean control: the field learner against "
      "the best threshold in hindsight (5 audit seeds, worst seed), and drift detectors side by "
      "side (CUSUM on outputs / inputs, ADWIN, Page-Hinkley)");
  auto a = std::make_shared<ShiftBenchArgs>();
  ShiftBenchOptions& o = a->options;
  cmd->add_option("--local", a->local, "S-ML model card")->capture_default_str();
  cmd->add_option("--remote", a->remote, "L-ML model card")->capture_default_str();
  AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--beta", o.offload_cost, "Cost of one offload (1 = one misclassification)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--audit-rate", o.audit_rate, "Share of samples the learner audits")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--false-alarm-rate", o.false_alarm_rate,
                  "Stated false-alarm rate of hiedge's drift tests, per sample")
      ->check(CLI::Range(1e-9, 0.5))
      ->capture_default_str();
  cmd->add_option("--seeds", o.seeds, "Audit seeds per learner row")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the shifts, shuffles and first audit seed")
      ->capture_default_str();
  cmd->add_option("--clean-streams", o.clean_streams,
                  "Shuffled clean test streams for the false-alarm rates")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  std::vector<std::string> names;
  for (const ShiftKind& k : ShiftBenchKinds()) names.push_back(k.name);
  cmd->add_option("--shift", o.shifts, "Only these shifts (repeatable; default: all)")
      ->check(CLI::IsMember(names));
  cmd->add_option("--out", a->out, "Folder for shift_bench.md, .json and .csv")
      ->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunCommand(*a)); });
}

}  // namespace hiedge::cli
