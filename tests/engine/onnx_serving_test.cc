// ONNX beyond the engine: Triton's onnxruntime_onnx layout served by the model
// repository, and the shipped ONNX files checked against the exporter and onnx.checker.
#include <gtest/gtest.h>

#include <cmath>

#include "common/files.h"
#include "hiedge/server/model_repository.h"
#include "hiedge/server/server.h"
#include "hiedge/torch/train.h"
#include "testing/onnx_fixtures.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;
using testing::kPython;
using testing::kSource;
using testing::ReadFloats;
using testing::Shell;
using testing::UserOnnxModelTest;

// Triton's layout for ONNX Runtime models: <model>/config.pbtxt + <version>/model.onnx.
TEST_F(UserOnnxModelTest, ServesTritonsOnnxruntimeLayout) {
  const fs::path root = dir_ / "repository";
  fs::create_directories(root / "user" / "1");
  fs::copy_file(dir_ / "user_cnn.onnx", root / "user" / "1" / "model.onnx");
  ASSERT_TRUE(WriteTextFile((root / "user" / "config.pbtxt").string(), R"(
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "INPUT__0", data_type: TYPE_FP32, dims: [ 3, 8, 8 ] } ]
output [ { name: "OUTPUT__0", data_type: TYPE_FP32, dims: [ 5 ] } ]
)")
                  .ok());
  InferenceService service;
  ModelRepository repo(root.string(), &service);
  auto events = repo.Poll();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE((*events)[0].status.ok()) << (*events)[0].status.ToString();
  protocol::InferRequest request;
  request.inputs.push_back({"INPUT__0", "FP32", {4, 3, 8, 8}, ReadFloats(dir_ / "input.bin"), {}});
  auto response = service.Infer("user", "", request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  // Served under config.pbtxt's names (they used to be replaced by "input"/"logits").
  EXPECT_EQ(response->outputs[0].name, "OUTPUT__0");
  auto metadata = service.GetModelMetadata("user", "");
  ASSERT_TRUE(metadata.ok());
  EXPECT_EQ(metadata->inputs[0].name, "INPUT__0");
  EXPECT_EQ(metadata->outputs[0].name, "OUTPUT__0");
  protocol::InferRequest hiedge_names = request;
  hiedge_names.inputs[0].name = "input";
  EXPECT_EQ(service.Infer("user", "", hiedge_names).status().code(), StatusCode::kInvalidArgument);
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  ASSERT_EQ(response->outputs[0].data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    // Its graph ends in a Softmax (detected): served as log probabilities.
    EXPECT_NEAR(std::exp(response->outputs[0].data[i]), expected[i], 1e-5);
  }
}

// Every shipped ONNX file passes onnx.checker (full shape inference) and is exactly what
// `hiedge export` makes from the shipped libtorch weights.
TEST(ShippedOnnxTest, PassesTheCheckerAndIsTheExportOfTheTrainedWeights) {
  const testing::ScopedTempDir dir("hiedge_export");
  for (const char* name : {"sml", "resnet8", "resnet20", "footwear", "lml", "expert0", "expert1",
                           "expert2", "expert3"}) {
    const std::string shipped = kSource + "/models/" + name + ".onnx";
    EXPECT_EQ(Shell(kPython +
                    " -c \"import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                    "full_check=True)\" " +
                    shipped),
              0)
        << shipped;
    const std::string card = (dir / (std::string(name) + ".json")).string();
    auto original = ReadModelCard(kSource + "/models/" + name + ".json");
    ASSERT_TRUE(original.ok());
    ModelCard copy = *original;
    copy.alternates["hiedge"] = kSource + "/models/" + original->alternates.at("hiedge");
    // The exporter resolves weights relative to the card: point at the shipped .pt.
    copy.alternates["hiedge"] =
        fs::relative(kSource + "/models/" + original->alternates.at("hiedge"), dir.path()).string();
    ASSERT_TRUE(WriteModelCard(copy, card).ok());
    const std::string fresh = (dir / (std::string(name) + ".onnx")).string();
    auto exported = ExportModel(card, fresh);
    ASSERT_TRUE(exported.ok()) << exported.status().ToString();
    auto a = ReadTextFile(fresh);
    auto b = ReadTextFile(shipped);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_TRUE(*a == *b) << name << ": the shipped ONNX is not the export of its weights";
  }
}

}  // namespace
}  // namespace hiedge
