// Torch definitions of hiedge's built-in architectures. Internal to src/models: only
// the torch backend and the trainer include this header.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge::models {

// conv3x3 -> BN -> ReLU -> conv3x3 -> BN, plus a 1x1 projection shortcut when the shape
// changes, then ReLU.
struct ResidualBlockImpl : torch::nn::Module {
  // kBatchNormShortcut: convolutions without bias (BN follows), shortcut conv1x1 -> BN
  // (resnet20). kKerasMlperf: MLPerf Tiny's Keras ResNet-8 block exactly: every conv
  // has a bias, the shortcut is a bare conv1x1 with bias.
  enum class Style { kBatchNormShortcut, kKerasMlperf };
  ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                    Style style = Style::kBatchNormShortcut);
  torch::Tensor forward(torch::Tensor x);
  int64_t CountMacs(const torch::Tensor& x) const;

  torch::nn::Sequential body{nullptr};
  torch::nn::Sequential shortcut{nullptr};  // Empty Sequential means identity.
};
TORCH_MODULE(ResidualBlock);

// A network as an ordered list of stages plus optional early-exit heads.
// Contract: forward() maps images in [0, 1] (normalised inside) to final logits;
// stage k consumes the output of stage k-1; early_exit_heads[i] consumes the output
// of stage exit_after_stage[i]. Not thread-safe for training; inference under
// torch::InferenceMode may run concurrently.
struct StagedNetImpl : torch::nn::Module {
  StagedNetImpl(std::vector<torch::nn::Sequential> stages, std::vector<int> exit_after_stage,
                std::vector<torch::nn::Sequential> exit_heads, std::vector<float> mean,
                std::vector<float> std);

  torch::Tensor Normalize(const torch::Tensor& images) const;
  torch::Tensor forward(torch::Tensor images);
  // Early-exit logits in order, then final logits.
  std::vector<torch::Tensor> ForwardAllExits(torch::Tensor images);
  // Runs stages [first, last); first == 0 normalises the images first.
  torch::Tensor RunStages(torch::Tensor x, int first, int last);
  // MACs of one sample through all stages to the final exit.
  int64_t CountMacs(const std::vector<int64_t>& input_shape);
  int64_t ParameterCount() const;

  std::vector<torch::nn::Sequential> stages;
  std::vector<int> exit_after_stage;
  std::vector<torch::nn::Sequential> exit_heads;
  torch::Tensor mean;  // [1, C, 1, 1] buffer
  torch::Tensor std;   // [1, C, 1, 1] buffer
};
TORCH_MODULE(StagedNet);

struct ArchitectureSpec {
  std::string architecture;          // small_cnn | resnet8 | vgg | vgg_small | expert
  std::vector<int64_t> input_shape;  // {C, H, W}
  int num_classes = 10;
  std::vector<float> mean;
  std::vector<float> std;
};

// Names of the built-in architectures, for --help and errors.
std::vector<std::string> ArchitectureNames();
Result<StagedNet> BuildNetwork(const ArchitectureSpec& spec);

}  // namespace hiedge::models
