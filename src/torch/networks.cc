#include "networks.h"

namespace hiedge::models {
namespace nn = torch::nn;

namespace {

nn::Conv2d Conv3x3(int64_t in, int64_t out, int64_t stride = 1, bool bias = false) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(bias));
}

// Appends conv3x3 -> BN -> ReLU.
void AddConvBnRelu(nn::Sequential& seq, int64_t in, int64_t out, bool bias = false) {
  seq->push_back(Conv3x3(in, out, 1, bias));
  seq->push_back(nn::BatchNorm2d(out));
  seq->push_back(nn::ReLU(nn::ReLUOptions(true)));
}

// Runs `seq` on x item by item, adding conv/linear multiply-accumulates of one sample.
torch::Tensor ForwardCountingMacs(nn::Sequential seq, torch::Tensor x, int64_t* macs) {
  for (auto& item : *seq) {
    const auto& module = item.ptr();
    if (auto* block = module->as<ResidualBlockImpl>()) {
      *macs += block->CountMacs(x);
    }
    torch::Tensor y = item.forward(x);
    if (auto* conv = module->as<nn::Conv2dImpl>()) {
      // Each output element needs in_channels/groups * kh * kw MACs.
      *macs += y[0].numel() * conv->weight[0].numel();
    } else if (auto* linear = module->as<nn::LinearImpl>()) {
      *macs += linear->weight.numel();
    }
    x = y;
  }
  return x;
}

nn::Sequential SmallCnnStage(int64_t in, int64_t out) {
  nn::Sequential s;
  AddConvBnRelu(s, in, out);
  s->push_back(nn::MaxPool2d(2));
  return s;
}

// small_cnn: conv16 -> pool -> conv32 -> pool -> flatten -> dense48 -> dense(classes);
// an early exit after the first stage (pool -> flatten -> dense).
StagedNet BuildSmallCnn(const ArchitectureSpec& s) {
  const int64_t c = s.input_shape[0], h = s.input_shape[1], w = s.input_shape[2];
  nn::Sequential classifier(nn::Flatten(), nn::Linear(32 * (h / 4) * (w / 4), 48),
                            nn::ReLU(nn::ReLUOptions(true)), nn::Dropout(0.2),
                            nn::Linear(48, s.num_classes));
  nn::Sequential exit_head(nn::MaxPool2d(2), nn::Flatten(),
                           nn::Linear(16 * (h / 4) * (w / 4), s.num_classes));
  return StagedNet(
      std::vector<nn::Sequential>{SmallCnnStage(c, 16), SmallCnnStage(16, 32), classifier},
      std::vector<int>{0}, std::vector<nn::Sequential>{exit_head}, s.mean, s.std);
}

// An early-exit head on a [channels, h, w] activation: max-pool by `pool` -> flatten ->
// dense(classes). Cheap (one small dense layer) so exiting early saves most of the rest.
nn::Sequential PooledExitHead(int64_t channels, int64_t h, int64_t w, int64_t pool,
                              int64_t classes) {
  return nn::Sequential(nn::MaxPool2d(pool), nn::Flatten(),
                        nn::Linear(channels * (h / pool) * (w / pool), classes));
}

// resnet8: MLPerf Tiny's image-classification ResNet-8 (its Keras model) exactly: stem
// conv16 (bias) -> BN -> ReLU, residual blocks of 16, 32 (stride 2) and 64 (stride 2)
// channels whose convs carry biases and whose projection shortcuts are bare conv1x1,
// global average pooling (MLPerf's AveragePooling2D(8) on 8x8), dense(classes). On
// 3x32x32 with 10 classes the backbone has MLPerf's 78,186 trainable parameters (plus
// 480 BN running statistics: Keras' "Total params: 78,666"). Seed 001's early exit
// after the second residual block is added beside it (its own parameters).
StagedNet BuildResNet8(const ArchitectureSpec& s) {
  const int64_t h = s.input_shape[1], w = s.input_shape[2];
  using Style = ResidualBlockImpl::Style;
  nn::Sequential stem;
  AddConvBnRelu(stem, s.input_shape[0], 16, /*bias=*/true);
  nn::Sequential head(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, s.num_classes));
  return StagedNet(
      std::vector<nn::Sequential>{
          stem, nn::Sequential(ResidualBlock(16, 16, 1, Style::kKerasMlperf)),
          nn::Sequential(ResidualBlock(16, 32, 2, Style::kKerasMlperf)),
          nn::Sequential(ResidualBlock(32, 64, 2, Style::kKerasMlperf)), head},
      std::vector<int>{2},
      std::vector<nn::Sequential>{PooledExitHead(32, (h + 1) / 2, (w + 1) / 2, 2, s.num_classes)},
      s.mean, s.std);
}

// resnet20: He et al.'s CIFAR ResNet-20 (stem conv16, 3 groups of 3 residual blocks at
// 16/32/64 channels, global pool, dense) for 28x28 as well as 32x32, with two early
// exits: after the first group and after the second. Stages: stem + group 1, group 2,
// group 3, head.
StagedNet BuildResNet20(const ArchitectureSpec& s) {
  const int64_t h = s.input_shape[1], w = s.input_shape[2];
  nn::Sequential group1;
  AddConvBnRelu(group1, s.input_shape[0], 16);
  nn::Sequential group2, group3;
  for (int b = 0; b < 3; ++b) {
    group1->push_back(ResidualBlock(16, 16, 1));
    group2->push_back(ResidualBlock(b == 0 ? 16 : 32, 32, b == 0 ? 2 : 1));
    group3->push_back(ResidualBlock(b == 0 ? 32 : 64, 64, b == 0 ? 2 : 1));
  }
  nn::Sequential head(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, s.num_classes));
  return StagedNet(
      std::vector<nn::Sequential>{group1, group2, group3, head}, std::vector<int>{0, 1},
      std::vector<nn::Sequential>{PooledExitHead(16, h, w, 4, s.num_classes),
                                  PooledExitHead(32, (h + 1) / 2, (w + 1) / 2, 2, s.num_classes)},
      s.mean, s.std);
}

// vgg: [32,32,M] [64,64,M] [128,128,M] -> dense256 -> dense(classes); vgg_small:
// [24,24,M] [48,48,M] [96,96,M] -> dense128 (an S-ML whose int8 weights fit where the
// fp32 small_cnn's do).
StagedNet BuildVgg(const ArchitectureSpec& s, std::vector<int64_t> widths, int64_t dense) {
  std::vector<nn::Sequential> stages;
  int64_t in = s.input_shape[0], h = s.input_shape[1], w = s.input_shape[2];
  for (int64_t width : widths) {
    nn::Sequential stage;
    AddConvBnRelu(stage, in, width);
    AddConvBnRelu(stage, width, width);
    stage->push_back(nn::MaxPool2d(2));
    stages.push_back(stage);
    in = width;
    h /= 2;
    w /= 2;
  }
  stages.push_back(nn::Sequential(nn::Flatten(), nn::Dropout(0.3), nn::Linear(in * h * w, dense),
                                  nn::ReLU(nn::ReLUOptions(true)), nn::Dropout(0.3),
                                  nn::Linear(dense, s.num_classes)));
  return StagedNet(stages, std::vector<int>{}, std::vector<nn::Sequential>{}, s.mean, s.std);
}

// cnn1d: a small 1-D CNN on signal windows [C, 1, W] (the vibration use case's L-ML),
// as 1xk convolutions: conv16 (k 9, stride 4) -> pool 4 -> conv32 (k 9) -> pool 4 ->
// conv64 (k 9) -> global average pool -> dense(classes). On a 2,048-reading window:
// 1.25 M MACs.
StagedNet BuildCnn1d(const ArchitectureSpec& s) {
  auto conv = [](int64_t in, int64_t out, int64_t stride) {
    return nn::Conv2d(
        nn::Conv2dOptions(in, out, {1, 9}).stride({1, stride}).padding({0, 4}).bias(false));
  };
  nn::Sequential stage0(conv(s.input_shape[0], 16, 4), nn::BatchNorm2d(16),
                        nn::ReLU(nn::ReLUOptions(true)),
                        nn::MaxPool2d(nn::MaxPool2dOptions({1, 4})));
  nn::Sequential stage1(conv(16, 32, 1), nn::BatchNorm2d(32), nn::ReLU(nn::ReLUOptions(true)),
                        nn::MaxPool2d(nn::MaxPool2dOptions({1, 4})), conv(32, 64, 1),
                        nn::BatchNorm2d(64), nn::ReLU(nn::ReLUOptions(true)));
  nn::Sequential head(nn::AdaptiveAvgPool2d(1), nn::Flatten(), nn::Linear(64, s.num_classes));
  return StagedNet(std::vector<nn::Sequential>{stage0, stage1, head}, std::vector<int>{},
                   std::vector<nn::Sequential>{}, s.mean, s.std);
}

// expert: a second-level model of the two-level architecture (seed 004) on mid-layer
// features [C, H, W]: conv64 -> pool -> dense96 -> dense(classes).
StagedNet BuildExpert(const ArchitectureSpec& s) {
  const int64_t c = s.input_shape[0], h = s.input_shape[1], w = s.input_shape[2];
  nn::Sequential features;
  AddConvBnRelu(features, c, 64);
  features->push_back(nn::MaxPool2d(2));
  nn::Sequential head(nn::Flatten(), nn::Dropout(0.3), nn::Linear(64 * (h / 2) * (w / 2), 96),
                      nn::ReLU(nn::ReLUOptions(true)), nn::Linear(96, s.num_classes));
  return StagedNet(std::vector<nn::Sequential>{features, head}, std::vector<int>{},
                   std::vector<nn::Sequential>{}, s.mean, s.std);
}

// expert_deep: a larger second-level model for an earlier cut, which adapts more than
// a frozen feature map allows: conv64 -> pool -> conv128 -> pool -> dense128 ->
// dense(classes). On small_cnn's first stage (16x14x14) it costs 5.6M MACs.
StagedNet BuildDeepExpert(const ArchitectureSpec& s) {
  const int64_t c = s.input_shape[0], h = s.input_shape[1], w = s.input_shape[2];
  nn::Sequential features;
  AddConvBnRelu(features, c, 64);
  features->push_back(nn::MaxPool2d(2));
  AddConvBnRelu(features, 64, 128);
  features->push_back(nn::MaxPool2d(2));
  nn::Sequential head(nn::Flatten(), nn::Dropout(0.3), nn::Linear(128 * (h / 4) * (w / 4), 128),
                      nn::ReLU(nn::ReLUOptions(true)), nn::Dropout(0.3),
                      nn::Linear(128, s.num_classes));
  return StagedNet(std::vector<nn::Sequential>{features, head}, std::vector<int>{},
                   std::vector<nn::Sequential>{}, s.mean, s.std);
}

}  // namespace

ResidualBlockImpl::ResidualBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                                     Style style) {
  const bool keras = style == Style::kKerasMlperf;
  body = register_module(
      "body",
      nn::Sequential(Conv3x3(in_channels, out_channels, stride, keras),
                     nn::BatchNorm2d(out_channels), nn::ReLU(nn::ReLUOptions(true)),
                     Conv3x3(out_channels, out_channels, 1, keras), nn::BatchNorm2d(out_channels)));
  shortcut = register_module("shortcut", nn::Sequential());
  if (stride != 1 || in_channels != out_channels) {
    shortcut->push_back(
        nn::Conv2d(nn::Conv2dOptions(in_channels, out_channels, 1).stride(stride).bias(keras)));
    if (!keras) shortcut->push_back(nn::BatchNorm2d(out_channels));
  }
}

torch::Tensor ResidualBlockImpl::forward(torch::Tensor x) {
  torch::Tensor skip = shortcut->is_empty() ? x : shortcut->forward(x);
  return torch::relu(body->forward(x) + skip);
}

int64_t ResidualBlockImpl::CountMacs(const torch::Tensor& x) const {
  int64_t macs = 0;
  ForwardCountingMacs(body, x, &macs);
  if (!shortcut->is_empty()) ForwardCountingMacs(shortcut, x, &macs);
  return macs;
}

StagedNetImpl::StagedNetImpl(std::vector<nn::Sequential> stage_list, std::vector<int> exit_stages,
                             std::vector<nn::Sequential> heads, std::vector<float> mean_values,
                             std::vector<float> std_values)
    : exit_after_stage(std::move(exit_stages)) {
  for (size_t i = 0; i < stage_list.size(); ++i) {
    stages.push_back(register_module("stage" + std::to_string(i), stage_list[i]));
  }
  for (size_t i = 0; i < heads.size(); ++i) {
    exit_heads.push_back(register_module("exit" + std::to_string(i), heads[i]));
  }
  const auto channels = static_cast<int64_t>(mean_values.size());
  mean = register_buffer("mean", torch::tensor(mean_values).view({1, channels, 1, 1}));
  std = register_buffer("std", torch::tensor(std_values).view({1, channels, 1, 1}));
}

torch::Tensor StagedNetImpl::Normalize(const torch::Tensor& images) const {
  return (images - mean) / std;
}

torch::Tensor StagedNetImpl::forward(torch::Tensor images) {
  return RunStages(images, 0, static_cast<int>(stages.size()));
}

std::vector<torch::Tensor> StagedNetImpl::ForwardAllExits(torch::Tensor images) {
  std::vector<torch::Tensor> early(exit_heads.size());
  torch::Tensor x = Normalize(images);
  for (size_t k = 0; k < stages.size(); ++k) {
    x = stages[k]->forward(x);
    for (size_t e = 0; e < exit_heads.size(); ++e) {
      if (exit_after_stage[e] == static_cast<int>(k)) early[e] = exit_heads[e]->forward(x);
    }
  }
  early.push_back(x);
  return early;
}

torch::Tensor StagedNetImpl::RunStages(torch::Tensor x, int first, int last) {
  if (first == 0) x = Normalize(x);
  for (int k = first; k < last; ++k) x = stages[k]->forward(x);
  return x;
}

int64_t StagedNetImpl::CountMacs(const std::vector<int64_t>& input_shape) {
  torch::NoGradGuard no_grad;
  const bool was_training = is_training();
  eval();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), input_shape.begin(), input_shape.end());
  torch::Tensor x = Normalize(torch::zeros(shape));
  int64_t macs = 0;
  for (auto& stage : stages) x = ForwardCountingMacs(stage, x, &macs);
  train(was_training);
  return macs;
}

int64_t StagedNetImpl::ParameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

std::vector<std::string> ArchitectureNames() {
  return {"small_cnn", "resnet8", "resnet20", "vgg", "vgg_small", "expert", "expert_deep", "cnn1d"};
}

Result<StagedNet> BuildNetwork(const ArchitectureSpec& spec) {
  // Image networks pool three times; the experts (on features) once or twice.
  const int64_t min_side = spec.architecture == "expert"        ? 2
                           : spec.architecture == "expert_deep" ? 4
                                                                : 8;
  if (spec.architecture == "cnn1d") {
    if (spec.input_shape.size() != 3 || spec.input_shape[1] != 1 || spec.input_shape[2] < 64) {
      return Status::InvalidArgument("cnn1d takes signal windows [C, 1, W] with W >= 64");
    }
  } else if (spec.input_shape.size() != 3 || spec.input_shape[1] < min_side ||
             spec.input_shape[2] < min_side) {
    return Status::InvalidArgument("input shape must be [C, H, W] with H, W >= " +
                                   std::to_string(min_side));
  }
  if (spec.mean.size() != static_cast<size_t>(spec.input_shape[0]) ||
      spec.std.size() != spec.mean.size()) {
    return Status::InvalidArgument("normalisation mean/std need one value per channel");
  }
  if (spec.architecture == "small_cnn") return BuildSmallCnn(spec);
  if (spec.architecture == "resnet8") return BuildResNet8(spec);
  if (spec.architecture == "cnn1d") return BuildCnn1d(spec);
  if (spec.architecture == "resnet20") return BuildResNet20(spec);
  if (spec.architecture == "vgg") return BuildVgg(spec, {32, 64, 128}, 256);
  if (spec.architecture == "vgg_small") return BuildVgg(spec, {24, 48, 96}, 128);
  if (spec.architecture == "expert") return BuildExpert(spec);
  if (spec.architecture == "expert_deep") return BuildDeepExpert(spec);
  return Status::InvalidArgument("unknown architecture '" + spec.architecture + "'");
}

}  // namespace hiedge::models
