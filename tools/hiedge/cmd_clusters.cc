// `hiedge clusters`: seed 004's skewed clusters. Per-cluster streams with different
// class mixes, Alg. 1 placement from the demand measured on each stream, local-hit
// rates and latency per cluster against a placement blind to the skew.
#include <cstdio>

#include "commands.h"
#include "common/files.h"
#include "eval/cluster_study.h"

namespace hiedge::cli {
namespace {

struct ClustersArgs {
  ClusterStudyOptions study;
  std::string data_dir = kFashionMnistDir;
  std::string json_out;
  std::string markdown_append;
};

Status RunClusters(const ClustersArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(Dataset train, LoadFashionMnist(a.data_dir, Split::kTrain));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadFashionMnist(a.data_dir, Split::kTest));
  const Dataset validation = SplitTrainValidation(train).validation;
  HIEDGE_ASSIGN_OR_RETURN(ClusterStudy study, RunClusterStudy(a.study, validation, test));
  std::fputs(study.ToTable().c_str(), stdout);
  if (!a.json_out.empty()) HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.json_out, study.ToJson()));
  if (!a.markdown_append.empty()) {
    HIEDGE_RETURN_IF_ERROR(AppendMarkdown(a.markdown_append, study.ToMarkdown()));
  }
  return Status::Ok();
}

}  // namespace

void AddClustersCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "clusters",
      "Skewed clusters (seed 004): Alg. 1 from measured per-cluster demand, on loopback");
  auto a = std::make_shared<ClustersArgs>();
  cmd->add_option("--config", a->study.two_level_config, "Two-level config")->capture_default_str();
  cmd->add_option("--data", a->data_dir, "Fashion-MNIST folder")->capture_default_str();
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
  cmd->add_option("--json", a->json_out, "Also write the table as JSON here");
  cmd->add_option("--markdown-append", a->markdown_append,
                  "Append this run's section to a results document (e.g. docs/results.md)");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunClusters(*a)); });
}

}  // namespace hiedge::cli
