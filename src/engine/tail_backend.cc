// The tail of a staged model served as a model of its own (DNN partitioning): stages
// [from_stage, num_stages) take the activation the head on the device computed.
#include "engine/backends.h"

namespace hiedge {
namespace {

class TailBackend final : public InferenceBackend {
 public:
  TailBackend(std::shared_ptr<InferenceBackend> model, int from_stage, ModelInfo info)
      : model_(std::move(model)), from_stage_(from_stage), info_(std::move(info)) {}

  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return model_->RunStages(input, from_stage_, model_->info().num_stages);
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, Infer(input));
    return std::vector<FloatTensor>{std::move(logits)};
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    HIEDGE_RETURN_IF_ERROR(engine::CheckStageRange(info_, first, last));
    HIEDGE_RETURN_IF_ERROR(engine::CheckInputBatch(input, info_));
    return model_->RunStages(input, from_stage_ + first, from_stage_ + last);
  }

 private:
  std::shared_ptr<InferenceBackend> model_;
  const int from_stage_;
  ModelInfo info_;
};

}  // namespace

Result<std::unique_ptr<InferenceBackend>> MakeTailBackend(std::shared_ptr<InferenceBackend> model,
                                                          int from_stage) {
  if (!model) return Status::InvalidArgument("a tail needs a model");
  const ModelInfo& whole = model->info();
  if (from_stage < 1 || from_stage >= whole.num_stages) {
    return Status::InvalidArgument("model " + whole.name + " has stages 0.." +
                                   std::to_string(whole.num_stages - 1) + "; a tail starts at 1.." +
                                   std::to_string(whole.num_stages - 1));
  }
  // The activation's shape: one zero image through the head.
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), whole.input_shape.begin(), whole.input_shape.end());
  const FloatTensor zero{
      shape, std::vector<float>(static_cast<size_t>(FloatTensor::NumElements(shape)), 0.0f)};
  HIEDGE_ASSIGN_OR_RETURN(FloatTensor activation, model->RunStages(zero, 0, from_stage));
  ModelInfo info = whole;
  info.name = whole.name + "_tail" + std::to_string(from_stage);
  info.input_shape.assign(activation.shape.begin() + 1, activation.shape.end());
  info.num_stages = whole.num_stages - from_stage;
  info.early_exit_after_stage.clear();
  info.exit_head_macs.clear();
  info.pixel_inputs = false;  // Activations, not pixels.
  if (static_cast<int>(whole.stage_macs.size()) == whole.num_stages) {
    info.stage_macs.assign(whole.stage_macs.begin() + from_stage, whole.stage_macs.end());
    info.macs_per_sample = 0;
    for (int64_t m : info.stage_macs) info.macs_per_sample += m;
  }
  return std::unique_ptr<InferenceBackend>(
      std::make_unique<TailBackend>(std::move(model), from_stage, std::move(info)));
}

}  // namespace hiedge
