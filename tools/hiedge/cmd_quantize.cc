#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "eval/core/eval.h"
#include "hiedge/data/data.h"
#include "hiedge/data/data_source.h"
#include "hiedge/engine/model.h"
#include "hiedge/engine/quantize.h"

namespace hiedge::cli {
namespace {

struct QuantizeArgs {
  std::string model = "models/sml.json";
  std::string name;
  std::string out = "models";
  std::string data_dir = kFashionMnistDir;
  size_t calibration_samples = 2000;
  bool force = false;
};

Status Quantize(const QuantizeArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard source, ReadModelCard(a.model));
  const std::string name = a.name.empty() ? source.name + "_int8" : a.name;
  const std::string card_path = a.out + "/" + name + ".json";
  HIEDGE_RETURN_IF_ERROR(RefuseToOverwrite(card_path, a.force));
  HIEDGE_ASSIGN_OR_RETURN(Dataset train, LoadData(a.data_dir, Split::kTrain));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  // Calibration and validation come from the training data, never from the test set.
  const TrainValidation split = SplitForValidation(train);
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  QuantizeOptions options;
  options.name = name;
  options.calibration_samples = a.calibration_samples;
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, QuantizeModel(a.model, split.validation,
                                                        a.out + "/" + name + ".onnx", options));
  card.training_command = source.training_command + " ; then: " + CommandLine();
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  // Accuracy of what the engine runs, on validation and test, into the card.
  HIEDGE_ASSIGN_OR_RETURN(auto quantized, LoadModel(card_path));
  HIEDGE_ASSIGN_OR_RETURN(auto float_model, LoadModel(a.model));
  double accuracy[2][2];
  const Dataset* sets[2] = {&split.validation, &test};
  InferenceBackend* models[2] = {float_model.get(), quantized.get()};
  for (int m = 0; m < 2; ++m) {
    for (int d = 0; d < 2; ++d) {
      HIEDGE_ASSIGN_OR_RETURN(Predictions p, Predict(*models[m], *sets[d]));
      accuracy[m][d] = AccuracyOf(p, *sets[d]);
    }
  }
  card.validation_accuracy = accuracy[1][0];
  card.test_accuracy = accuracy[1][1];
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  std::printf("%-10s %10s %12s %12s\n", "model", "bytes", "validation", "test");
  std::printf("%-10s %10lld %11.2f%% %11.2f%%\n", source.name.c_str(),
              static_cast<long long>(source.size_bytes), 100 * accuracy[0][0],
              100 * accuracy[0][1]);
  std::printf("%-10s %10lld %11.2f%% %11.2f%%\n", card.name.c_str(),
              static_cast<long long>(card.size_bytes), 100 * accuracy[1][0], 100 * accuracy[1][1]);
  std::fprintf(stderr, "wrote %s and %s/%s\n", card_path.c_str(), a.out.c_str(),
               card.weights.c_str());
  return Status::Ok();
}

}  // namespace

void AddQuantizeCommand(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("quantize",
                         "Post-training INT8 quantisation of an ONNX model, calibrated on the "
                         "validation split; writes a QDQ ONNX model and its card");
  auto a = std::make_shared<QuantizeArgs>();
  cmd->add_option("--model", a->model, "Card of the float model (format onnx)")
      ->capture_default_str();
  cmd->add_option("--name", a->name, "Name of the quantised model (default <name>_int8)");
  cmd->add_option("--out", a->out, "Output folder")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--calibration-samples", a->calibration_samples,
                  "Validation images whose activation ranges set the scales")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_flag("--force", a->force, "Overwrite an existing model of this name");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Quantize(*a)); });
}

}  // namespace hiedge::cli
