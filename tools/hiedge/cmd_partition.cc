// `hiedge partition`: seed 004's Tables 3 and 4 on loopback. The two-level system
// against DNN partitioning of the L-ML at every interior cut, on the same servers, in
// one interleaved run, with the servers idle and loaded.
#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/two_level/partition_study.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct PartitionArgs {
  PartitionStudyOptions study;
  std::string data_dir = kFashionMnistDir;
  StudyOutputs outputs;
};

Status RunPartition(const PartitionArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  std::fprintf(stderr, "partition: %zu images per approach, servers idle then loaded\n",
               std::min(a.study.images, test.size()));
  HIEDGE_ASSIGN_OR_RETURN(PartitionStudy study, RunPartitionStudy(a.study, test));
  return ReportStudy(study, a.outputs);
}

}  // namespace

void AddPartitionCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "partition",
      "Two-level (seed 004) vs DNN partitioning of the L-ML on loopback servers, idle and loaded");
  auto a = std::make_shared<PartitionArgs>();
  cmd->add_option("--config", a->study.two_level_config, "Two-level config")->capture_default_str();
  cmd->add_option("--large", a->study.large_model, "The L-ML card to partition")
      ->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--images", a->study.images, "Test images per approach and load level")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--rounds", a->study.rounds, "Interleaved rounds")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--servers", a->study.clusters, "Loopback servers")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--load-clients", a->study.load_clients_per_server,
                  "Closed-loop full L-ML clients per server in the loaded phase")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--link", a->study.link,
                  "The device's link to every server: wifi, ble, lan100, cellular, loopback, "
                  "or up=B/s,down=B/s,delay=MS,jitter=MS,loss=P (docs/links.md)")
      ->default_str("loopback");
  AddStudyOutputOptions(cmd, &a->outputs);
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunPartition(*a)); });
}

}  // namespace hiedge::cli
