// InferenceService's state, behind its pointer so embedders see neither the in-flight
// budget nor the batchers and admission controllers (hiedge/server/server.h). Shared by
// inference_service.cc and metrics.cc. Internal to src/server.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "hiedge/server/admission.h"
#include "hiedge/server/batching.h"
#include "hiedge/server/model_stats.h"
#include "hiedge/server/server.h"
#include "server/memory_budget.h"

namespace prometheus {
class Registry;
}

namespace hiedge {

struct InferenceService::Impl {
  struct Admission {  // One model's controller; carried over a replacement like stats.
    explicit Admission(const AdmissionOptions& options) : controller(options) {}
    std::mutex mu;
    AdmissionController controller;  // Guarded by mu.
  };
  struct Served {
    std::string version;
    BatchingConfig batching;
    std::shared_ptr<InferenceBackend> backend;
    std::shared_ptr<ModelStats> stats;
    std::shared_ptr<DynamicBatcher> batcher;  // Null without dynamic batching.
    std::shared_ptr<Admission> admission;     // Null unless batched under an SLO.
  };

  explicit Impl(ServiceLimits service_limits)
      : limits(service_limits), budget(service_limits.inflight_budget_bytes) {}

  int64_t RowCap(const Served& served) const;
  static Served MakeServed(std::shared_ptr<InferenceBackend> backend,
                           const BatchingConfig& batching, const std::string& version,
                           std::shared_ptr<ModelStats> stats,
                           std::shared_ptr<Admission> admission);
  // Admission's verdict on a request for a batched model under an SLO (OK otherwise).
  static Status Admit(const Served& served, const protocol::InferRequest& request);
  static void AddAdmissionMetrics(const Served& served,
                                  const std::function<void(const BackendMetric&)>& add);
  static void AddServerTimeHistogram(Admission& admission,
                                     const std::map<std::string, std::string>& labels,
                                     prometheus::Registry& registry);
  // AddModel (replace = false) and ReplaceModel (replace = true).
  Status Install(const std::string& name, std::shared_ptr<InferenceBackend> backend,
                 const BatchingConfig& batching, const std::string& version, bool replace);
  Result<Served> Find(const std::string& model, const std::string& version) const;
  Result<protocol::InferResponse> InferOn(const Served& served, const std::string& model,
                                          const protocol::InferRequest& request,
                                          ExecutionTimes* times);

  const ServiceLimits limits;
  MemoryBudget budget;
  mutable std::mutex mu;
  std::map<std::string, Served> models;          // Guarded by mu.
  std::map<int, MetricsSource> metrics_sources;  // Guarded by mu.
  int next_metrics_source = 0;                   // Guarded by mu.
  std::atomic<bool> ready{true};
};

}  // namespace hiedge
