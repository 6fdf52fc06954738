// The XNNPACK backend against libtorch on every shipped model over the whole test set:
// logits within 1e-4 (max abs), identical predictions, and the same early exits and
// stage boundaries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "engine/features.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

FloatTensor Batch(const Dataset& d, size_t begin, size_t end) {
  FloatTensor t{{static_cast<int64_t>(end - begin), d.channels, d.height, d.width}, {}};
  t.data.assign(d.image(begin), d.image(begin) + (end - begin) * d.image_elements());
  return t;
}

int ArgMax(const float* row, int64_t n) {
  return static_cast<int>(std::max_element(row, row + n) - row);
}

struct Agreement {
  double max_abs = 0;
  int64_t disagreements = 0;
};

void Compare(const FloatTensor& a, const FloatTensor& b, Agreement* agreement) {
  ASSERT_EQ(a.shape, b.shape);
  for (size_t i = 0; i < a.data.size(); ++i) {
    agreement->max_abs = std::max(agreement->max_abs, std::fabs(double{a.data[i]} - b.data[i]));
  }
  if (a.shape.size() == 2) {
    for (int64_t r = 0; r < a.rows(); ++r) {
      agreement->disagreements +=
          ArgMax(a.row(r), a.shape[1]) != ArgMax(b.row(r), b.shape[1]) ? 1 : 0;
    }
  }
}

class XnnpackAgreementTest : public ::testing::TestWithParam<std::string> {
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

TEST_P(XnnpackAgreementTest, MatchesLibtorchOverTheTestSet) {
  const std::string card_path = kModels + "/" + GetParam() + ".json";
  auto card = ReadModelCard(card_path);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  auto xnn = LoadModel(card_path, {"xnnpack", 1});
  ASSERT_TRUE(xnn.ok()) << xnn.status().ToString();
  auto torch = LoadModel(card_path, {"torch", 1});
  ASSERT_TRUE(torch.ok()) << torch.status().ToString();
  const ModelInfo& xi = (*xnn)->info();
  const ModelInfo& ti = (*torch)->info();
  EXPECT_EQ(xi.num_stages, ti.num_stages);
  EXPECT_EQ(xi.early_exit_after_stage, ti.early_exit_after_stage);
  EXPECT_EQ(xi.macs_per_sample, ti.macs_per_sample);  // Counted independently by each.

  auto seen = DatasetForCard(*card, card_path, Test());
  ASSERT_TRUE(seen.ok()) << seen.status().ToString();
  const Dataset& test = *seen;
  ASSERT_EQ(test.size(), 10000u);
  Agreement logits, exits, stages;
  constexpr size_t kBatch = 250;
  for (size_t start = 0; start < test.size(); start += kBatch) {
    const FloatTensor images = Batch(test, start, std::min(test.size(), start + kBatch));
    auto a = (*xnn)->InferAllExits(images);
    auto b = (*torch)->InferAllExits(images);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    Compare(a->back(), b->back(), &logits);
    for (size_t e = 0; e + 1 < a->size(); ++e) Compare((*a)[e], (*b)[e], &exits);
    if (start == 0 && xi.num_stages > 1) {
      // Stage by stage: the first stage's output, then the rest from it.
      auto head_a = (*xnn)->RunStages(images, 0, 1);
      auto head_b = (*torch)->RunStages(images, 0, 1);
      ASSERT_TRUE(head_a.ok() && head_b.ok()) << head_a.status().ToString();
      Compare(*head_a, *head_b, &stages);
      auto tail = (*xnn)->RunStages(*head_b, 1, xi.num_stages);
      ASSERT_TRUE(tail.ok()) << tail.status().ToString();
      Compare(*tail, b->back(), &stages);
    }
  }
  EXPECT_LE(logits.max_abs, 1e-4) << GetParam();
  EXPECT_EQ(logits.disagreements, 0) << GetParam();
  EXPECT_LE(exits.max_abs, 1e-4) << GetParam();
  EXPECT_LE(stages.max_abs, 1e-4) << GetParam();
  EXPECT_EQ(stages.disagreements, 0) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Shipped, XnnpackAgreementTest,
                         ::testing::Values("sml", "resnet8", "resnet20", "footwear", "lml",
                                           "expert0", "expert1", "expert2", "expert3"));

}  // namespace
}  // namespace hiedge
