// libtorch backends: hiedge's staged networks and TorchScript modules.
#include <torch/script.h>

#include "engine/backends.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/model_card.h"
#include "hiedge/torch/train.h"
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

// libtorch's intra-op pool is process-wide: each model sets its own count before it
// runs, so a model keeps the threads it was loaded with.
void UseThreads(int threads) {
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
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
  StagedNetBackend(models::StagedNet net, ModelInfo info, int threads)
      : net_(std::move(net)), info_(std::move(info)), threads_(threads) {
    net_->eval();
  }
  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      UseThreads(threads_);
      return FromTorch(net_->forward(ToTorch(input)));
    });
  }

  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return Guarded([&]() -> Result<std::vector<FloatTensor>> {
      torch::InferenceMode guard;
      UseThreads(threads_);
      std::vector<FloatTensor> out;
      for (const auto& t : net_->ForwardAllExits(ToTorch(input))) out.push_back(FromTorch(t));
      return out;
    });
  }

  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckStageRange(info_, first, last));
    if (first == 0) HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      UseThreads(threads_);
      return FromTorch(net_->RunStages(ToTorch(input), first, last));
    });
  }

  Result<FloatTensor> RunExit(const FloatTensor& stage_output, int exit) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckExitIndex(info_, exit));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      UseThreads(threads_);
      return FromTorch(net_->exit_heads[static_cast<size_t>(exit)]->forward(ToTorch(stage_output)));
    });
  }

 private:
  models::StagedNet net_;
  ModelInfo info_;
  int threads_;
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
    HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return Guarded([&]() -> Result<FloatTensor> {
      torch::InferenceMode guard;
      // jit::Module::forward is const-safe for concurrent calls on an eval-mode module.
      auto module = module_;
      return FromTorch(module.forward({ToTorch(input)}).toTensor());
    });
  }

 private:
  torch::jit::Module module_;
  ModelInfo info_;
};

Result<std::unique_ptr<InferenceBackend>> LoadStagedNet(const ModelCard& card,
                                                        const std::string& weights,
                                                        const LoadOptions& options) {
  at::set_num_threads(options.threads);
  try {
    models::ArchitectureSpec spec{card.architecture, card.input_shape, card.num_classes,
                                  card.normalize_mean, card.normalize_std};
    HIEDGE_ASSIGN_OR_RETURN(models::StagedNet net, models::BuildNetwork(spec));
    torch::load(net, weights);
    ModelInfo info = engine::InfoFromCard(card);
    info.num_stages = static_cast<int>(net->stages.size());
    info.early_exit_after_stage = net->exit_after_stage;
    info.parameter_count = net->ParameterCount();
    info.macs_per_sample = net->CountMacs(card.input_shape);
    return std::unique_ptr<InferenceBackend>(
        new StagedNetBackend(std::move(net), std::move(info), options.threads));
  } catch (const std::exception& e) {
    return Status::DataLoss("cannot load weights " + weights + ": " + OneLine(e));
  }
}

Result<std::unique_ptr<InferenceBackend>> LoadTorchScript(const ModelCard& card,
                                                          const std::string& weights,
                                                          const LoadOptions& options) {
  at::set_num_threads(options.threads);
  try {
    torch::jit::Module module = torch::jit::load(weights);
    return std::unique_ptr<InferenceBackend>(
        new TorchScriptBackend(std::move(module), engine::InfoFromCard(card)));
  } catch (const std::exception& e) {
    return Status::DataLoss("cannot load weights " + weights + ": " + OneLine(e));
  }
}

}  // namespace

void RegisterTorchBackends() {
  RegisterBackend({"torch", "hiedge", 50}, LoadStagedNet);
  RegisterBackend({"torchscript", "torchscript", 50}, LoadTorchScript);
}

}  // namespace hiedge
