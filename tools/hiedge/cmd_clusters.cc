// `hiedge clusters`: seed 004's skewed clusters. Per-cluster streams with different
// class mixes, Alg. 1 placement from the demand measured on each stream, local-hit
// rates and latency per cluster against a placement blind to the skew.
#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/two_level/cluster_study.h"
#include "hiedge/data/data_source.h"

namespace hiedge::cli {
namespace {

struct ClustersArgs {
  ClusterStudyOptions study;
  std::string data_dir = kFashionMnistDir;
  StudyOutputs outputs;
};

Status RunClusters(const ClustersArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset train, LoadData(a.data_dir, Split::kTrain));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  const Dataset validation = SplitForValidation(train).validation;
  HIEDGE_ASSIGN_OR_RETURN(ClusterStudy study, RunClusterStudy(a.study, validation, test));
  return ReportStudy(study, a.outputs);
}

}  // namespace

void AddClustersCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "clusters",
      "Skewed clusters (seed 004): Alg. 1 from measured per-cluster demand, on loopback");
  auto a = std::make_shared<ClustersArgs>();
  cmd->add_option("--config", a->study.two_level_config, "Two-level config")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--clusters", a->study.clusters, "Clusters (one server each)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--experts-per-server", a->study.experts_per_server, "Room per server")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--seed", a->study.seed, "Seed of the mixes and streams")->capture_default_str();
  cmd->add_option("--calibration-images", a->study.calibration_images,
                  "Per cluster, from validation: Alg. 1's measured demand")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--images", a->study.test_images, "Per cluster, from test")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--forward-penalty-ms", a->study.forward_penalty_ms,
                  "Modelled extra time of an answer from another cluster's server")
      ->check(NonNegative())
      ->capture_default_str();
  AddStudyOutputOptions(cmd, &a->outputs);
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunClusters(*a)); });
}

}  // namespace hiedge::cli
