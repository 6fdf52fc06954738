// `hiedge vibration-data`: writes seed 000's vibration use case as a data set any
// --data takes: train.csv and test.csv (CSV windows) and manifest.json, from the seeded
// bearing generator (hiedge/data/vibration.h; physics in docs/data.md).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "common/files.h"
#include "hiedge/data/data_source.h"
#include "hiedge/data/vibration.h"

namespace hiedge::cli {
namespace {

struct VibrationDataArgs {
  std::string out = "results/vibration";
  size_t train_per_condition = 600;
  size_t test_per_condition = 250;
  uint64_t seed = 1;
  VibrationOptions generator;
  bool force = false;
};

Status WriteVibrationData(const VibrationDataArgs& a) {
  const std::string manifest_path = a.out + "/manifest.json";
  HIEDGE_RETURN_IF_ERROR(RefuseToOverwrite(manifest_path, a.force));
  const Dataset train = GenerateVibrationWindows(a.train_per_condition, a.generator, a.seed);
  // The test windows come from another seed: other speeds, phases and noise.
  const Dataset test = GenerateVibrationWindows(a.test_per_condition, a.generator, a.seed + 1000);
  HIEDGE_RETURN_IF_ERROR(WriteCsvWindows(train, a.out + "/train.csv"));
  HIEDGE_RETURN_IF_ERROR(WriteCsvWindows(test, a.out + "/test.csv"));
  const nlohmann::json manifest = {{"format", "csv_windows"},
                                   {"shape", {1, 1, a.generator.window}},
                                   {"class_names", {"healthy", "inner_race", "outer_race", "ball"}},
                                   {"train", "train.csv"},
                                   {"test", "test.csv"}};
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(manifest_path, manifest.dump(2) + "\n"));
  std::printf("%-11s %8s %9s %7s  (training windows, means)\n", "condition", "rms", "kurtosis",
              "crest");
  const char* names[] = {"healthy", "inner_race", "outer_race", "ball"};
  for (int c = 0; c < kBearingConditions; ++c) {
    double rms = 0, kurtosis = 0, crest = 0;
    size_t n = 0;
    for (size_t i = 0; i < train.size(); ++i) {
      if (train.labels[i] != c) continue;
      const VibrationStatistics s = ComputeVibrationStatistics(train.sample(i).data);
      rms += s.rms;
      kurtosis += s.kurtosis;
      crest += s.crest_factor;
      ++n;
    }
    const double count = static_cast<double>(n);
    std::printf("%-11s %8.3f %9.3f %7.3f\n", names[c], rms / count, kurtosis / count,
                crest / count);
  }
  std::fprintf(stderr, "wrote %s (%zu training and %zu test windows of %lld readings)\n",
               manifest_path.c_str(), train.size(), test.size(),
               static_cast<long long>(a.generator.window));
  return Status::Ok();
}

}  // namespace

void AddVibrationDataCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "vibration-data",
      "Write seeded bearing vibration windows (seed 000's use case) as a CSV data set");
  auto a = std::make_shared<VibrationDataArgs>();
  cmd->add_option("--out", a->out, "Folder for manifest.json, train.csv, test.csv")
      ->capture_default_str();
  cmd->add_option("--train-per-condition", a->train_per_condition,
                  "Training windows per condition (healthy, inner race, outer race, ball)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--test-per-condition", a->test_per_condition, "Test windows per condition")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Generator seed (test windows: seed + 1000)")
      ->capture_default_str();
  cmd->add_option("--window", a->generator.window, "Readings per window (12 kHz)")
      ->check(CLI::Range(int64_t{256}, int64_t{65536}))
      ->capture_default_str();
  cmd->add_option("--noise", a->generator.noise_std, "Standard deviation of the white noise")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--impulse", a->generator.impulse_amplitude,
                  "Amplitude of a defect's impulses (fault severity)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_flag("--force", a->force, "Overwrite an existing data set");
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(WriteVibrationData(*a)); });
}

}  // namespace hiedge::cli
