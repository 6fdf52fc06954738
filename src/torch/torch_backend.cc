// libtorch backends: hiedge's staged networks and TorchScript modules.
#include <torch/script.h>

#include <chrono>

#include "hiedge/model.h"
#include "hiedge/model_card.h"
#include "networks.h"

namespace hiedge {
namespace {

torch::Tensor ToTorch(const FloatTensor& t) {
  return torch::from_blob(const_cast<float*>(t.data.data()), t.shape, torch::kFloat32);
}

FloatTensor FromTorch(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kFloat32);
  FloatTensor out;
  out.shape.assign(c.sizes().begin(), c.sizes().end());
  out.data.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return out;
}

Status CheckImageBatch(const FloatTensor& input, const ModelInfo& info) {
  if (input.shape.size() != info.input_shape.size() + 1 ||
      !std::equal(info.input_shape.begin(), info.input_shape.end(), input.shape.begin() + 1) ||
      input.shape[0] < 1) {
    return Status::InvalidArgument("model " + info.name + " expects input [N," +
                                   ShapeToString(info.input_shape).substr(1) +
                                   " with N >= 1, got " + ShapeToString(input.shape));
  }
  if (static_cast<int64_t>(input.data.size()) != FloatTensor::NumElements(input.shape)) {
    return Status::InvalidArgument("input holds " + std::to_string(input.data.size()) +
                                   " values but its shape " + ShapeToString(input.shape) +
                                   " needs " +
                                   std::to_string(FloatTensor::NumElements(input.shape)));
  }
  return Status::Ok();
}

// Runs `fn` converting any torch exception to an Internal status.
// A libtorch error as one line: c10::Error's what() carries a C++ backtrace.
std::string OneLine(const std::exception& e) {
  std::string text;
  if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) {
    text = c10->what_without_backtrace();
  } else {
    text = e.what();
  }
  const size_t newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  if (text.size() > 300) text.resize(300);
  return text;
}

template <typename Fn>
auto Guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal("inference failed: " + OneLine(e));
  }
}

class StagedNetBackend final : public InferenceBackend {
 public:
  StagedNetBackend(models::StagedNet net, ModelInfo info)
      : net_(std::move(net)), info_(std::move(info)) {
    net_->eval();
  }
  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckImageBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      return FromTorch(net_->forward(ToTorch(input)));
    });
  }

  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckImageBatch(input, info_));
    return Guarded([&]() -> Result<std::vector<FloatTensor>> {
      torch::InferenceMode guard;
      std::vector<FloatTensor> out;
      for (const auto& t : net_->ForwardAllExits(ToTorch(input))) out.push_back(FromTorch(t));
      return out;
    });
  }

  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    if (first < 0 || last > info_.num_stages || first >= last) {
      return Status::InvalidArgument("stage range [" + std::to_string(first) + ", " +
                                     std::to_string(last) + ") is outside [0, " +
                                     std::to_string(info_.num_stages) + "]");
    }
    if (first == 0) HIEDGE_RETURN_IF_ERROR(CheckImageBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      return FromTorch(net_->RunStages(ToTorch(input), first, last));
    });
  }

 private:
  models::StagedNet net_;
  ModelInfo info_;
};

// A TorchScript module whose forward maps images to logits. It has one stage and no
// early exits.
class TorchScriptBackend final : public InferenceBackend {
 public:
  TorchScriptBackend(torch::jit::Module module, ModelInfo info)
      : module_(std::move(module)), info_(std::move(info)) {
    module_.eval();
  }
  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckImageBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      // jit::Module::forward is const-safe for concurrent calls on an eval-mode module.
      auto module = module_;
      return FromTorch(module.forward({ToTorch(input)}).toTensor());
    });
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, Infer(input));
    return std::vector<FloatTensor>{std::move(logits)};
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    if (first != 0 || last != 1) {
      return Status::Unimplemented("a TorchScript model has a single stage");
    }
    return Infer(input);
  }

 private:
  torch::jit::Module module_;
  ModelInfo info_;
};

ModelInfo InfoFromCard(const ModelCard& card, int num_stages, std::vector<int> exits) {
  ModelInfo info;
  info.name = card.name;
  info.architecture = card.architecture;
  info.input_shape = card.input_shape;
  info.num_classes = card.num_classes;
  info.parameter_count = card.parameter_count;
  info.macs_per_sample = card.macs_per_sample;
  info.num_stages = num_stages;
  info.early_exit_after_stage = std::move(exits);
  return info;
}

// Runs one zero image through a freshly loaded model and checks the logits' shape, so
// a card that disagrees with its weights (input shape, class count) fails at load,
// not on the first request.
Status DryRun(InferenceBackend& backend, const std::string& source) {
  const ModelInfo& info = backend.info();
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), info.input_shape.begin(), info.input_shape.end());
  FloatTensor zeros{shape,
                    std::vector<float>(static_cast<size_t>(FloatTensor::NumElements(shape)))};
  auto logits = backend.Infer(zeros);
  if (!logits.ok()) {
    return Status::DataLoss(source + " does not run on its declared input shape " +
                            ShapeToString(info.input_shape) + ": " + logits.status().message());
  }
  if (logits->shape != std::vector<int64_t>{1, info.num_classes}) {
    return Status::DataLoss(source + " gives logits of shape " + ShapeToString(logits->shape) +
                            " for one image; its card declares " +
                            std::to_string(info.num_classes) + " classes");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<InferenceBackend>> LoadModelFromCard(const ModelCard& card,
                                                            const std::string& directory) {
  const std::string weights = directory + "/" + card.weights;
  std::unique_ptr<InferenceBackend> backend;
  try {
    if (card.format == "torchscript") {
      torch::jit::Module module = torch::jit::load(weights);
      backend.reset(new TorchScriptBackend(std::move(module), InfoFromCard(card, 1, {})));
    } else {
      models::ArchitectureSpec spec{card.architecture, card.input_shape, card.num_classes,
                                    card.normalize_mean, card.normalize_std};
      HIEDGE_ASSIGN_OR_RETURN(models::StagedNet net, models::BuildNetwork(spec));
      torch::load(net, weights);
      ModelInfo info =
          InfoFromCard(card, static_cast<int>(net->stages.size()), net->exit_after_stage);
      info.parameter_count = net->ParameterCount();
      info.macs_per_sample = net->CountMacs(card.input_shape);
      backend.reset(new StagedNetBackend(std::move(net), std::move(info)));
    }
  } catch (const std::exception& e) {
    return Status::DataLoss("cannot load weights " + weights + ": " + OneLine(e));
  }
  HIEDGE_RETURN_IF_ERROR(DryRun(*backend, weights));
  return backend;
}

Result<std::unique_ptr<InferenceBackend>> LoadModel(const std::string& card_path) {
  HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(card_path));
  return LoadModelFromCard(card, CardDirectory(card_path));
}

void SetInferenceThreads(int threads) {
  if (threads > 0) torch::set_num_threads(threads);
}

}  // namespace hiedge

namespace hiedge {

double MeasurePeakMacsPerSecond() {
  torch::InferenceMode guard;
  constexpr int64_t kN = 1024;
  torch::Tensor a = torch::rand({kN, kN});
  torch::Tensor b = torch::rand({kN, kN});
  torch::mm(a, b);  // Warm-up.
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    torch::Tensor c = torch::mm(a, b);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(kN * kN * kN) / s);
  }
  return best;
}

}  // namespace hiedge
