// The README's "Your own models" walk-through, done by the executables on fixture
// models: an ONNX S-ML (tests/engine/make_onnx_fixtures.py) and a TorchScript L-ML,
// each with a hand-written card, on an image folder the test writes: `hiedge calibrate`,
// `hiedge serve` (the TorchScript model), `hiedge-device` (the ONNX model, no torch).
#include <gtest/gtest.h>
#include <torch/script.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/files.h"
#include "hiedge/common/model_card.h"
#include "testing/data_files.h"
#include "testing/onnx_fixtures.h"
#include "testing/run_process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::RunProcess;

std::string TextOf(const std::filesystem::path& path) {
  auto text = ReadTextFile(path.string());
  return text.ok() ? *text : "";
}

TEST(OwnModelsProcessTest, OnnxOnTheDeviceTorchScriptOnTheServerCalibratedOnOwnImages) {
  testing::ScopedTempDir dir("hiedge_own_models");
  const auto models = dir / "models";
  std::filesystem::create_directories(models);
  ASSERT_EQ(testing::Shell(testing::kPython + " " + testing::kSource +
                           "/tests/engine/make_onnx_fixtures.py " + models.string()),
            0);
  // The S-ML: a user's ONNX file (3x8x8 images -> 5 classes) and its card.
  ModelCard onnx;
  onnx.name = "user_cnn";
  onnx.architecture = "onnx";
  onnx.format = "onnx";
  onnx.weights = "user_cnn.onnx";
  onnx.input_shape = {3, 8, 8};
  onnx.num_classes = 5;
  onnx.pixel_inputs = true;
  onnx.outputs = "probabilities";  // The graph ends in a Softmax.
  ASSERT_TRUE(WriteModelCard(onnx, (models / "user_cnn.json").string()).ok());
  // The L-ML: a TorchScript module and its card.
  torch::jit::Module module("UserLarge");
  module.define(R"(
    def forward(self, x):
        return x.flatten(1)[:, 0:5] * 4.0
  )");
  module.save((models / "user_large.pt").string());
  ModelCard torchscript = onnx;
  torchscript.name = "user_large";
  torchscript.architecture = "torchscript";
  torchscript.format = "torchscript";
  torchscript.weights = "user_large.pt";
  torchscript.outputs = "logits";
  ASSERT_TRUE(WriteModelCard(torchscript, (models / "user_large.json").string()).ok());
  // Own data: five classes of PNG/JPEG images, any size; fitted to the models' 3x8x8.
  const std::vector<std::string> classes = {"a", "b", "c", "d", "e"};
  testing::WriteImageFolder(dir / "images" / "train", classes, 12, 16, 16, 3, 1);
  testing::WriteImageFolder(dir / "images" / "test", classes, 4, 16, 16, 3, 2);
  const std::string data = (dir / "images").string();

  ASSERT_EQ(RunProcess({HIEDGE_BINARY, "calibrate", "--local", (models / "user_cnn.json").string(),
                        "--remote", (models / "user_large.json").string(), "--data", data, "--beta",
                        "0.05", "--out", (dir / "cal").string()},
                       dir.path()),
            0)
      << TextOf((dir / "stderr.txt").string());
  auto decision = ReadTextFile((dir / "cal" / "decision.json").string());
  ASSERT_TRUE(decision.ok());
  EXPECT_EQ(nlohmann::json::parse(*decision)["calibration"]["samples"], 10);  // A sixth of 60.

  testing::ServerProcess server(0, 0, (dir / "serve.log").string(),
                                {"--models-dir", models.string(), "--model", "user_large"});
  int http_port = 0, grpc_port = 0;
  ASSERT_TRUE(server.WaitServing(&http_port, &grpc_port)) << TextOf((dir / "serve.log").string());
  ASSERT_EQ(RunProcess({HIEDGE_DEVICE_BINARY, "--local", (models / "user_cnn.json").string(),
                        "--decision", (dir / "cal" / "decision.json").string(), "--no-drift",
                        "--server", "127.0.0.1:" + std::to_string(http_port), "--model",
                        "user_large", "--data", data, "--out", (dir / "out").string()},
                       dir.path()),
            0)
      << TextOf((dir / "stderr.txt").string());
  std::ifstream answers(dir / "out" / "answers.csv");
  size_t lines = 0;
  for (std::string line; std::getline(answers, line);) ++lines;
  EXPECT_EQ(lines, 1u + 20u);  // Header + every test image once.
  auto summary = ReadTextFile((dir / "out" / "summary.json").string());
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(nlohmann::json::parse(*summary)["fallbacks"], 0) << *summary;
}

}  // namespace
}  // namespace hiedge
