// ONNX models from outside hiedge (built by python3-onnx, as a user's exporter would)
// and from hiedge's own exporter: checked by onnx.checker, run by the XNNPACK backend
// against a NumPy reference, refused by name when they use an unsupported operator,
// and served from Triton's onnxruntime_onnx layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "hiedge/model.h"
#include "hiedge/model_card.h"
#include "hiedge/model_repository.h"
#include "hiedge/server.h"
#include "hiedge/train.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;
const std::string kSource = HIEDGE_SOURCE_DIR;
// Debian's python3-onnx is installed for the system interpreter.
const std::string kPython = "/usr/bin/python3";

std::vector<float> ReadFloats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> values(fs::file_size(path) / sizeof(float));
  in.read(reinterpret_cast<char*>(values.data()),
          static_cast<std::streamsize>(values.size() * sizeof(float)));
  return values;
}

int Shell(const std::string& command) { return std::system((command + " >&2").c_str()); }

class UserOnnxModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(kPython + " " + kSource + "/tests/engine/make_onnx_fixtures.py " +
                  dir_.path().string()),
              0)
        << "python3-onnx (Debian) builds the fixtures";
  }
  std::string Card(const std::string& file, std::vector<int64_t> shape, int classes) {
    ModelCard card;
    card.name = "user";
    card.architecture = "onnx";
    card.format = "onnx";
    card.weights = file;
    card.input_shape = std::move(shape);
    card.num_classes = classes;
    const std::string path = (dir_ / (file + ".json")).string();
    EXPECT_TRUE(WriteModelCard(card, path).ok());
    return path;
  }
  testing::ScopedTempDir dir_{"hiedge_onnx"};
};

TEST_F(UserOnnxModelTest, RunsLikeTheNumpyReferenceAtAnyBatchSize) {
  auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<float> input = ReadFloats(dir_ / "input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  ASSERT_EQ(input.size(), 4u * 3 * 8 * 8);
  ASSERT_EQ(expected.size(), 4u * 5);
  auto batch = (*model)->Infer({{4, 3, 8, 8}, input});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape, (std::vector<int64_t>{4, 5}));
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(batch->data[i], expected[i], 1e-5) << i;
  // One row at a time, then the batch again: batch sizes change without recompiling
  // and give the same rows.
  for (int64_t r = 0; r < 4; ++r) {
    FloatTensor one{{1, 3, 8, 8}, std::vector<float>(input.begin() + r * 192,
                                                     input.begin() + (r + 1) * 192)};
    auto row = (*model)->Infer(one);
    ASSERT_TRUE(row.ok());
    for (int64_t k = 0; k < 5; ++k) EXPECT_NEAR(row->data[k], expected[r * 5 + k], 1e-5);
  }
  auto again = (*model)->Infer({{4, 3, 8, 8}, input});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data, batch->data);
}

TEST_F(UserOnnxModelTest, BadInputAndCardsAreRefused) {
  auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5));
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->Infer({{1, 3, 8, 9}, std::vector<float>(216)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->Infer({{2, 3, 8, 8}, std::vector<float>(10)}).status().code(),
            StatusCode::kInvalidArgument);
  // A card whose input shape or class count disagrees with the graph fails at load.
  EXPECT_EQ(LoadModel(Card("user_cnn.onnx", {3, 16, 16}, 5)).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 7)).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(UserOnnxModelTest, UnsupportedOperatorsAreRefusedByName) {
  auto model = LoadModel(Card("unsupported.onnx", {1, 2, 2}, 4));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnimplemented) << model.status().ToString();
  EXPECT_NE(model.status().message().find("Tanh 'squash'"), std::string::npos)
      << model.status().message();
  EXPECT_NE(model.status().message().find("GlobalAveragePool"), std::string::npos)
      << "the error lists what is supported";
}

// Triton's layout for ONNX Runtime models: <model>/config.pbtxt + <version>/model.onnx.
TEST_F(UserOnnxModelTest, ServesTritonsOnnxruntimeLayout) {
  const fs::path root = dir_ / "repository";
  fs::create_directories(root / "user" / "1");
  fs::copy_file(dir_ / "user_cnn.onnx", root / "user" / "1" / "model.onnx");
  ASSERT_TRUE(WriteTextFile((root / "user" / "config.pbtxt").string(), R"(
platform: "onnxruntime_onnx"
max_batch_size: 8
input [ { name: "input", data_type: TYPE_FP32, dims: [ 3, 8, 8 ] } ]
output [ { name: "probabilities", data_type: TYPE_FP32, dims: [ 5 ] } ]
)")
                  .ok());
  InferenceService service;
  ModelRepository repo(root.string(), &service);
  auto events = repo.Poll();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  ASSERT_TRUE((*events)[0].status.ok()) << (*events)[0].status.ToString();
  protocol::InferRequest request;
  request.inputs.push_back({"input", "FP32", {4, 3, 8, 8}, ReadFloats(dir_ / "input.bin"), {}});
  auto response = service.Infer("user", "", request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  ASSERT_EQ(response->outputs[0].data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(response->outputs[0].data[i], expected[i], 1e-5);
  }
}

// Every shipped ONNX file passes onnx.checker (full shape inference) and is exactly what
// `hiedge export` makes from the shipped libtorch weights.
TEST(ShippedOnnxTest, PassesTheCheckerAndIsTheExportOfTheTrainedWeights) {
  RegisterTorchBackends();
  const testing::ScopedTempDir dir("hiedge_export");
  for (const char* name : {"sml", "resnet8", "footwear", "lml", "expert0", "expert1",
                           "expert2", "expert3"}) {
    const std::string shipped = kSource + "/models/" + name + ".onnx";
    EXPECT_EQ(Shell(kPython + " -c \"import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                            "full_check=True)\" " + shipped),
              0)
        << shipped;
    const std::string card = (dir / (std::string(name) + ".json")).string();
    auto original = ReadModelCard(kSource + "/models/" + name + ".json");
    ASSERT_TRUE(original.ok());
    ModelCard copy = *original;
    copy.alternates["hiedge"] = kSource + "/models/" + original->alternates.at("hiedge");
    // The exporter resolves weights relative to the card: point at the shipped .pt.
    copy.alternates["hiedge"] =
        fs::relative(kSource + "/models/" + original->alternates.at("hiedge"), dir.path())
            .string();
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
