// Own data through the shipped executables, on files the tests write: CIFAR-10 binary
// batches (resnet8 and small_cnn trained on them, HI benchmarked), a PNG/JPEG image
// folder (trained on, and streamed by hiedge-device against a server), shape mismatches
// refused by name, and the vibration use case (CSV windows, the statistical rule S-ML,
// the 1-D CNN L-ML, hi-bench).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/model_card.h"
#include "hiedge/server/server.h"
#include "testing/both_servers.h"
#include "testing/data_files.h"
#include "testing/hiedge_cli.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::RunProcess;
const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";
const std::string kProfiles = std::string(HIEDGE_SOURCE_DIR) + "/data/device_profiles.json";

class OwnDataProcessTest : public ::testing::Test {
 protected:
  int Hiedge(std::vector<std::string> args) { return cli_.Run(std::move(args)); }
  std::string Stderr() const { return cli_.Stderr(); }
  nlohmann::json Json(const std::string& name) const { return cli_.Json(name); }
  std::string Train(const std::string& arch, const std::string& name, const std::string& data,
                    int epochs = 1) {
    const std::string out = (dir_ / "models").string();
    EXPECT_EQ(
        Hiedge({"train", "--arch", arch, "--name", name, "--data", data, "--out", out, "--epochs",
                std::to_string(epochs), "--batch-size", "16", "--threads", "1", "--seed", "1"}),
        0)
        << Stderr();
    return out + "/" + name + ".json";
  }
  testing::HiedgeCli cli_{"hiedge_own_data"};
  const testing::ScopedTempDir& dir_ = cli_.dir();
};

TEST_F(OwnDataProcessTest, Cifar10BatchesTrainResNet8AndRunHiThroughTheServer) {
  const auto cifar = dir_ / "cifar-10-batches-bin";
  testing::WriteCifarBatch(cifar / "data_batch_1.bin", 6, 1);
  testing::WriteCifarBatch(cifar / "data_batch_2.bin", 6, 2);
  testing::WriteCifarBatch(cifar / "test_batch.bin", 3, 3);
  const std::string sml = Train("resnet8", "cifar_sml", dir_.path().string());
  const std::string lml = Train("small_cnn", "cifar_lml", dir_.path().string(), 2);
  auto card = ReadModelCard(sml);
  ASSERT_TRUE(card.ok());
  EXPECT_EQ(card->input_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(card->dataset, dir_.path().string());
  EXPECT_TRUE(card->pixel_inputs);
  // The validation split is carved from the 120 training images: a sixth.
  ASSERT_EQ(Hiedge({"calibrate", "--local", sml, "--remote", lml, "--data", dir_.path().string(),
                    "--out", (dir_ / "cal").string()}),
            0)
      << Stderr();
  const nlohmann::json decision = Json("cal/decision.json");
  EXPECT_EQ(decision["calibration"]["samples"], 20);
  EXPECT_EQ(decision["calibration"]["validation_seed"], kDefaultSplitSeed);
  ASSERT_EQ(Hiedge({"hi-bench", "--profiles", kProfiles, "--data", dir_.path().string(), "--local",
                    sml, "--remote", lml, "--decision", (dir_ / "cal" / "decision.json").string(),
                    "--json", (dir_ / "bench.json").string()}),
            0)
      << Stderr();
  const nlohmann::json bench = Json("bench.json");
  ASSERT_EQ(bench["strategies"].size(), 3u);
  EXPECT_EQ(bench["strategies"][0]["offload_rate"]["value"], 0.0);
  EXPECT_EQ(bench["strategies"][1]["offload_rate"]["value"], 1.0);
  EXPECT_EQ(bench["strategies"][1]["samples"], 30);
  EXPECT_EQ(bench["strategies"][1]["accuracy"]["kind"], "measured");
  EXPECT_EQ(bench["payload"], "UINT8");
  EXPECT_EQ(bench["strategies"][1]["bytes_sent_per_sample"]["value"],
            bench["request_bytes"]["value"]);
  EXPECT_EQ(bench["strategies"][2]["device_profiles"][0]["energy_mj"]["kind"], "modelled");

  // A Fashion-MNIST model on CIFAR-10 data is refused by name, not answered.
  EXPECT_EQ(Hiedge({"calibrate", "--local", kModels + "/sml.json", "--remote", lml, "--data",
                    dir_.path().string(), "--out", (dir_ / "cal2").string()}),
            2);
  EXPECT_NE(Stderr().find("3x32x32"), std::string::npos) << Stderr();
  EXPECT_NE(Stderr().find("1x28x28"), std::string::npos) << Stderr();
}

TEST_F(OwnDataProcessTest, ImageFolderTrainsAndStreamsThroughHiedgeDevice) {
  const auto images = dir_ / "flowers";
  testing::WriteImageFolder(images / "train", {"daisy", "rose", "tulip"}, 12, 40, 36, 3, 1);
  testing::WriteImageFolder(images / "test", {"daisy", "rose", "tulip"}, 4, 40, 36, 3, 2);
  // Unfitted, the data takes its first image's shape.
  const std::string model = Train("small_cnn", "flowers", images.string(), 2);
  EXPECT_EQ(ReadModelCard(model)->input_shape, (std::vector<int64_t>{3, 40, 36}));

  // hiedge-device with the shipped Fashion-MNIST S-ML: the folder is fitted to its
  // 1x28x28 input (grey, resized, centre-cropped) and every image answered once.
  InferenceService service;
  auto lml = LoadModel(kModels + "/lml.json");
  ASSERT_TRUE(lml.ok());
  ASSERT_TRUE(service.AddModel("lml", std::move(*lml)).ok());
  testing::BothServers servers(&service);
  ASSERT_TRUE(servers.ok());
  ASSERT_EQ(RunProcess({HIEDGE_DEVICE_BINARY, "--local", kModels + "/sml.json", "--out",
                        (dir_ / "out").string(), "--server",
                        "127.0.0.1:" + std::to_string(servers.port("rest")), "--data",
                        images.string(), "--theta", "0.9"},
                       dir_.path()),
            0)
      << Stderr();
  std::ifstream answers(dir_ / "out" / "answers.csv");
  size_t lines = 0;
  for (std::string line; std::getline(answers, line);) ++lines;
  EXPECT_EQ(lines, 1u + 12u);  // Header + 3 classes x 4 test images.

  // A corrupt image fails the run with its name (exit 4: data loss), not a guess.
  testing::WriteText(images / "test" / "rose" / "broken.png", "not a png");
  EXPECT_EQ(Hiedge({"hi-bench", "--data", images.string(), "--local", model, "--remote", model,
                    "--json", (dir_ / "b.json").string()}),
            4);
  EXPECT_NE(Stderr().find("broken.png"), std::string::npos) << Stderr();
}

TEST_F(OwnDataProcessTest, VibrationUseCaseRuleAndCnnThroughHiBench) {
  const auto vib = dir_ / "vibration";
  ASSERT_EQ(Hiedge({"vibration-data", "--out", vib.string(), "--train-per-condition", "30",
                    "--test-per-condition", "10", "--window", "512", "--impulse", "1.5"}),
            0)
      << Stderr();
  const std::string manifest = (vib / "manifest.json").string();
  const std::string rule = Train("statistical_rule", "vib_rule", manifest);
  const std::string cnn = Train("cnn1d", "vib_cnn", manifest, 3);
  auto rule_card = ReadModelCard(rule);
  ASSERT_TRUE(rule_card.ok());
  EXPECT_EQ(rule_card->format, "statistical_rule");
  EXPECT_EQ(rule_card->input_shape, (std::vector<int64_t>{1, 1, 512}));
  EXPECT_FALSE(rule_card->pixel_inputs);
  EXPECT_GT(rule_card->test_accuracy, 0.25);  // Better than chance over four conditions.
  EXPECT_FALSE(ReadModelCard(cnn)->pixel_inputs);

  testing::WriteText(dir_ / "results.md", "# Results\n\n");
  ASSERT_EQ(
      Hiedge({"hi-bench", "--profiles", kProfiles, "--data", manifest, "--local", rule, "--remote",
              cnn, "--json", (dir_ / "vib.json").string(), "--beta", "0.1", "--markdown-append",
              (dir_ / "results.md").string(), "--title", "Vibration's table"}),
      0)
      << Stderr();
  // The section names the command that made it, quoted so that it reruns as it is.
  const std::string markdown = ReadTextFile((dir_ / "results.md").string()).value();
  EXPECT_NE(markdown.find("## Vibration's table\n"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("--title 'Vibration'\\''s table'"), std::string::npos) << markdown;
  EXPECT_NE(markdown.find("| S-ML only | "), std::string::npos) << markdown;
  const nlohmann::json bench = Json("vib.json");
  ASSERT_EQ(bench["strategies"].size(), 3u);
  EXPECT_EQ(bench["payload"], "FP32");  // Readings are not pixels.
  EXPECT_EQ(bench["class_names"], nlohmann::json({"healthy", "inner_race", "outer_race", "ball"}));
  EXPECT_EQ(bench["strategies"][0]["accuracy"]["value"], rule_card->test_accuracy);
  EXPECT_EQ(bench["strategies"][0]["samples"], 40);

  // The CNN cannot take windows of another length: a clear error, exit 2.
  ASSERT_EQ(Hiedge({"vibration-data", "--out", (dir_ / "long").string(), "--train-per-condition",
                    "6", "--test-per-condition", "2", "--window", "1024"}),
            0);
  EXPECT_EQ(Hiedge({"hi-bench", "--data", (dir_ / "long" / "manifest.json").string(), "--local",
                    cnn, "--remote", cnn, "--json", (dir_ / "x.json").string()}),
            2);
  EXPECT_NE(Stderr().find("1x1x1024"), std::string::npos) << Stderr();
}

}  // namespace
}  // namespace hiedge
