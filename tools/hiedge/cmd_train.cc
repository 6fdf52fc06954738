#include <cstdio>

#include "commands.h"
#include "hiedge/data.h"
#include "hiedge/train.h"

namespace hiedge::cli {

void AddTrainCommand(CLI::App& app, int* exit_code) {
  auto* cmd =
      app.add_subcommand("train", "Train a model on Fashion-MNIST and write weights + card");
  auto options = std::make_shared<TrainOptions>();
  auto data_dir = std::make_shared<std::string>(kFashionMnistDir);
  cmd->add_option("--arch", options->architecture, "small_cnn | resnet8 | vgg")
      ->check(CLI::IsMember({"small_cnn", "resnet8", "vgg"}))
      ->capture_default_str();
  cmd->add_option("--name", options->name, "Model name (output <dir>/<name>.pt/.json)")
      ->capture_default_str();
  cmd->add_option("--out", options->output_dir, "Output folder")->capture_default_str();
  cmd->add_option("--data", *data_dir, "Fashion-MNIST folder (idx files)")->capture_default_str();
  cmd->add_option("--epochs", options->epochs)->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--batch-size", options->batch_size)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--lr", options->learning_rate, "Peak learning rate (cosine schedule)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--weight-decay", options->weight_decay)->capture_default_str();
  cmd->add_option("--label-smoothing", options->label_smoothing)
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--augment", options->augment, "Random crop (pad 2) + horizontal flip")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed)->capture_default_str();
  cmd->add_option("--threads", options->threads, "Intra-op threads (0 = default)")
      ->capture_default_str();
  cmd->add_flag("!--no-progress", options->progress, "Hide the progress bar");
  cmd->add_option("--positive-classes", options->positive_classes,
                  "Train a binary filter: these classes vs the rest (e.g. 5 7 9 = footwear)")
      ->check(CLI::Range(0, 9));
  cmd->callback([options, data_dir, exit_code] {
    options->training_command = CommandLine();
    auto full = LoadFashionMnist(*data_dir, Split::kTrain);
    if (!full.ok()) {
      *exit_code = ExitCodeFor(full.status());
      return;
    }
    auto test = LoadFashionMnist(*data_dir, Split::kTest);
    if (!test.ok()) {
      *exit_code = ExitCodeFor(test.status());
      return;
    }
    TrainValidation split = SplitTrainValidation(*full);
    if (!options->positive_classes.empty()) {
      split.train = RelabelBinary(split.train, options->positive_classes);
      split.validation = RelabelBinary(split.validation, options->positive_classes);
      *test = RelabelBinary(*test, options->positive_classes);
    }
    std::fprintf(stderr, "training %s (%s) on %zu images, validating on %zu\n",
                 options->name.c_str(), options->architecture.c_str(), split.train.size(),
                 split.validation.size());
    auto card = TrainModel(*options, split.train, split.validation, *test);
    if (!card.ok()) {
      *exit_code = ExitCodeFor(card.status());
      return;
    }
    std::printf("%s", card->ToJson().c_str());
  });
}

}  // namespace hiedge::cli
