#include <chrono>
#include <cmath>
#include <filesystem>

#include "common/progress.h"
#include "hiedge/torch/train.h"
#include "networks.h"

namespace hiedge {
namespace {

namespace F = torch::nn::functional;

torch::Tensor ImagesTensor(const Dataset& ds) {
  return torch::from_blob(const_cast<float*>(ds.images.data()),
                          {static_cast<int64_t>(ds.size()), ds.channels, ds.height, ds.width},
                          torch::kFloat32);
}

torch::Tensor LabelsTensor(const Dataset& ds) {
  return torch::from_blob(const_cast<int32_t*>(ds.labels.data()), {static_cast<int64_t>(ds.size())},
                          torch::kInt32)
      .to(torch::kInt64);
}

// Random crop after zero padding by 2, and a horizontal flip with probability 1/2.
// Signals (height 1: a window of readings) are only shifted in time: a vertical crop
// would blank them, and a flip reverses time.
torch::Tensor Augment(const torch::Tensor& batch) {
  constexpr int64_t kPad = 2;
  const int64_t h = batch.size(2), w = batch.size(3);
  const bool signal = h == 1;
  const int64_t pad_h = signal ? 0 : kPad;
  torch::Tensor padded = F::pad(batch, F::PadFuncOptions({kPad, kPad, pad_h, pad_h}));
  torch::Tensor shifts = torch::randint(0, 2 * kPad + 1, {batch.size(0), 2});
  torch::Tensor out = torch::empty_like(batch);
  auto s = shifts.accessor<int64_t, 2>();
  for (int64_t i = 0; i < batch.size(0); ++i) {
    out[i].copy_(padded[i].narrow(1, signal ? 0 : s[i][0], h).narrow(2, s[i][1], w));
  }
  if (signal) return out;
  torch::Tensor flip = torch::rand({batch.size(0), 1, 1, 1}) < 0.5;
  return torch::where(flip, out.flip({3}), out);
}

double Accuracy(models::StagedNet& net, const Dataset& ds) {
  if (ds.size() == 0) return 0;
  torch::InferenceMode guard;
  net->eval();
  torch::Tensor images = ImagesTensor(ds);
  torch::Tensor labels = LabelsTensor(ds);
  int64_t correct = 0;
  constexpr int64_t kBatch = 500;
  for (int64_t start = 0; start < images.size(0); start += kBatch) {
    const int64_t n = std::min(kBatch, images.size(0) - start);
    torch::Tensor logits = net->forward(images.narrow(0, start, n));
    correct += logits.argmax(1).eq(labels.narrow(0, start, n)).sum().item<int64_t>();
  }
  return static_cast<double>(correct) / static_cast<double>(ds.size());
}

// Fashion-MNIST statistics; any other data uses its own per-channel statistics.
void ComputeNormalisation(const Dataset& ds, std::vector<float>* mean, std::vector<float>* std) {
  torch::Tensor images = ImagesTensor(ds);
  torch::Tensor m = images.mean({0, 2, 3});
  torch::Tensor s = images.std({0, 2, 3});
  for (int64_t c = 0; c < ds.channels; ++c) {
    mean->push_back(std::round(m[c].item<float>() * 1e4f) / 1e4f);
    // A channel that never varies (a dead ReLU in features) must not divide by zero.
    std->push_back(std::max(1e-3f, std::round(s[c].item<float>() * 1e4f) / 1e4f));
  }
}

}  // namespace

Result<ModelCard> TrainModel(const TrainOptions& o, const Dataset& train, const Dataset& validation,
                             const Dataset& test) {
  if (train.size() == 0) return Status::InvalidArgument("empty training set");
  if (o.epochs <= 0 || o.batch_size <= 0 || o.learning_rate <= 0) {
    return Status::InvalidArgument("epochs, batch size and learning rate must be positive");
  }
  if (o.distill_weight < 0 || o.distill_weight > 1 || !(o.distill_temperature > 0)) {
    return Status::InvalidArgument("distillation weight must be in [0, 1], temperature > 0");
  }
  const bool distill = o.distill_weight > 0;
  if (distill &&
      train.soft_labels.size() != train.size() * static_cast<size_t>(train.num_classes)) {
    return Status::InvalidArgument("distillation needs the training set's soft labels (a teacher)");
  }
  torch::manual_seed(o.seed);
  if (o.threads > 0) torch::set_num_threads(o.threads);

  models::ArchitectureSpec spec{
      o.architecture, {train.channels, train.height, train.width}, train.num_classes, {}, {}};
  ComputeNormalisation(train, &spec.mean, &spec.std);
  HIEDGE_ASSIGN_OR_RETURN(models::StagedNet net, models::BuildNetwork(spec));

  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(o.learning_rate)
                                                     .momentum(o.momentum)
                                                     .nesterov(true)
                                                     .weight_decay(o.weight_decay));
  torch::Tensor images = ImagesTensor(train);
  torch::Tensor labels = LabelsTensor(train);
  torch::Tensor soft_labels =
      distill ? torch::from_blob(const_cast<float*>(train.soft_labels.data()),
                                 {static_cast<int64_t>(train.size()), train.num_classes},
                                 torch::kFloat32)
              : torch::Tensor();
  const int64_t n = images.size(0);
  const int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  const int64_t total_steps = steps_per_epoch * o.epochs;
  const auto loss_options = F::CrossEntropyFuncOptions().label_smoothing(o.label_smoothing);
  const auto start = std::chrono::steady_clock::now();
  int64_t step = 0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    net->train();
    ProgressBar bar(steps_per_epoch,
                    "epoch " + std::to_string(epoch) + "/" + std::to_string(o.epochs), o.progress);
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    double loss_sum = 0;
    int64_t correct = 0;
    for (int64_t b = 0; b < steps_per_epoch; ++b, ++step) {
      const double lr =
          0.5 * o.learning_rate * (1 + std::cos(M_PI * static_cast<double>(step) / total_steps));
      for (auto& group : optimizer.param_groups()) {
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
      }
      torch::Tensor idx =
          order.narrow(0, b * o.batch_size, std::min(o.batch_size * 1L, n - b * o.batch_size));
      torch::Tensor x = images.index_select(0, idx);
      torch::Tensor y = labels.index_select(0, idx);
      if (o.augment) x = Augment(x);
      std::vector<torch::Tensor> exits = net->ForwardAllExits(x);
      torch::Tensor loss = F::cross_entropy(exits.back(), y, loss_options);
      if (distill) {
        const double t = o.distill_temperature;
        torch::Tensor student = F::log_softmax(exits.back() / t, F::LogSoftmaxFuncOptions(1));
        // Targets at temperature T: the mapped probabilities q tempered as q^(1/T),
        // renormalised (softmax of log q / T; the teacher's own logits when unmapped).
        torch::Tensor teacher =
            F::softmax(torch::log(soft_labels.index_select(0, idx).clamp_min(1e-12)) / t,
                       F::SoftmaxFuncOptions(1));
        torch::Tensor kl =
            F::kl_div(student, teacher, F::KLDivFuncOptions().reduction(torch::kBatchMean));
        loss = (1 - o.distill_weight) * loss + o.distill_weight * t * t * kl;
      }
      for (size_t e = 0; e + 1 < exits.size(); ++e) {
        loss = loss + o.early_exit_loss_weight * F::cross_entropy(exits[e], y, loss_options);
      }
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      correct += exits.back().argmax(1).eq(y).sum().item<int64_t>();
      char status[64];
      std::snprintf(status, sizeof(status), "loss %.3f", loss_sum / static_cast<double>(b + 1));
      bar.Update(b + 1, status);
    }
    bar.Finish();
    std::fprintf(stderr, "epoch %d/%d: loss %.4f, train accuracy %.4f, %.0f s\n", epoch, o.epochs,
                 loss_sum / static_cast<double>(steps_per_epoch),
                 static_cast<double>(correct) / static_cast<double>(n),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }

  ModelCard card;
  card.name = o.name;
  card.architecture = o.architecture;
  card.weights = o.name + ".pt";
  card.input_shape = spec.input_shape;
  card.num_classes = spec.num_classes;
  card.normalize_mean = spec.mean;
  card.normalize_std = spec.std;
  card.parameter_count = net->ParameterCount();
  card.size_bytes = card.parameter_count * static_cast<int64_t>(sizeof(float));
  card.macs_per_sample = net->CountMacs(spec.input_shape);
  card.seed = o.seed;
  card.epochs = o.epochs;
  card.batch_size = o.batch_size;
  card.training_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  card.validation_accuracy = Accuracy(net, validation);
  card.test_accuracy = Accuracy(net, test);
  card.training_command = o.training_command;
  card.positive_classes = o.positive_classes;
  card.classes = o.classes;
  card.other_class = o.other_class;
  card.feature_model = o.feature_model;
  card.pixel_inputs = o.pixel_inputs && o.feature_model.empty();  // Not on features.
  card.dataset = o.dataset;
  card.feature_stages = o.feature_stages;
  if (!o.positive_classes.empty()) card.dataset = o.dataset + " (binary: positive_classes vs rest)";
  if (!o.classes.empty()) {
    card.dataset = o.dataset + (o.other_class ? " (these classes; the rest as 'other')"
                                              : " (these classes only)");
  }
  if (!o.feature_model.empty()) card.dataset += " as features of " + o.feature_model;
  if (distill) {
    char line[128];
    std::snprintf(line, sizeof(line), ", distilled from %s (T %g, weight %g)",
                  o.teacher_model.c_str(), o.distill_temperature, o.distill_weight);
    card.dataset += line;
  }

  std::error_code ec;
  std::filesystem::create_directories(o.output_dir, ec);
  const std::string weights_path = o.output_dir + "/" + card.weights;
  try {
    torch::save(net, weights_path);
  } catch (const std::exception& e) {
    return Status::IoError("cannot save weights to " + weights_path + ": " + e.what());
  }
  const std::string card_path = o.output_dir + "/" + o.name + ".json";
  HIEDGE_RETURN_IF_ERROR(WriteModelCard(card, card_path));
  // The engine runs the ONNX export; the .pt stays as the card's "hiedge" alternate.
  return ExportModel(card_path, o.output_dir + "/" + o.name + ".onnx");
}

std::vector<std::string> TrainableArchitectures() { return models::ArchitectureNames(); }

}  // namespace hiedge
