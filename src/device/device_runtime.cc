#include "hiedge/decision.h"
#include "hiedge/device.h"

namespace hiedge {
namespace {

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

DeviceRuntime::DeviceRuntime(InferenceBackend* local, OffloadClient* remote, DeviceOptions options)
    : local_(local), remote_(remote), options_(options) {
  batch_shape_ = {1};
  const auto& per_sample = local_->info().input_shape;
  batch_shape_.insert(batch_shape_.end(), per_sample.begin(), per_sample.end());
}

Result<SampleRecord> DeviceRuntime::Process(const float* image) {
  SampleRecord r;
  FloatTensor input{batch_shape_, {}};
  input.data.assign(image, image + FloatTensor::NumElements(batch_shape_));

  auto start = Clock::now();
  HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, local_->Infer(input));
  r.local_ms = MillisSince(start);

  start = Clock::now();
  const std::vector<float> probabilities = Softmax(logits.data);
  const ArgMax top = FindArgMax(probabilities.data(), probabilities.size());
  r.local_prediction = top.index;
  r.confidence = top.value;
  r.offloaded = ShouldOffload(r.confidence, options_.theta);
  r.decision_ms = MillisSince(start);
  r.final_prediction = r.local_prediction;
  if (!r.offloaded) return r;

  start = Clock::now();
  Result<FloatTensor> remote = remote_ != nullptr
                                   ? remote_->Infer(input, options_.offload_deadline)
                                   : Result<FloatTensor>(Status::Unavailable("no edge server configured"));
  r.offload_ms = MillisSince(start);
  if (remote.ok() && r.offload_ms > options_.offload_deadline.count() / 1000.0) {
    remote = Status::DeadlineExceeded("offload answered after its deadline");
  }
  if (remote.ok() && (remote->rows() != 1 || remote->row_size() < 1)) {
    remote = Status::Internal("server returned logits of shape " + ShapeToString(remote->shape));
  }
  if (!remote.ok()) {
    r.fallback = true;
    r.offload_error = remote.status().ToString();
    return r;
  }
  r.remote_prediction = FindArgMax(remote->data.data(), remote->data.size()).index;
  r.final_prediction = r.remote_prediction;
  return r;
}

}  // namespace hiedge
