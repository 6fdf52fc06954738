#include <cstdio>

#include "commands.h"
#include "eval/core/eval.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/decision/input_statistics.h"

namespace hiedge::cli {
namespace {

struct CalibrateArgs {
  std::string local = "models/sml.json";
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::string out = "results";  // Writes <out>/decision.json.
  double beta = 0.1;
  std::string module = "max_softmax";
  bool temperature = false;
  std::string objective;  // Empty: accuracy_target with --target-accuracy, else min_cost.
  double target_accuracy = 0;
  double delta = 0.05;
};

Status Calibrate(const CalibrateArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(auto local, LoadModel(a.local));
  HIEDGE_ASSIGN_OR_RETURN(auto remote, LoadModel(a.remote));
  HIEDGE_ASSIGN_OR_RETURN(Dataset train,
                          LoadDataForModel(a.data_dir, Split::kTrain, local->info().input_shape,
                                           local->info().num_classes, local->info().name));
  const Dataset validation = SplitForValidation(train).validation;
  HIEDGE_ASSIGN_OR_RETURN(Predictions lp, Predict(*local, validation, 256, true));
  HIEDGE_ASSIGN_OR_RETURN(Predictions rp, Predict(*remote, validation, 256, true));
  CalibrationOptions options;
  options.module = a.module;
  options.fit_temperature = a.temperature;
  options.objective =
      !a.objective.empty() ? a.objective : (a.target_accuracy > 0 ? "accuracy_target" : "min_cost");
  options.cost = CostModel{a.beta, 1.0};
  options.target_accuracy = a.target_accuracy;
  options.delta = a.delta;
  if (options.objective != "min_cost" && !(a.target_accuracy > 0)) {
    return Status::InvalidArgument("--objective " + options.objective + " needs --target-accuracy");
  }
  HIEDGE_ASSIGN_OR_RETURN(DecisionConfig config,
                          CalibratePolicy(Labelled(lp, rp, validation.labels), options));
  config.input_reference =
      BuildInputReference(validation.images, validation.image_elements(), lp.labels, lp.classes);
  config.validation_seed = kDefaultSplitSeed;
  config.local_model = a.local;
  config.remote_model = a.remote;
  HIEDGE_ASSIGN_OR_RETURN(config.local_model_id, ModelIdentity(a.local));
  const std::string out = a.out + "/decision.json";
  HIEDGE_RETURN_IF_ERROR(WriteDecisionConfig(config, out));
  std::printf("%s", config.ToJson().c_str());
  HIEDGE_ASSIGN_OR_RETURN(const OffloadPolicy policy, OffloadPolicy::FromConfig(config));
  std::fprintf(stderr, "wrote %s (%s: validation accuracy %.2f%%, offloads %.2f%%)\n", out.c_str(),
               policy.Describe().c_str(), 100 * config.calibration_accuracy,
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
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--beta", a->beta, "Cost of one offload (1 = one misclassification)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--module", a->module,
                  "Decision module: max_softmax | margin | neg_entropy | logistic_top2 (seed 001)")
      ->check(CLI::IsMember(ConfidenceModuleNames()))
      ->capture_default_str();
  cmd->add_flag("--temperature", a->temperature,
                "Temperature-scale the S-ML's logits first (fitted on validation)");
  cmd->add_option("--objective", a->objective,
                  "min_cost (theta* at --beta) | accuracy_target (fewest offloads reaching "
                  "--target-accuracy on validation) | certified_accuracy (the same, certified by "
                  "a Clopper-Pearson bound at confidence 1 - --delta); default: accuracy_target "
                  "when --target-accuracy is given, else min_cost")
      ->check(CLI::IsMember({"min_cost", "accuracy_target", "certified_accuracy"}));
  cmd->add_option("--target-accuracy", a->target_accuracy, "Accuracy the objective targets (0-1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--delta", a->delta, "certified_accuracy: 1 - confidence of the bound")
      ->check(CLI::Range(1e-6, 0.5))
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Folder to write decision.json in")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Calibrate(*a)); });
}

}  // namespace hiedge::cli
