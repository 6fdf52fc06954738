// The trainer's distillation on hand-made data: soft targets alone can teach a task
// the hard labels do not describe, and bad options are refused.
#include <gtest/gtest.h>

#include <random>

#include "hiedge/data/data.h"
#include "hiedge/torch/train.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

// 2 x 4 x 4 samples of two classes: the class is the brighter channel. Labels are the
// truth; `soft_labels` are one-hot on the truth.
Dataset BrighterChannel(size_t count, uint64_t seed) {
  Dataset d;
  d.channels = 2;
  d.height = 4;
  d.width = 4;
  d.num_classes = 2;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> pixel(0.0f, 0.5f);
  for (size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(i % 2);
    for (int c = 0; c < 2; ++c) {
      for (int p = 0; p < 16; ++p) d.images.push_back(pixel(rng) + (c == label ? 0.5f : 0.0f));
    }
    d.labels.push_back(label);
    d.soft_labels.push_back(label == 0 ? 1.0f : 0.0f);
    d.soft_labels.push_back(label == 1 ? 1.0f : 0.0f);
  }
  return d;
}

TrainOptions TinyExpert(const std::string& out) {
  TrainOptions o;
  o.architecture = "expert";
  o.name = "tiny";
  o.output_dir = out;
  o.epochs = 8;
  o.batch_size = 32;
  o.augment = false;
  o.label_smoothing = 0;
  o.threads = 1;
  o.progress = false;
  o.teacher_model = "teacher.json";
  return o;
}

TEST(TrainerTest, DistillationLearnsFromSoftTargetsWhenTheLabelsSayNothing) {
  testing::ScopedTempDir dir("trainer");
  Dataset train = BrighterChannel(512, 1);
  const Dataset validation = BrighterChannel(256, 2);
  // Hard labels that carry no information: the same class for every sample.
  for (int32_t& label : train.labels) label = 0;

  TrainOptions labels_only = TinyExpert((dir / "labels").string());
  auto from_labels = TrainModel(labels_only, train, validation, validation);
  ASSERT_TRUE(from_labels.ok()) << from_labels.status().ToString();
  EXPECT_LE(from_labels->validation_accuracy, 0.6);

  TrainOptions distilled = TinyExpert((dir / "distilled").string());
  distilled.distill_weight = 1.0;
  distilled.distill_temperature = 2.0;
  auto from_teacher = TrainModel(distilled, train, validation, validation);
  ASSERT_TRUE(from_teacher.ok()) << from_teacher.status().ToString();
  EXPECT_GE(from_teacher->validation_accuracy, 0.95);
  EXPECT_NE(from_teacher->dataset.find("distilled from teacher.json (T 2, weight 1)"),
            std::string::npos)
      << from_teacher->dataset;
}

TEST(TrainerTest, RefusesDistillationWithoutSoftTargetsOrWithBadOptions) {
  testing::ScopedTempDir dir("trainer_bad");
  Dataset train = BrighterChannel(64, 1);
  train.soft_labels.clear();
  TrainOptions o = TinyExpert(dir.path().string());
  o.distill_weight = 0.5;
  auto missing = TrainModel(o, train, train, train);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("soft labels"), std::string::npos);
  o.distill_weight = 1.5;
  EXPECT_EQ(TrainModel(o, BrighterChannel(64, 1), train, train).status().code(),
            StatusCode::kInvalidArgument);
  o.distill_weight = 0.5;
  o.distill_temperature = 0;
  EXPECT_EQ(TrainModel(o, BrighterChannel(64, 1), train, train).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(TrainerTest, DeepExpertOnTheFirstStageCutCostsWhatItsCardSays) {
  testing::ScopedTempDir dir("trainer_deep");
  Dataset features = BrighterChannel(32, 3);
  // Reshape to the small_cnn first-stage cut: 16 x 14 x 14 zeros but channel 0.
  Dataset cut;
  cut.channels = 16;
  cut.height = 14;
  cut.width = 14;
  cut.num_classes = 2;
  cut.labels = features.labels;
  cut.images.assign(features.size() * cut.image_elements(), 0.0f);
  for (size_t i = 0; i < features.size(); ++i) cut.images[i * cut.image_elements()] = i % 2;
  TrainOptions o = TinyExpert(dir.path().string());
  o.architecture = "expert_deep";
  o.epochs = 1;
  auto card = TrainModel(o, cut, cut, cut);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  // conv 16->64 at 14x14, conv 64->128 at 7x7, dense 128*3*3->128, dense 128->2.
  const int64_t expected = 16 * 64 * 9 * 196 + 64 * 128 * 9 * 49 + 128 * 9 * 128 + 128 * 2;
  EXPECT_NEAR(static_cast<double>(card->macs_per_sample), static_cast<double>(expected),
              0.01 * expected);
  o.architecture = "expert_deep";
  cut.height = cut.width = 3;  // Two pools need H, W >= 4.
  cut.images.resize(cut.size() * cut.image_elements());
  EXPECT_EQ(TrainModel(o, cut, cut, cut).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
