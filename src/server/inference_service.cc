#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "hiedge/common/clock.h"
#include "hiedge/decision/decision.h"
#include "hiedge/server/server.h"
#include "server/service_impl.h"

namespace hiedge {
namespace {

std::vector<int64_t> BatchedShape(const std::vector<int64_t>& per_sample) {
  std::vector<int64_t> shape = {-1};
  shape.insert(shape.end(), per_sample.begin(), per_sample.end());
  return shape;
}

Status ValidateInput(const protocol::InferRequest& request, const ModelInfo& info, int64_t max_rows,
                     bool allow_non_finite) {
  if (request.inputs.size() != 1) {
    return Status::InvalidArgument("model '" + info.name + "' takes 1 input, got " +
                                   std::to_string(request.inputs.size()));
  }
  const protocol::Tensor& input = request.inputs[0];
  if (input.name != info.input_name) {
    return Status::InvalidArgument("unknown input " + Quoted(input.name) + " for model '" +
                                   info.name + "' (expected '" + info.input_name + "')");
  }
  if (input.datatype == "UINT8") {
    if (!info.pixel_inputs) {
      return Status::InvalidArgument("input " + Quoted(input.name) +
                                     " has datatype UINT8, but model '" + info.name +
                                     "' takes FP32 only (its card does not declare pixel_inputs)");
    }
    // Decoded from JSON, a UINT8 value may be anything: only whole numbers 0..255 are bytes.
    const auto bad = std::find_if(input.data.begin(), input.data.end(), [](float v) {
      return !(v >= 0 && v <= 255) || v != std::floor(v);
    });
    if (bad != input.data.end()) {
      return Status::InvalidArgument("input '" + input.name +
                                     "' holds a UINT8 value out of range (" + std::to_string(*bad) +
                                     ") at element " + std::to_string(bad - input.data.begin()));
    }
  } else if (input.datatype != "FP32" && input.datatype != "FP16") {
    return Status::InvalidArgument(
        "input " + Quoted(input.name) + " has datatype " + input.datatype + ", model '" +
        info.name + "' expects FP32 or FP16" + (info.pixel_inputs ? " or UINT8 pixels" : ""));
  }
  const bool shape_ok =
      input.shape.size() == info.input_shape.size() + 1 && input.shape[0] >= 1 &&
      std::equal(info.input_shape.begin(), info.input_shape.end(), input.shape.begin() + 1);
  if (!shape_ok) {
    return Status::InvalidArgument("input " + Quoted(input.name) + " has shape " +
                                   ShapeToString(input.shape) + ", model '" + info.name +
                                   "' expects " + ShapeToString(BatchedShape(info.input_shape)));
  }
  if (input.shape[0] > max_rows) {
    return Status::InvalidArgument("input " + Quoted(input.name) + " has " +
                                   std::to_string(input.shape[0]) + " rows; model '" + info.name +
                                   "' takes at most " + std::to_string(max_rows) +
                                   " per request (split the batch)");
  }
  if (!allow_non_finite) {
    const auto bad = std::find_if(input.data.begin(), input.data.end(),
                                  [](float v) { return !std::isfinite(v); });
    if (bad != input.data.end()) {
      return Status::InvalidArgument("input " + Quoted(input.name) + " holds a non-finite value (" +
                                     std::to_string(*bad) + ") at element " +
                                     std::to_string(bad - input.data.begin()));
    }
  }
  return Status::Ok();
}

// Triton's classification extension: the top-k classes of each row as "score:index".
protocol::Tensor Classify(const FloatTensor& logits, int k, const std::string& name) {
  protocol::Tensor out;
  out.name = name;
  out.datatype = "BYTES";
  const int64_t classes = logits.row_size();
  k = static_cast<int>(std::min<int64_t>(k, classes));
  out.shape = {logits.rows(), k};
  for (int64_t r = 0; r < logits.rows(); ++r) {
    std::vector<float> p = Softmax(logits.row(r), static_cast<size_t>(classes));
    std::vector<int> order(static_cast<size_t>(classes));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
    for (int i = 0; i < k; ++i) {
      char text[48];
      std::snprintf(text, sizeof(text), "%f:%d", p[order[i]], order[i]);
      out.strings.emplace_back(text);
    }
  }
  return out;
}

}  // namespace

InferenceService::InferenceService(ServiceLimits limits)
    : impl_(std::make_unique<Impl>(limits)) {}
InferenceService::~InferenceService() = default;
const ServiceLimits& InferenceService::limits() const { return impl_->limits; }
MemoryBudget& InferenceService::inflight_budget() { return impl_->budget; }
bool InferenceService::IsReady() const { return impl_->ready.load(); }
void InferenceService::SetReady(bool ready) { impl_->ready.store(ready); }

InferenceService::Impl::Served InferenceService::Impl::MakeServed(std::shared_ptr<InferenceBackend> backend,
                                                      const BatchingConfig& batching,
                                                      const std::string& version,
                                                      std::shared_ptr<ModelStats> stats,
                                                      std::shared_ptr<Admission> admission) {
  auto batcher = batching.enabled()
                     ? std::make_shared<DynamicBatcher>(backend, batching, stats.get())
                     : nullptr;
  if (!batcher) admission = nullptr;
  return Served{version,          batching,           std::move(backend),
                std::move(stats), std::move(batcher), std::move(admission)};
}

Status InferenceService::AddModel(const std::string& name,
                                  std::shared_ptr<InferenceBackend> backend,
                                  const BatchingConfig& batching, const std::string& version) {
  return impl_->Install(name, std::move(backend), batching, version, /*replace=*/false);
}

Status InferenceService::ReplaceModel(const std::string& name,
                                      std::shared_ptr<InferenceBackend> backend,
                                      const BatchingConfig& batching, const std::string& version) {
  return impl_->Install(name, std::move(backend), batching, version, /*replace=*/true);
}

Status InferenceService::Impl::Install(const std::string& name, std::shared_ptr<InferenceBackend> backend,
                                 const BatchingConfig& batching, const std::string& version,
                                 bool replace) {
  if (name.empty() || backend == nullptr || version.empty()) {
    return Status::InvalidArgument("model needs a name, a version and a backend");
  }
  Served old;  // Released after the lock: its batcher may wait for its worker.
  std::lock_guard<std::mutex> lock(mu);
  const auto it = models.find(name);
  if (it != models.end() && !replace) {
    return Status::InvalidArgument("model '" + name + "' is already served");
  }
  // Statistics and the admission controller carry over a replacement.
  auto stats = it != models.end() ? it->second.stats : std::make_shared<ModelStats>();
  std::shared_ptr<Admission> admission;
  if (it != models.end() && it->second.admission) {
    admission = it->second.admission;
  } else if (limits.admission.slo_ms > 0) {
    HIEDGE_RETURN_IF_ERROR(ValidateAdmissionOptions(limits.admission));
    admission = std::make_shared<Admission>(limits.admission);
  }
  Served fresh =
      MakeServed(std::move(backend), batching, version, std::move(stats), std::move(admission));
  if (it == models.end()) {
    models.emplace(name, std::move(fresh));
  } else {
    old = std::exchange(it->second, std::move(fresh));
  }
  return Status::Ok();
}

Status InferenceService::RemoveModel(const std::string& name) {
  Impl::Served old;
  std::lock_guard<std::mutex> lock(impl_->mu);
  const auto it = impl_->models.find(name);
  if (it == impl_->models.end()) return Status::NotFound("unknown model " + Quoted(name));
  old = std::move(it->second);
  impl_->models.erase(it);
  return Status::Ok();
}

protocol::ServerMetadata InferenceService::GetServerMetadata() const {
  return {kServerName, kServerVersion, {"binary_tensor_data", "classification"}};
}

Result<InferenceService::Impl::Served> InferenceService::Impl::Find(const std::string& model,
                                                        const std::string& version) const {
  std::lock_guard<std::mutex> lock(mu);
  const auto it = models.find(model);
  if (it == models.end()) return Status::NotFound("unknown model " + Quoted(model));
  if (!version.empty() && version != it->second.version) {
    return Status::NotFound("model '" + model + "' has no version " + Quoted(version));
  }
  return it->second;
}

Result<protocol::ModelMetadata> InferenceService::GetModelMetadata(
    const std::string& model, const std::string& version) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, version));
  const ModelInfo& info = served.backend->info();
  protocol::ModelMetadata m;
  m.name = model;
  m.versions = {served.version};
  m.platform = "hiedge_" + info.architecture;
  m.inputs = {{info.input_name, "FP32", BatchedShape(info.input_shape)}};
  m.outputs = {{info.output_name, "FP32", {-1, info.num_classes}}};
  return m;
}

Result<InferenceService::ServedConfig> InferenceService::GetModelConfig(
    const std::string& model, const std::string& version) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, version));
  const ModelInfo& info = served.backend->info();
  return ServedConfig{model, served.version, "hiedge_" + info.architecture, info, served.batching};
}

Status InferenceService::CheckModelReady(const std::string& model,
                                         const std::string& version) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, version));
  return Status::Ok();
}

int64_t InferenceService::Impl::RowCap(const Served& served) const {
  return served.batching.enabled() ? served.batching.max_batch_size : limits.max_rows_per_request;
}

Result<int64_t> InferenceService::MaxRowsPerRequest(const std::string& model) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, ""));
  return impl_->RowCap(served);
}

int64_t InferenceService::PendingRequests() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  int64_t pending = 0;
  for (const auto& [name, served] : impl_->models) pending += served.stats->pending_requests.load();
  return pending;
}

std::vector<std::string> InferenceService::ModelNames() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> names;
  for (const auto& [name, served] : impl_->models) names.push_back(name);
  return names;
}

Result<ModelStats::Snapshot> InferenceService::GetModelStats(const std::string& model) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, ""));
  return served.stats->Read();
}

Result<protocol::ModelStatisticsReport> InferenceService::GetStatisticsReport(
    const std::string& model, const std::string& version) const {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, version));
  const ModelStats::Snapshot x = served.stats->Read();
  return protocol::MakeStatisticsReport(
      model, served.version,
      {x.request_success, x.request_failure, x.inference_count, x.execution_count,
       x.request_duration_us, x.failure_duration_us, x.queue_duration_us, x.compute_duration_us});
}

Result<protocol::InferResponse> InferenceService::Infer(const std::string& model,
                                                        const std::string& version,
                                                        const protocol::InferRequest& request) {
  HIEDGE_ASSIGN_OR_RETURN(Impl::Served served, impl_->Find(model, version));
  ModelStats& stats = *served.stats;
  const auto start = std::chrono::steady_clock::now();
  stats.pending_requests.fetch_add(1);
  ExecutionTimes times;
  Result<protocol::InferResponse> response = impl_->InferOn(served, model, request, &times);
  stats.pending_requests.fetch_sub(1);
  const auto elapsed_us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count());
  // Triton's semantics: durations, queue and compute of successful requests only.
  if (response.ok()) {
    stats.request_success.fetch_add(1);
    stats.request_duration_us.fetch_add(elapsed_us);
    stats.queue_duration_us.fetch_add(times.queue_us);
    stats.compute_duration_us.fetch_add(times.compute_us);
    stats.inference_count.fetch_add(static_cast<uint64_t>(request.inputs[0].shape[0]));
  } else {
    stats.request_failure.fetch_add(1);
    stats.failure_duration_us.fetch_add(elapsed_us);
  }
  return response;
}

Status InferenceService::Impl::Admit(const Served& served, const protocol::InferRequest& request) {
  if (!served.admission) return Status::Ok();
  const int64_t queued_rows = served.batcher->QueuedRows();
  const int64_t now = SteadyMicros();
  const int64_t waited_us = request.received_us > 0 ? now - request.received_us : 0;
  std::lock_guard<std::mutex> lock(served.admission->mu);
  return served.admission->controller.Admit(request.client_id, request.inputs[0].shape[0],
                                            queued_rows, served.batcher->instances(), now,
                                            waited_us);
}

bool InferenceService::RunsInline(const std::string& model, size_t body_bytes) const {
  if (impl_->limits.inline_below_us <= 0 || body_bytes > impl_->limits.inline_max_body_bytes) return false;
  auto served = impl_->Find(model, "");
  if (!served.ok() || served->batcher) return false;
  const uint64_t answered = served->stats->request_success.load();
  if (answered < 100) return false;  // Not enough seen to call it cheap.
  const double mean_us =
      static_cast<double>(served->stats->compute_duration_us.load()) / static_cast<double>(answered);
  return mean_us <= impl_->limits.inline_below_us;
}

int64_t InferenceService::OffloadPricePpm(const std::string& model) const {
  auto served = impl_->Find(model, "");
  if (!served.ok() || !served->admission) return -1;
  std::lock_guard<std::mutex> lock(served->admission->mu);
  return served->admission->controller.PricePpm(SteadyMicros());
}

Result<protocol::InferResponse> InferenceService::Impl::InferOn(const Served& served,
                                                          const std::string& model,
                                                          const protocol::InferRequest& request,
                                                          ExecutionTimes* times) {
  const ModelInfo& info = served.backend->info();
  HIEDGE_RETURN_IF_ERROR(
      ValidateInput(request, info, RowCap(served), limits.allow_non_finite_inputs));
  int classification = 0;
  for (const protocol::RequestedOutput& o : request.outputs) {
    if (o.name != info.output_name) {
      return Status::InvalidArgument("unknown output " + Quoted(o.name) + " for model '" + model +
                                     "'");
    }
    classification = o.classification;
  }
  FloatTensor input{request.inputs[0].shape, request.inputs[0].data};
  // UINT8 pixels become the model's [0, 1] input exactly as the data loaders make it.
  if (request.inputs[0].datatype == "UINT8") {
    for (float& v : input.data) v = v / 255.0f;
  }
  FloatTensor logits;
  if (served.batcher) {
    HIEDGE_RETURN_IF_ERROR(Admit(served, request));
    int64_t timeout_us = request.timeout_us;
    if (served.admission) {  // Nothing admitted waits past the objective.
      const auto slo_us = static_cast<int64_t>(served.admission->controller.options().slo_ms * 1000);
      const int64_t waited_us = request.received_us > 0 ? SteadyMicros() - request.received_us : 0;
      const int64_t left_us = std::max<int64_t>(slo_us - waited_us, 1);
      timeout_us = timeout_us > 0 ? std::min(timeout_us, left_us) : left_us;
    }
    HIEDGE_ASSIGN_OR_RETURN(logits, served.batcher->Infer(input, timeout_us, times));
    if (served.admission) {
      const int64_t now = SteadyMicros();
      const int64_t before_queue_us =
          request.received_us > 0
              ? std::max<int64_t>(0, now - request.received_us -
                                         static_cast<int64_t>(times->queue_us + times->compute_us))
              : 0;
      std::lock_guard<std::mutex> lock(served.admission->mu);
      served.admission->controller.RecordServed(
          before_queue_us + static_cast<int64_t>(times->queue_us), input.shape[0],
          times->batch_rows, static_cast<int64_t>(times->compute_us), now);
    }
  } else {
    const auto start = std::chrono::steady_clock::now();
    HIEDGE_ASSIGN_OR_RETURN(logits,
                            served.backend->InferWithRowSources(input, &times->row_sources));
    served.stats->execution_count.fetch_add(1);
    times->compute_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::steady_clock::now() - start)
                                                  .count());
  }

  protocol::InferResponse response;
  response.model_name = model;
  response.model_version = served.version;
  response.id = request.id;
  // Answers a fallback gave are flagged on the response, not only counted.
  // The queue wait lets clients choosing among servers see load before round trips do.
  if (served.batcher) {
    response.parameters[protocol::kQueueParameter] = static_cast<int64_t>(times->queue_us);
  }
  if (served.admission) {
    std::lock_guard<std::mutex> lock(served.admission->mu);
    response.parameters[protocol::kOffloadPriceParameter] =
        served.admission->controller.PricePpm(SteadyMicros());
  }
  // A composite (a cascade tier) says who answered each row, and counts the fallbacks.
  if (!times->row_sources.empty()) {
    std::string sources;
    for (const RowSource s : times->row_sources) {
      sources += (sources.empty() ? "" : ",") + std::string(RowSourceName(s));
    }
    response.string_parameters[protocol::kRowSourcesParameter] = std::move(sources);
    const auto fallbacks =
        std::count(times->row_sources.begin(), times->row_sources.end(), RowSource::kFallback);
    if (fallbacks > 0) response.parameters[protocol::kFallbackRowsParameter] = fallbacks;
  }
  if (classification > 0) {
    response.outputs.push_back(Classify(logits, classification, info.output_name));
  } else {
    response.outputs.push_back(
        {info.output_name, "FP32", logits.shape, std::move(logits.data), {}});
  }
  return response;
}

}  // namespace hiedge
