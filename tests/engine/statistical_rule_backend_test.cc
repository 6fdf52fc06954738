// The statistical rule behind the backend seam: LoadModel reads its card, the device's
// code sees logits like any model's, and a rule that disagrees with its card is refused.
#include <gtest/gtest.h>

#include "common/files.h"
#include "hiedge/engine/model.h"
#include "hiedge/decision/statistical_rule.h"
#include "hiedge/data/vibration.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

TEST(StatisticalRuleBackendTest, LoadsFromItsCardAndScoresBatches) {
  testing::ScopedTempDir dir("hiedge_rule_backend");
  VibrationOptions options;
  options.window = 512;
  const Dataset windows = GenerateVibrationWindows(10, options, 1);
  Result<StatisticalRule> rule = FitStatisticalRule(windows);
  ASSERT_TRUE(rule.ok());
  ASSERT_TRUE(WriteTextFile((dir / "rule.json").string(), rule->ToJson()).ok());
  ModelCard card;
  card.name = "vib_rule";
  card.architecture = "statistical_rule";
  card.format = "statistical_rule";
  card.weights = "rule.json";
  card.input_shape = {1, 1, 512};
  card.num_classes = 4;
  ASSERT_TRUE(WriteModelCard(card, (dir / "vib_rule.json").string()).ok());
  auto model = LoadModel((dir / "vib_rule.json").string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  FloatTensor batch{{3, 1, 1, 512}, {}};
  for (size_t i : {0, 15, 39}) {
    batch.data.insert(batch.data.end(), windows.sample(i).data.begin(),
                      windows.sample(i).data.end());
  }
  auto logits = (*model)->Infer(batch);
  ASSERT_TRUE(logits.ok()) << logits.status().ToString();
  EXPECT_EQ(logits->shape, (std::vector<int64_t>{3, 4}));
  const std::vector<float> expected = ScoreWindow(*rule, windows.sample(15).data);
  EXPECT_EQ(std::vector<float>(logits->data.begin() + 4, logits->data.begin() + 8), expected);
  FloatTensor wrong{{1, 1, 1, 100}, std::vector<float>(100)};
  EXPECT_EQ((*model)->Infer(wrong).status().code(), StatusCode::kInvalidArgument);
  // A single-stage backend gets InferAllExits and RunStages from the seam's defaults:
  // one exit, the whole model as stages [0, 1), any other range refused.
  auto exits = (*model)->InferAllExits(batch);
  ASSERT_TRUE(exits.ok());
  ASSERT_EQ(exits->size(), 1u);
  EXPECT_EQ((*exits)[0].data, logits->data);
  auto staged = (*model)->RunStages(batch, 0, 1);
  ASSERT_TRUE(staged.ok());
  EXPECT_EQ(staged->data, logits->data);
  EXPECT_EQ((*model)->RunStages(batch, 0, 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->RunExit(batch, 0).status().code(), StatusCode::kUnimplemented);

  card.num_classes = 3;
  ASSERT_TRUE(WriteModelCard(card, (dir / "bad.json").string()).ok());
  EXPECT_EQ(LoadModel((dir / "bad.json").string()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hiedge
