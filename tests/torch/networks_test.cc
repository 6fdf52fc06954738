// The built-in architectures adapt to the data's shape, and resnet8 is MLPerf Tiny's.
#include "torch/networks.h"

#include <gtest/gtest.h>

namespace hiedge::models {
namespace {

ArchitectureSpec Spec(const std::string& architecture, std::vector<int64_t> shape) {
  const size_t channels = static_cast<size_t>(shape[0]);
  return {architecture, std::move(shape), 10, std::vector<float>(channels, 0.5f),
          std::vector<float>(channels, 0.25f)};
}

int64_t BackboneParameters(StagedNet& net) {
  int64_t n = 0;
  for (auto& stage : net->stages) {
    for (const auto& p : stage->parameters()) n += p.numel();
  }
  return n;
}

int64_t BackboneBatchNormStatistics(StagedNet& net) {
  int64_t n = 0;
  for (auto& stage : net->stages) {
    for (const auto& item : stage->named_buffers()) {
      if (item.key().find("running_") != std::string::npos) n += item.value().numel();
    }
  }
  return n;
}

TEST(NetworksTest, ResNet8OnCifarIsMlperfTinysResNet8) {
  Result<StagedNet> net = BuildNetwork(Spec("resnet8", {3, 32, 32}));
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  // MLPerf Tiny's Keras model: 78,186 trainable parameters, 78,666 with BN statistics.
  EXPECT_EQ(BackboneParameters(*net), 78186);
  EXPECT_EQ(BackboneParameters(*net) + BackboneBatchNormStatistics(*net), 78666);
  // stem 3->16 at 32x32; two 16->16 convs; 16->32 (s2), 32->32 and the 1x1 shortcut at
  // 16x16; 32->64 (s2), 64->64 and the shortcut at 8x8; dense 64->10: 12.5 M MACs.
  const int64_t expected = 3 * 16 * 9 * 1024 + 2 * 16 * 16 * 9 * 1024 + 16 * 32 * 9 * 256 +
                           32 * 32 * 9 * 256 + 16 * 32 * 256 + 32 * 64 * 9 * 64 + 64 * 64 * 9 * 64 +
                           32 * 64 * 64 + 64 * 10;
  EXPECT_EQ((*net)->CountMacs({3, 32, 32}), expected);
  torch::NoGradGuard no_grad;
  (*net)->eval();
  const std::vector<torch::Tensor> exits = (*net)->ForwardAllExits(torch::rand({2, 3, 32, 32}));
  ASSERT_EQ(exits.size(), 2u);  // Seed 001's exit, then the final one.
  EXPECT_EQ(exits.back().sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(NetworksTest, ImageArchitecturesTakeTheDatasShape) {
  for (const std::string arch : {"small_cnn", "resnet8", "resnet20", "vgg", "vgg_small"}) {
    for (const std::vector<int64_t>& shape :
         {std::vector<int64_t>{1, 28, 28}, {3, 32, 32}, {3, 48, 40}}) {
      Result<StagedNet> net = BuildNetwork(Spec(arch, shape));
      ASSERT_TRUE(net.ok()) << arch << ": " << net.status().ToString();
      torch::NoGradGuard no_grad;
      (*net)->eval();
      const torch::Tensor logits = (*net)->forward(torch::rand({1, shape[0], shape[1], shape[2]}));
      EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{1, 10})) << arch;
    }
  }
  EXPECT_EQ(BuildNetwork(Spec("vgg", {3, 4, 4})).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge::models
