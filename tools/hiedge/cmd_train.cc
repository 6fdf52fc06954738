#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "engine/features.h"
#include "eval/core/rule_model.h"
#include "hiedge/data/data.h"
#include "hiedge/data/data_source.h"
#include "hiedge/torch/train.h"

namespace hiedge::cli {
namespace {

// The name a card records for the data: Fashion-MNIST for Debian's package, else the
// source as given.
std::string DataName(const std::string& source) {
  return source == kFashionMnistDir ? "fashion-mnist" : source;
}

// Every value is a byte / 255: the model takes pixels (servers accept UINT8 for it).
bool HoldsPixels(const Dataset& data) {
  return std::all_of(data.images.begin(), data.images.end(), [](float v) {
    const float bytes = v * 255.0f;
    return v >= 0 && v <= 1 && std::abs(bytes - std::round(bytes)) < 1e-3f;
  });
}

}  // namespace

void AddTrainCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "train", "Train a model (or fit the statistical rule S-ML) on --data; write weights + card");
  auto options = std::make_shared<TrainOptions>();
  auto data_dir = std::make_shared<std::string>(kFashionMnistDir);
  cmd->add_option("--arch", options->architecture,
                  "small_cnn | resnet8 (MLPerf Tiny's, 1 exit) | resnet20 (2 exits) | vgg | "
                  "vgg_small | expert | expert_deep (experts: on features) | cnn1d (signal "
                  "windows) | statistical_rule (threshold rule on window statistics, no torch)")
      ->check(CLI::IsMember([] {
        std::vector<std::string> names = TrainableArchitectures();
        names.push_back(kStatisticalRuleArchitecture);
        return names;
      }()))
      ->capture_default_str();
  cmd->add_option("--name", options->name, "Model name (output <dir>/<name>.pt/.json)")
      ->capture_default_str();
  cmd->add_option("--out", options->output_dir, "Output folder")->capture_default_str();
  cli::AddDataOption(cmd, data_dir.get());
  cmd->add_option("--epochs", options->epochs, "Passes over the training split")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--batch-size", options->batch_size, "Images per optimiser step")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--lr", options->learning_rate, "Peak learning rate (cosine schedule)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--weight-decay", options->weight_decay, "L2 weight decay (SGD)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--label-smoothing", options->label_smoothing,
                  "Label smoothing of the cross-entropy loss")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--augment", options->augment, "Random crop (pad 2) + horizontal flip")
      ->capture_default_str();
  cmd->add_option("--exit-loss-weight", options->early_exit_loss_weight,
                  "Weight of each early exit's loss in the joint training loss")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of initialisation and shuffling")
      ->capture_default_str();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--force", *force, "Overwrite an existing model of this name in --out");
  cmd->add_option("--threads", options->threads, "Intra-op threads (0 = default)")
      ->capture_default_str();
  cmd->add_option("--positive-classes", options->positive_classes,
                  "Train a binary filter: these classes vs the rest (e.g. 5 7 9 = footwear)")
      ->check(CLI::Range(0, 9));
  cmd->add_option("--classes", options->classes,
                  "Train on these classes only; output k = the k-th class listed")
      ->check(CLI::Range(0, 9));
  cmd->add_flag("--other-class", options->other_class,
                "With --classes: one more output for every other class (\"not mine\")");
  auto features_from = std::make_shared<std::string>();
  cmd->add_option("--features-from", *features_from,
                  "Train on another model's mid-layer features (its card; a two-level expert)")
      ->check(CLI::ExistingFile);
  auto feature_stages = std::make_shared<int>(2);
  cmd->add_option("--feature-stages", *feature_stages,
                  "Stages of --features-from whose output is the input")
      ->check(Positive())
      ->capture_default_str();
  auto augmented_copies = std::make_shared<int>(0);
  cmd->add_option("--augmented-copies", *augmented_copies,
                  "Add this many augmented copies (crop, flip) of the training images before "
                  "any feature mapping: augmentation for models on features")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  auto teacher = std::make_shared<std::string>();
  cmd->add_option("--teacher", *teacher,
                  "Distil from this model's soft targets (its card; e.g. the L-ML)")
      ->check(CLI::ExistingFile);
  auto distill_weight = std::make_shared<double>(0.7);
  cmd->add_option("--distill-weight", *distill_weight,
                  "With --teacher: weight of the soft-target loss (the rest: labels)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--temperature", options->distill_temperature,
                  "With --teacher: softmax temperature of teacher and student")
      ->check(Positive())
      ->capture_default_str();
  cmd->callback([options, data_dir, features_from, feature_stages, augmented_copies, teacher,
                 distill_weight, force, exit_code] {
    options->training_command = CommandLine();
    if (Status fresh =
            RefuseToOverwrite(options->output_dir + "/" + options->name + ".json", *force);
        !fresh.ok()) {
      *exit_code = ExitCodeFor(fresh);
      return;
    }
    auto full = LoadData(*data_dir, Split::kTrain);
    if (!full.ok()) {
      *exit_code = ExitCodeFor(full.status());
      return;
    }
    auto test = LoadData(*data_dir, Split::kTest);
    if (!test.ok()) {
      *exit_code = ExitCodeFor(test.status());
      return;
    }
    TrainValidation split = SplitForValidation(*full);
    options->dataset = DataName(*data_dir);
    options->pixel_inputs = HoldsPixels(*full);
    if (options->architecture == kStatisticalRuleArchitecture) {
      const RuleFitOptions fit{options->name, options->output_dir, options->dataset, options->seed,
                               options->training_command};
      auto card = FitRuleModel(fit, split.train, split.validation, *test);
      *exit_code = ExitCodeFor(card.status());
      if (card.ok()) std::printf("%s", card->ToJson().c_str());
      return;
    }
    // The data the model will see, made as its card will describe it.
    ModelCard planned;
    planned.positive_classes = options->positive_classes;
    planned.classes = options->classes;
    planned.other_class = options->other_class;
    if (options->other_class && options->classes.empty()) {
      *exit_code = ExitCodeFor(Status::InvalidArgument("--other-class needs --classes"));
      return;
    }
    if (!features_from->empty()) {
      planned.feature_model =
          std::filesystem::relative(*features_from, options->output_dir).generic_string();
      planned.feature_stages = *feature_stages;
      options->feature_model = planned.feature_model;
      options->feature_stages = *feature_stages;
    }
    if (*augmented_copies > 0) {
      split.train = WithAugmentedCopies(split.train, *augmented_copies, options->seed);
    }
    if (!teacher->empty()) {
      // The teacher sees the training images before any of the card's mapping; the
      // mapping then carries its probabilities into the student's classes.
      options->distill_weight = *distill_weight;
      options->teacher_model = std::filesystem::path(*teacher).filename().string();
      auto model = LoadModel(*teacher);
      Status attached =
          model.ok() ? AttachTeacherProbabilities(**model, &split.train) : model.status();
      if (!attached.ok()) {
        *exit_code = ExitCodeFor(attached);
        return;
      }
      size_t agree = 0;
      const size_t classes = static_cast<size_t>(split.train.num_classes);
      for (size_t i = 0; i < split.train.size(); ++i) {
        const float* p = split.train.soft_labels.data() + i * classes;
        agree += std::max_element(p, p + classes) - p == split.train.labels[i];
      }
      std::fprintf(stderr, "teacher %s agrees with %.2f%% of the training labels\n",
                   options->teacher_model.c_str(),
                   100.0 * static_cast<double>(agree) / static_cast<double>(split.train.size()));
    }
    // The card names its feature model relative to --out, so --out must exist to resolve it.
    std::error_code made;
    std::filesystem::create_directories(options->output_dir, made);
    const std::string card_path = options->output_dir + "/" + options->name + ".json";
    for (Dataset* data : {&split.train, &split.validation, &*test}) {
      auto seen = DatasetForCard(planned, card_path, *data);
      if (!seen.ok()) {
        *exit_code = ExitCodeFor(seen.status());
        return;
      }
      *data = std::move(*seen);
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
