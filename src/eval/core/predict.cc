#include <algorithm>

#include "common/progress.h"
#include "eval/core/eval.h"

namespace hiedge {

Status CheckDataFitsModel(const Dataset& data, const ModelInfo& model) {
  const std::vector<int64_t> images = {data.channels, data.height, data.width};
  if (images != model.input_shape) {
    return Status::InvalidArgument("the data set's images are " + ShapeToString(images) +
                                   " but model '" + model.name + "' takes " +
                                   ShapeToString(model.input_shape));
  }
  return Status::Ok();
}

namespace {

void AppendRows(const FloatTensor& logits, Predictions* out) {
  out->classes = static_cast<int>(logits.row_size());
  out->logits.insert(out->logits.end(), logits.data.begin(), logits.data.end());
  for (int64_t r = 0; r < logits.rows(); ++r) {
    const std::vector<float> p = Softmax(logits.row(r), static_cast<size_t>(logits.row_size()));
    const ArgMax top = FindArgMax(p.data(), p.size());
    out->labels.push_back(top.index);
    out->confidences.push_back(top.value);
  }
}

// Runs `run(batch)` over `data` in batches; it returns one logits tensor per output.
template <typename Run>
Result<std::vector<Predictions>> PredictOutputs(InferenceBackend& model, const Dataset& data,
                                                int batch_size, bool progress, Run run) {
  if (batch_size <= 0) return Status::InvalidArgument("batch size must be positive");
  HIEDGE_RETURN_IF_ERROR(CheckDataFitsModel(data, model.info()));
  std::vector<Predictions> out;
  ProgressBar bar(static_cast<int64_t>(data.size()), "predict " + model.info().name, progress);
  const size_t elems = data.image_elements();
  for (size_t start = 0; start < data.size(); start += static_cast<size_t>(batch_size)) {
    const size_t n = std::min(data.size() - start, static_cast<size_t>(batch_size));
    FloatTensor batch{{static_cast<int64_t>(n), data.channels, data.height, data.width}, {}};
    batch.data.assign(data.image(start), data.image(start) + n * elems);
    HIEDGE_ASSIGN_OR_RETURN(std::vector<FloatTensor> outputs, run(batch));
    out.resize(outputs.size());
    for (size_t k = 0; k < outputs.size(); ++k) AppendRows(outputs[k], &out[k]);
    bar.Update(static_cast<int64_t>(start + n));
  }
  return out;
}

}  // namespace

Result<Predictions> Predict(InferenceBackend& model, const Dataset& data, int batch_size,
                            bool progress) {
  HIEDGE_ASSIGN_OR_RETURN(
      std::vector<Predictions> out,
      PredictOutputs(model, data, batch_size, progress,
                     [&](const FloatTensor& batch) -> Result<std::vector<FloatTensor>> {
                       HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, model.Infer(batch));
                       return std::vector<FloatTensor>{std::move(logits)};
                     }));
  if (out.empty()) return Predictions{};
  return std::move(out[0]);
}

Result<std::vector<Predictions>> PredictAllExits(InferenceBackend& model, const Dataset& data,
                                                 int batch_size, bool progress) {
  return PredictOutputs(model, data, batch_size, progress,
                        [&](const FloatTensor& batch) { return model.InferAllExits(batch); });
}

double AccuracyOf(const Predictions& p, const Dataset& data) {
  if (data.size() == 0) return 0;
  size_t correct = 0;
  for (size_t i = 0; i < data.size(); ++i) correct += p.labels[i] == data.labels[i] ? 1 : 0;
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

LabelledLogits Labelled(const Predictions& local, const Predictions& remote,
                        const std::vector<int32_t>& labels) {
  LabelledLogits out;
  out.local_logits = local.logits;
  out.classes = local.classes;
  out.labels = labels;
  out.remote_predictions = std::span<const int32_t>(remote.labels.data(), remote.labels.size());
  return out;
}

std::vector<SampleOutcome> JoinOutcomes(const Predictions& local, const Predictions& remote,
                                        const Dataset& data) {
  std::vector<SampleOutcome> out(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    out[i] = {local.confidences[i], local.labels[i] == data.labels[i],
              remote.labels[i] == data.labels[i]};
  }
  return out;
}

std::vector<BetaSweepRow> SweepOffloadCost(const std::vector<SampleOutcome>& validation,
                                           const std::vector<SampleOutcome>& test, int steps) {
  std::vector<BetaSweepRow> rows;
  for (int step = 0; step <= steps; ++step) {
    const CostModel cost{static_cast<double>(step) / steps, 1.0};
    BetaSweepRow row;
    row.beta = cost.offload_cost;
    row.theta = OptimalThreshold(validation, cost).theta;
    const ThresholdPoint hi = EvaluateThreshold(test, row.theta, cost);
    row.offload_fraction = hi.offload_fraction();
    row.hi_cost = hi.mean_cost();
    row.full_offload_cost = EvaluateThreshold(test, kAlwaysOffload, cost).mean_cost();
    row.no_offload_cost = EvaluateThreshold(test, 0.0, cost).mean_cost();
    row.reduction_vs_full = row.full_offload_cost > 0 ? 1 - row.hi_cost / row.full_offload_cost : 0;
    rows.push_back(row);
  }
  return rows;
}

}  // namespace hiedge
