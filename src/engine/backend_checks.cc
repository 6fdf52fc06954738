// Checks and card-derived facts shared by every backend.
#include <algorithm>

#include "engine/backends.h"

namespace hiedge::engine {

Status CheckInputBatch(const FloatTensor& input, const ModelInfo& info) {
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

Status CheckStageRange(const ModelInfo& info, int first, int last) {
  if (first < 0 || last > info.num_stages || first >= last) {
    return Status::InvalidArgument("stage range [" + std::to_string(first) + ", " +
                                   std::to_string(last) + ") is outside [0, " +
                                   std::to_string(info.num_stages) + "]");
  }
  return Status::Ok();
}

Status CheckExitIndex(const ModelInfo& info, int exit) {
  if (exit < 0 || exit >= static_cast<int>(info.early_exit_after_stage.size())) {
    return Status::InvalidArgument(
        "model " + info.name + " has " + std::to_string(info.early_exit_after_stage.size()) +
        " early exit(s); exit " + std::to_string(exit) + " does not exist");
  }
  return Status::Ok();
}

ModelInfo InfoFromCard(const ModelCard& card) {
  ModelInfo info;
  info.name = card.name;
  info.architecture = card.architecture;
  info.input_shape = card.input_shape;
  info.num_classes = card.num_classes;
  info.parameter_count = card.parameter_count;
  info.macs_per_sample = card.macs_per_sample;
  info.pixel_inputs = card.pixel_inputs;
  if (!card.input_name.empty()) info.input_name = card.input_name;
  if (!card.output_name.empty()) info.output_name = card.output_name;
  return info;
}

}  // namespace hiedge::engine

namespace hiedge {

const char* RowSourceName(RowSource source) {
  switch (source) {
    case RowSource::kForwarded:
      return "forwarded";
    case RowSource::kFallback:
      return "fallback";
    case RowSource::kHere:
      break;
  }
  return "here";
}

Result<FloatTensor> InferenceBackend::InferWithRowSources(const FloatTensor& input,
                                                          std::vector<RowSource>* sources) {
  sources->clear();
  return Infer(input);
}

Result<std::vector<FloatTensor>> InferenceBackend::InferAllExits(const FloatTensor& input) {
  HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, Infer(input));
  return std::vector<FloatTensor>{std::move(logits)};
}

Result<FloatTensor> InferenceBackend::RunStages(const FloatTensor& input, int first, int last) {
  if (info().num_stages != 1) {
    return Status::Unimplemented("the " + info().architecture + " backend of model " +
                                 info().name + " cannot run its stages one by one");
  }
  HIEDGE_RETURN_IF_ERROR(engine::CheckStageRange(info(), first, last));
  return Infer(input);
}

Result<FloatTensor> InferenceBackend::RunExit(const FloatTensor&, int) {
  return Status::Unimplemented("the " + info().architecture +
                               " backend cannot run early exits stage by stage");
}

}  // namespace hiedge
