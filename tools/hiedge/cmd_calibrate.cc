#include <cstdio>

#include "commands.h"
#include "eval/eval.h"
#include "hiedge/calibrate.h"

namespace hiedge::cli {
namespace {

struct CalibrateArgs {
  std::string local = "models/sml.json";
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::string out = "results";  // Writes <out>/decision.json.
  double beta = 0.1;
  double target_accuracy = 0;  // 0: minimise cost instead.
};

Status Calibrate(const CalibrateArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(auto local, LoadModel(a.local));
  HIEDGE_ASSIGN_OR_RETURN(auto remote, LoadModel(a.remote));
  HIEDGE_ASSIGN_OR_RETURN(Dataset train, LoadFashionMnist(a.data_dir, Split::kTrain));
  const Dataset validation = SplitTrainValidation(train).validation;
  HIEDGE_ASSIGN_OR_RETURN(Predictions lp, Predict(*local, validation, 256, true));
  HIEDGE_ASSIGN_OR_RETURN(Predictions rp, Predict(*remote, validation, 256, true));
  const std::vector<SampleOutcome> outcomes = JoinOutcomes(lp, rp, validation);
  const CostModel cost{a.beta, 1.0};
  DecisionConfig config;
  if (a.target_accuracy > 0) {
    HIEDGE_ASSIGN_OR_RETURN(config, CalibrateAccuracyTarget(outcomes, a.target_accuracy, cost));
  } else {
    config = CalibrateMinCost(outcomes, cost);
  }
  config.local_model = a.local;
  config.remote_model = a.remote;
  HIEDGE_ASSIGN_OR_RETURN(config.local_model_id, ModelIdentity(a.local));
  const std::string out = a.out + "/decision.json";
  HIEDGE_RETURN_IF_ERROR(WriteDecisionConfig(config, out));
  std::printf("%s", config.ToJson().c_str());
  std::fprintf(stderr, "wrote %s (theta %.4f: validation accuracy %.2f%%, offloads %.2f%%)\n",
               out.c_str(), config.theta, 100 * config.calibration_accuracy,
               100 * config.calibration_offload_fraction);
  return Status::Ok();
}

}  // namespace

void AddCalibrateCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "calibrate", "Choose the offload threshold on the validation split; write a decision config");
  auto a = std::make_shared<CalibrateArgs>();
  cmd->add_option("--local", a->local, "S-ML model card")->capture_default_str();
  cmd->add_option("--remote", a->remote, "L-ML model card")->capture_default_str();
  cmd->add_option("--data", a->data_dir, "Fashion-MNIST folder")->capture_default_str();
  cmd->add_option("--beta", a->beta, "Cost of one offload (1 = one misclassification)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--target-accuracy", a->target_accuracy,
                  "Instead of min cost: fewest offloads reaching this accuracy (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--out", a->out, "Folder to write decision.json in")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Calibrate(*a)); });
}

}  // namespace hiedge::cli
