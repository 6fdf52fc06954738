// Teacher probabilities attached to a data set, on the fake backend's known logits.
#include "engine/features.h"

#include <gtest/gtest.h>

#include <cmath>

#include "testing/fake_backend.h"

namespace hiedge {
namespace {

Dataset FakeImages(const std::vector<float>& first_pixels) {
  Dataset d;
  d.channels = 1;
  d.height = 4;
  d.width = 4;
  d.num_classes = 10;
  for (float v : first_pixels) {
    d.images.push_back(v);
    d.images.insert(d.images.end(), 15, 0.0f);
    d.labels.push_back(testing::FakeBackend::ClassOf(v));
  }
  return d;
}

TEST(FeaturesTest, TeacherProbabilitiesAreTheSoftmaxOfItsLogitsPerSample) {
  testing::FakeBackend teacher("teacher", /*confidence_logit=*/3.0f);
  Dataset data = FakeImages({0.05f, 0.95f, 0.42f});
  ASSERT_TRUE(AttachTeacherProbabilities(teacher, &data, /*batch_size=*/2).ok());
  ASSERT_EQ(data.soft_labels.size(), 30u);
  const double top = std::exp(3.0) / (std::exp(3.0) + 9.0);
  const double rest = 1.0 / (std::exp(3.0) + 9.0);
  for (size_t row = 0; row < 3; ++row) {
    for (int k = 0; k < 10; ++k) {
      EXPECT_NEAR(data.soft_labels[row * 10 + k], k == data.labels[row] ? top : rest, 1e-6)
          << row << "," << k;
    }
  }
  EXPECT_EQ(teacher.calls(), 2);  // Batches of 2: rows {0, 1} and {2}.

  // Mapped into an expert's classes {0, 9} + other, each row keeps its own teacher.
  const Dataset expert = RestrictClasses(data, {0, 9}, /*keep_others=*/true);
  EXPECT_NEAR(expert.soft_labels[0], top, 1e-6);
  EXPECT_NEAR(expert.soft_labels[4], top, 1e-6);
  EXPECT_NEAR(expert.soft_labels[8], 1 - 2 * rest, 1e-6);
}

TEST(FeaturesTest, ATeacherOfOtherClassesIsRefused) {
  testing::FakeBackend teacher;
  Dataset data = FakeImages({0.5f});
  data.num_classes = 5;
  const Status status = AttachTeacherProbabilities(teacher, &data);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("10 classes"), std::string::npos) << status.ToString();
  EXPECT_TRUE(data.soft_labels.empty());
}

}  // namespace
}  // namespace hiedge
