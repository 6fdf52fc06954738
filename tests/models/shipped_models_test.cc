// Each shipped model must match its card: architecture facts, and test accuracy ±0.2 pt.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/features.h"
#include "eval/core/eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/engine/model.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

struct Expectation {
  std::string name;
  double min_test_accuracy;
  int64_t max_weight_bytes;
  friend void PrintTo(const Expectation& e, std::ostream* os) { *os << e.name; }
};

class ShippedModelTest : public ::testing::TestWithParam<Expectation> {
 protected:
  static const Dataset& Test() {
    static const Dataset test = [] {
      auto ds = LoadFashionMnist(kFashionMnistDir, Split::kTest);
      EXPECT_TRUE(ds.ok()) << ds.status().ToString();
      return ds.ok() ? *ds : Dataset{};
    }();
    return test;
  }
};

TEST_P(ShippedModelTest, MatchesItsCard) {
  const Expectation& e = GetParam();
  const std::string card_path = kModels + "/" + e.name + ".json";
  auto card = ReadModelCard(card_path);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  // What devices and servers run (XNNPACK on the ONNX file).
  auto model = LoadModel(card_path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.macs_per_sample, card->macs_per_sample);  // Counted by the engine.
  if (card->alternates.count("hiedge")) {
    // The trained network, rebuilt by libtorch, counts its own parameters and MACs.
    auto trained = LoadModel(card_path, {"torch", 1});
    ASSERT_TRUE(trained.ok()) << trained.status().ToString();
    EXPECT_EQ((*trained)->info().parameter_count, card->parameter_count);
    EXPECT_EQ((*trained)->info().macs_per_sample, card->macs_per_sample);
  }
  if (card->precision == "int8") {
    // int8 weights + a float scale per channel + float biases: about a quarter.
    EXPECT_LT(card->size_bytes, card->parameter_count + card->parameter_count / 8);
  } else {
    EXPECT_EQ(card->precision, "fp32");
    EXPECT_EQ(card->size_bytes, 4 * card->parameter_count);
  }
  EXPECT_EQ(info.input_shape, card->input_shape);
  EXPECT_LE(card->size_bytes, e.max_weight_bytes);
  EXPECT_GT(card->epochs, 0);
  EXPECT_FALSE(card->training_command.empty());
  EXPECT_GT(card->validation_accuracy, 0.5);
  // The weights file is float32 weights plus serialisation overhead (and BN buffers).
  const auto file_bytes = std::filesystem::file_size(kModels + "/" + card->weights);
  EXPECT_GE(static_cast<int64_t>(file_bytes), card->size_bytes);
  EXPECT_LE(static_cast<int64_t>(file_bytes), card->size_bytes * 3 / 2 + 65536);

  ASSERT_GT(Test().size(), 0u);
  // Scored on the test set as the card describes the model's data (a binary filter's
  // two classes, an expert's classes and input features).
  auto seen = DatasetForCard(*card, card_path, Test());
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  const Dataset& test = *seen;
  EXPECT_EQ(card->num_classes, test.num_classes);
  auto predictions = Predict(**model, test, 500);
  ASSERT_TRUE(predictions.ok()) << predictions.status().ToString();
  const double accuracy = AccuracyOf(*predictions, test);
  EXPECT_NEAR(accuracy, card->test_accuracy, 0.002) << e.name;
  EXPECT_GE(accuracy, e.min_test_accuracy) << e.name;

  // Early exits: the card lists each with its MACs (as the engine counts them) and its
  // accuracy (as measured here). Quantised models cannot run stage by stage (their
  // stage outputs are int8 inside the program): no EE-HI, no per-stage MACs.
  if (card->precision == "int8") {
    EXPECT_TRUE(info.stage_macs.empty()) << e.name;
    return;
  }
  ASSERT_EQ(card->exits.size(), info.early_exit_after_stage.size()) << e.name;
  if (card->exits.empty()) return;
  auto all = PredictAllExits(**model, test, 500);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  int64_t macs = 0;
  for (size_t k = 0; k < card->exits.size(); ++k) {
    const ExitFacts& exit = card->exits[k];
    EXPECT_EQ(exit.after_stage, info.early_exit_after_stage[k]) << e.name << " exit " << k;
    macs = info.exit_head_macs[k];
    for (int stage = 0; stage <= exit.after_stage; ++stage) macs += info.stage_macs[stage];
    EXPECT_EQ(exit.macs, macs) << e.name << " exit " << k;
    EXPECT_LT(exit.macs, card->macs_per_sample) << e.name << " exit " << k;
    EXPECT_NEAR(AccuracyOf((*all)[k], test), exit.test_accuracy, 0.002) << e.name << " exit " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shipped, ShippedModelTest,
    ::testing::Values(
        Expectation{"sml", 0.89, 512 * 1024}, Expectation{"sml_int8", 0.89, 128 * 1024},
        // A larger S-ML whose int8 weights fit in sml's fp32 size.
        Expectation{"sml_large", 0.925, 1200 * 1024},
        Expectation{"sml_large_int8", 0.925, 346 * 1024}, Expectation{"resnet8", 0.89, 512 * 1024},
        // The deeper S-ML with two early exits (EE-HI).
        Expectation{"resnet20", 0.915, 1200 * 1024}, Expectation{"footwear", 0.99, 512 * 1024},
        Expectation{"lml", 0.935, 4 * 1024 * 1024},
        // Two-level experts (seed 004), on sml features.
        Expectation{"expert0", 0.84, 512 * 1024}, Expectation{"expert1", 0.97, 512 * 1024},
        Expectation{"expert2", 0.97, 512 * 1024}, Expectation{"expert3", 0.97, 512 * 1024}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace hiedge
