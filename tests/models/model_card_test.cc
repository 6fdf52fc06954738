#include "hiedge/common/model_card.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "hiedge/engine/model.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;
const std::string kSmlCard = std::string(HIEDGE_SOURCE_DIR) + "/models/sml.json";

FloatTensor Images(int64_t n) {
  FloatTensor t{{n, 1, 28, 28}, std::vector<float>(static_cast<size_t>(n) * 784)};
  for (size_t i = 0; i < t.data.size(); ++i)
    t.data[i] = static_cast<float>((i * 37) % 255) / 255.0f;
  return t;
}

TEST(ModelCardTest, JsonRoundTrip) {
  ModelCard c;
  c.name = "m";
  c.architecture = "vgg";
  c.weights = "m.pt";
  c.input_shape = {1, 28, 28};
  c.parameter_count = 12;
  c.test_accuracy = 0.9;
  auto back = ModelCard::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "m");
  EXPECT_EQ(back->input_shape, c.input_shape);
  EXPECT_EQ(back->parameter_count, 12);
  EXPECT_DOUBLE_EQ(back->test_accuracy, 0.9);
}

TEST(ModelCardTest, ExpertFieldsRoundTripAndAreChecked) {
  ModelCard c;
  c.name = "expert0";
  c.architecture = "expert";
  c.weights = "expert0.pt";
  c.input_shape = {32, 7, 7};
  c.num_classes = 3;
  c.classes = {0, 2, 6};
  c.feature_model = "sml.json";
  c.feature_stages = 2;
  auto back = ModelCard::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->classes, c.classes);
  EXPECT_EQ(back->feature_model, "sml.json");
  EXPECT_EQ(back->feature_stages, 2);
  c.classes = {0, 2};  // Not num_classes entries...
  EXPECT_EQ(ModelCard::FromJson(c.ToJson()).status().code(), StatusCode::kInvalidArgument);
  c.other_class = true;  // ... unless the last output is "other".
  auto with_other = ModelCard::FromJson(c.ToJson());
  ASSERT_TRUE(with_other.ok()) << with_other.status().ToString();
  EXPECT_TRUE(with_other->other_class);
  c.classes = {};
  EXPECT_EQ(ModelCard::FromJson(c.ToJson()).status().code(), StatusCode::kInvalidArgument);
  c.other_class = false;
  c.classes = {0, 2, 6};
  c.feature_stages = 0;
  EXPECT_EQ(ModelCard::FromJson(c.ToJson()).status().code(), StatusCode::kInvalidArgument);
}

// Found by the config fuzzer: a float where an integer belongs was undefined
// behaviour, and a non-finite number wrote a card that could not be read back.
TEST(ModelCardTest, RejectsNonIntegerAndNonFiniteNumbers) {
  const std::string base =
      R"({"name":"m","architecture":"vgg","weights":"w","input_shape":[1,28,28],)";
  auto code = [&](const std::string& rest) {
    return ModelCard::FromJson(base + rest).status().code();
  };
  EXPECT_TRUE(ModelCard::FromJson(base + R"("num_classes":10})").ok());
  EXPECT_EQ(code(R"("num_classes":1e300})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"("num_classes":10.5})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"("num_classes":10,"epochs":99999999999})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"("num_classes":10,"seed":-1})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"("num_classes":10,"classes":[1e300]})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(R"("num_classes":10,"test_accuracy":1e999})"), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ModelCard::FromJson(
          R"({"name":"m","architecture":"vgg","weights":"w","input_shape":[1,2e300,28],"num_classes":10})")
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(ModelCardTest, RejectsBadCards) {
  EXPECT_FALSE(ModelCard::FromJson("{").ok());
  EXPECT_FALSE(ModelCard::FromJson(R"({"name":"m"})").ok());
  EXPECT_FALSE(
      ModelCard::FromJson(
          R"({"name":"m","architecture":"vgg","weights":"w","input_shape":[28,28],"num_classes":10})")
          .ok());
  EXPECT_FALSE(
      ModelCard::FromJson(
          R"({"name":"m","architecture":"vgg","weights":"w","input_shape":[1,28,28],"num_classes":10,"format":"TF Lite"})")
          .ok());
  EXPECT_EQ(ReadModelCard("/nonexistent.json").status().code(), StatusCode::kNotFound);
}

// Formats come from the backend registry: a well-formed format no backend reads parses,
// and LoadModel refuses it naming what this build reads.
TEST(ModelCardTest, FormatsNoBackendReadsAreRefusedByLoadModelWithTheRegisteredOnes) {
  auto card = ModelCard::FromJson(
      R"({"name":"m","architecture":"vgg","weights":"w","input_shape":[1,28,28],"num_classes":10,"format":"tflite"})");
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  const auto loaded = LoadModelFromCard(*card, "/tmp");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("tflite"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("xnnpack (onnx)"), std::string::npos)
      << loaded.status().message();
}

TEST(LoadModelTest, MissingWeightsAndUnknownArchitectureFailCleanly) {
  const testing::ScopedTempDir temp("hiedge_card_test");
  const fs::path dir = temp.path();
  fs::create_directories(dir);
  auto card = ReadModelCard(kSmlCard);
  ASSERT_TRUE(card.ok());
  const fs::path models = fs::path(HIEDGE_SOURCE_DIR) / "models";
  ModelCard broken = *card;
  broken.weights = "missing.onnx";
  ASSERT_TRUE(WriteModelCard(broken, (dir / "a.json").string()).ok());
  EXPECT_EQ(LoadModel((dir / "a.json").string()).status().code(), StatusCode::kNotFound);
  // An ONNX file that is not one.
  std::ofstream((dir / "junk.onnx").string()) << "not a protobuf at all";
  broken.weights = "junk.onnx";
  ASSERT_TRUE(WriteModelCard(broken, (dir / "junk.json").string()).ok());
  EXPECT_EQ(LoadModel((dir / "junk.json").string()).status().code(), StatusCode::kDataLoss);
  // The torch backend builds the card's architecture: unknown ones are refused...
  broken = *card;
  broken.alternates["hiedge"] = fs::relative(models / "sml.pt", dir).string();
  broken.architecture = "transformer";
  ASSERT_TRUE(WriteModelCard(broken, (dir / "b.json").string()).ok());
  EXPECT_EQ(LoadModel((dir / "b.json").string(), {"torch", 1}).status().code(),
            StatusCode::kInvalidArgument);
  // ...and weights of another architecture do not load silently.
  broken.architecture = "resnet8";
  ASSERT_TRUE(WriteModelCard(broken, (dir / "c.json").string()).ok());
  EXPECT_EQ(LoadModel((dir / "c.json").string(), {"torch", 1}).status().code(),
            StatusCode::kDataLoss);
  // A backend this build lacks is a clear precondition failure.
  auto missing = LoadModel(kSmlCard, {"tensorrt", 1});
  EXPECT_EQ(missing.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(missing.status().message().find("xnnpack (onnx)"), std::string::npos);
}

TEST(LoadModelTest, StagesExitsAndBatchesAgree) {
  auto model = LoadModel(kSmlCard);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  InferenceBackend& m = **model;
  const FloatTensor images = Images(3);
  auto logits = m.Infer(images);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(logits->shape, (std::vector<int64_t>{3, 10}));

  // Running the stages in two parts (a DNN-partitioning split) gives the same logits.
  ASSERT_GE(m.info().num_stages, 2);
  auto head = m.RunStages(images, 0, 1);
  ASSERT_TRUE(head.ok());
  auto tail = m.RunStages(*head, 1, m.info().num_stages);
  ASSERT_TRUE(tail.ok());
  for (size_t i = 0; i < logits->data.size(); ++i)
    EXPECT_NEAR(tail->data[i], logits->data[i], 1e-4);

  // The last exit is the final one; S-ML has one early exit.
  auto exits = m.InferAllExits(images);
  ASSERT_TRUE(exits.ok());
  ASSERT_EQ(exits->size(), m.info().early_exit_after_stage.size() + 1);
  EXPECT_EQ(m.info().early_exit_after_stage.size(), 1u);
  for (size_t i = 0; i < logits->data.size(); ++i)
    EXPECT_NEAR(exits->back().data[i], logits->data[i], 1e-4);

  // Batch of 3 equals three batches of 1.
  for (int64_t r = 0; r < 3; ++r) {
    FloatTensor one{{1, 1, 28, 28}, std::vector<float>(images.row(r), images.row(r) + 784)};
    auto single = m.Infer(one);
    ASSERT_TRUE(single.ok());
    for (int k = 0; k < 10; ++k) EXPECT_NEAR(single->data[k], logits->row(r)[k], 1e-4);
  }
}

TEST(LoadModelTest, BadInputIsInvalidArgument) {
  auto model = LoadModel(kSmlCard);
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->Infer({{1, 1, 27, 28}, std::vector<float>(27 * 28)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->Infer({{2, 1, 28, 28}, std::vector<float>(784)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->RunStages(Images(1), 2, 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(LoadModelTest, TorchScriptModelsLoadThroughTheirCard) {
  const testing::ScopedTempDir temp("hiedge_ts_test");
  const fs::path dir = temp.path();
  fs::create_directories(dir);
  torch::jit::Module module("UserModel");
  module.define(R"(
    def forward(self, x):
        return x.flatten(1)[:, 0:10] * 2.0
  )");
  module.save((dir / "user.pt").string());
  ModelCard card;
  card.name = "user";
  card.architecture = "torchscript";
  card.format = "torchscript";
  card.weights = "user.pt";
  card.input_shape = {1, 28, 28};
  ASSERT_TRUE(WriteModelCard(card, (dir / "user.json").string()).ok());
  auto model = LoadModel((dir / "user.json").string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto logits = (*model)->Infer(Images(2));
  ASSERT_TRUE(logits.ok()) << logits.status().ToString();
  EXPECT_EQ(logits->shape, (std::vector<int64_t>{2, 10}));
  EXPECT_FLOAT_EQ(logits->data[1], 2 * Images(2).data[1]);
  EXPECT_EQ((*model)->RunStages(Images(1), 0, 2).status().code(), StatusCode::kInvalidArgument);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hiedge

#include "eval/core/timing.h"

namespace hiedge {
namespace {

TEST(PartitioningTest, EverySplitPointIsTimedWithItsActivation) {
  auto model = LoadModel(kSmlCard);
  ASSERT_TRUE(model.ok());
  Dataset data;
  data.channels = 1;
  data.height = data.width = 28;
  data.num_classes = 10;
  data.images = Images(2).data;
  data.labels = {0, 1};
  auto splits = MeasurePartitioning(**model, data, 2);
  ASSERT_TRUE(splits.ok()) << splits.status().ToString();
  ASSERT_EQ(splits->size(), static_cast<size_t>((*model)->info().num_stages + 1));
  EXPECT_EQ(splits->front().activation_bytes, 784 * 4);  // The image itself.
  EXPECT_EQ((*splits)[1].activation_shape, (std::vector<int64_t>{16, 14, 14}));
  EXPECT_EQ(splits->back().activation_bytes, 10 * 4);  // Logits.
  EXPECT_EQ(MeasurePartitioning(**model, Dataset{}, 2).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge

#include "hiedge/server/model_repository.h"

namespace hiedge {
namespace {

// A card that disagrees with its weights fails at load with a one-line message.
TEST(LoadModelTest, CardsThatDisagreeWithTheirWeightsFailToLoad) {
  const testing::ScopedTempDir temp("hiedge_mismatch");
  const fs::path dir = temp.path();
  fs::create_directories(dir);
  auto sml = ReadModelCard(kSmlCard);
  ASSERT_TRUE(sml.ok());
  for (const char* file : {"sml.pt", "sml.onnx"}) {
    fs::copy_file(std::string(HIEDGE_SOURCE_DIR) + "/models/" + file, dir / file,
                  fs::copy_options::overwrite_existing);
  }
  ModelCard classes = *sml;
  classes.num_classes = 12;
  ASSERT_TRUE(WriteModelCard(classes, (dir / "classes.json").string()).ok());
  ModelCard shape = *sml;
  shape.input_shape = {1, 32, 32};
  ASSERT_TRUE(WriteModelCard(shape, (dir / "shape.json").string()).ok());
  for (const char* card : {"classes.json", "shape.json"}) {
    auto model = LoadModel((dir / card).string());
    ASSERT_FALSE(model.ok()) << card << " loaded although it disagrees with its weights";
    EXPECT_EQ(model.status().code(), StatusCode::kDataLoss) << model.status().ToString();
    EXPECT_EQ(model.status().message().find('\n'), std::string::npos)
        << "not one line: " << model.status().message();
    EXPECT_EQ(model.status().message().find("frame #"), std::string::npos);
  }
  // A TorchScript module is dry-run: 10 outputs against a card of 5 classes.
  torch::jit::Module module("UserModel");
  module.define(R"(
    def forward(self, x):
        return x.flatten(1)[:, 0:10]
  )");
  module.save((dir / "user.pt").string());
  ModelCard user;
  user.name = "user";
  user.architecture = user.format = "torchscript";
  user.weights = "user.pt";
  user.input_shape = {1, 28, 28};
  user.num_classes = 5;
  ASSERT_TRUE(WriteModelCard(user, (dir / "user.json").string()).ok());
  auto ts = LoadModel((dir / "user.json").string());
  ASSERT_FALSE(ts.ok());
  EXPECT_NE(ts.status().message().find("logits of shape [1,10]"), std::string::npos)
      << ts.status().ToString();
  fs::remove_all(dir);
}

// Triton's own layout for a TorchScript model, without a hiedge card.
TEST(ModelRepositoryTorchScriptTest, PytorchLibtorchModelsLoadFromConfigDims) {
  const testing::ScopedTempDir temp("hiedge_triton");
  const fs::path root = temp.path();
  fs::create_directories(root / "user" / "1");
  fs::create_directories(root / "wrong" / "1");
  torch::jit::Module module("UserModel");
  module.define(R"(
    def forward(self, x):
        return x.flatten(1)[:, 0:10] * 2.0
  )");
  module.save((root / "user" / "1" / "model.pt").string());
  module.save((root / "wrong" / "1" / "model.pt").string());
  const std::string config = R"(
platform: "pytorch_libtorch"
max_batch_size: 16
input [ { name: "INPUT__0", data_type: TYPE_FP32, dims: [ 1, 28, 28 ] } ]
)";
  ASSERT_TRUE(
      WriteTextFile(
          (root / "user" / "config.pbtxt").string(),
          config + R"(output [ { name: "OUTPUT__0", data_type: TYPE_FP32, dims: [ 10 ] } ])")
          .ok());
  ASSERT_TRUE(WriteTextFile(
                  (root / "wrong" / "config.pbtxt").string(),
                  config + R"(output [ { name: "OUTPUT__0", data_type: TYPE_FP32, dims: [ 4 ] } ])")
                  .ok());
  InferenceService service;
  ModelRepository repo(root.string(), &service);
  auto events = repo.Poll();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].model, "user");
  EXPECT_TRUE((*events)[0].status.ok()) << (*events)[0].status.ToString();
  EXPECT_FALSE((*events)[1].status.ok()) << "dims [4] disagree with the module's 10 outputs";
  EXPECT_NE((*events)[1].status.message().find("logits of shape [1,10]"), std::string::npos)
      << (*events)[1].status.ToString();
  protocol::InferRequest request;
  request.inputs.push_back({"INPUT__0", "FP32", {2, 1, 28, 28}, Images(2).data, {}});
  auto response = service.Infer("user", "", request);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->outputs[0].name, "OUTPUT__0") << "config.pbtxt's names";
  EXPECT_EQ(response->outputs[0].shape, (std::vector<int64_t>{2, 10}));
  EXPECT_FLOAT_EQ(response->outputs[0].data[1], 2 * Images(2).data[1]);
  fs::remove_all(root);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

TEST(ModelIdentityTest, NamesTheModelAndHashesItsWeights) {
  auto sml = ModelIdentity(kSmlCard);
  auto lml = ModelIdentity(std::string(HIEDGE_SOURCE_DIR) + "/models/lml.json");
  ASSERT_TRUE(sml.ok() && lml.ok());
  EXPECT_EQ(sml->rfind("sml@", 0), 0u) << *sml;
  EXPECT_EQ(sml->size(), 4u + 16u);
  EXPECT_NE(*sml, *lml);
  EXPECT_EQ(*ModelIdentity(kSmlCard), *sml) << "deterministic";
  EXPECT_EQ(ModelIdentity("/nonexistent/card.json").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge
