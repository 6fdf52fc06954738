// The edge server core: a registry of models and the Open Inference Protocol
// operations on them, independent of any transport. Transports (REST in
// http_server.h) are thin adapters over InferenceService.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/server/admission.h"
#include "hiedge/server/batching.h"
#include "hiedge/engine/model.h"
#include "hiedge/server/model_stats.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/common/status.h"

namespace hiedge {

class MemoryBudget;  // src/server/memory_budget.h: the transports' charge per request.

inline constexpr const char* kServerName = "hiedge";
inline constexpr const char* kServerVersion = "0.1.0";

// Bounds on the work one request may ask for, the same on every transport.
struct ServiceLimits {
  // Rows per request for a model served without dynamic batching; with batching the
  // model's max_batch_size is the cap. More rows: InvalidArgument (HTTP 400).
  int64_t max_rows_per_request = 64;
  // Bytes of estimated peak memory all requests in flight may hold together (transports
  // charge each request before decoding it; see docs/deploy.md for the estimate).
  // Beyond it: ResourceExhausted (HTTP 503, gRPC UNAVAILABLE). 0 = unlimited.
  size_t inflight_budget_bytes = size_t{256} << 20;
  // NaN or infinite input values are InvalidArgument unless this is set.
  bool allow_non_finite_inputs = false;
  // Admission control and the offload price under a latency objective, for every model
  // served with dynamic batching (its queue is what admission predicts); off while
  // admission.slo_ms is 0. See hiedge/server/admission.h.
  AdmissionOptions admission;
  // Requests for an unbatched model whose mean compute per request (over at least 100
  // answered) is at most this, with a body of at most inline_max_body_bytes, run on the
  // transport's own thread instead of a model worker: for a model that computes almost
  // nothing, the hand-off to a worker and back costs more than the model. 0 = never.
  double inline_below_us = 20;
  size_t inline_max_body_bytes = 64 << 10;
};

// Thread-safe: all methods may be called concurrently. Owns the backends it serves
// (shared with requests in flight) and their batchers; its state is private
// (src/server/service_impl.h).
class InferenceService {
 public:
  explicit InferenceService(ServiceLimits limits = {});
  ~InferenceService();
  InferenceService(const InferenceService&) = delete;
  InferenceService& operator=(const InferenceService&) = delete;

  const ServiceLimits& limits() const;
  // The server-wide in-flight budget the transports charge (src/server/memory_budget.h).
  MemoryBudget& inflight_budget();
  // Largest rows per request `model` takes (its max_batch_size with dynamic batching,
  // else limits().max_rows_per_request). NotFound for an unknown model.
  Result<int64_t> MaxRowsPerRequest(const std::string& model) const;

  // Serves `backend` as `name` at `version`, batching requests dynamically when
  // `batching` is enabled. A name already served: InvalidArgument.
  Status AddModel(const std::string& name, std::shared_ptr<InferenceBackend> backend,
                  const BatchingConfig& batching = {}, const std::string& version = "1");
  // Serves `backend` as `name`, replacing any model of that name in one atomic swap:
  // requests already running finish on the old model, later ones get the new one.
  // Statistics carry over, so Prometheus counters stay monotonic.
  Status ReplaceModel(const std::string& name, std::shared_ptr<InferenceBackend> backend,
                      const BatchingConfig& batching, const std::string& version);
  // Stops serving `name` (in-flight requests finish). NotFound if not served.
  Status RemoveModel(const std::string& name);

  bool IsLive() const { return true; }
  bool IsReady() const;
  // Goes false during shutdown so load balancers stop sending work.
  void SetReady(bool ready);

  protocol::ServerMetadata GetServerMetadata() const;
  // Version "" means the latest. NotFound for an unknown model or version.
  Result<protocol::ModelMetadata> GetModelMetadata(const std::string& model,
                                                   const std::string& version) const;
  Status CheckModelReady(const std::string& model, const std::string& version) const;
  std::vector<std::string> ModelNames() const;

  // How a model is served, for Triton's ModelConfig. NotFound as GetModelMetadata.
  struct ServedConfig {
    std::string name;
    std::string version;
    std::string platform;
    ModelInfo info;
    BatchingConfig batching;
  };
  Result<ServedConfig> GetModelConfig(const std::string& model, const std::string& version) const;

  // Statistics of one model; NotFound for an unknown model.
  Result<ModelStats::Snapshot> GetModelStats(const std::string& model) const;
  // Requests received by the service and not yet answered, over all models.
  int64_t PendingRequests() const;
  // The same figures as Triton's model statistics (REST /stats and gRPC ModelStatistics).
  Result<protocol::ModelStatisticsReport> GetStatisticsReport(const std::string& model,
                                                              const std::string& version) const;
  // Prometheus text exposition of every model's statistics (Triton's metric names),
  // and of the server-wide sources below.
  std::string RenderMetrics() const;
  // A server-wide source of metrics (no model labels), e.g. a transport's; read at
  // every scrape until removed. Returns its id. Thread-safe.
  using MetricsSource = std::function<std::vector<BackendMetric>()>;
  int AddMetricsSource(MetricsSource source);
  void RemoveMetricsSource(int id);

  // Whether a request of `body_bytes` for `model` may run on the transport's thread
  // (ServiceLimits::inline_below_us). False for unknown and batched models.
  bool RunsInline(const std::string& model, size_t body_bytes) const;

  // The model's current offload price (β × 10^6), or -1 when it is not served under a
  // latency objective. Transports attach it to refusals.
  int64_t OffloadPricePpm(const std::string& model) const;

  // Runs one request. InvalidArgument for a request the model cannot take (wrong
  // input name, datatype, shape), NotFound for an unknown model, Overloaded when
  // admission control refuses it.
  Result<protocol::InferResponse> Infer(const std::string& model, const std::string& version,
                                        const protocol::InferRequest& request);

 private:
  struct Impl;  // src/server/service_impl.h
  std::unique_ptr<Impl> impl_;
};

}  // namespace hiedge
