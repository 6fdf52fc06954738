// The edge server core: a registry of models and the Open Inference Protocol
// operations on them, independent of any transport. Transports (REST in
// http_server.h) are thin adapters over InferenceService.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hiedge/batching.h"
#include "hiedge/model.h"
#include "hiedge/model_stats.h"
#include "hiedge/protocol.h"
#include "hiedge/status.h"

namespace hiedge {

inline constexpr const char* kServerName = "hiedge";
inline constexpr const char* kServerVersion = "0.1.0";
// Tensor names every hiedge model exposes.
inline constexpr const char* kInputName = "input";
inline constexpr const char* kLogitsName = "logits";

// Thread-safe: all methods may be called concurrently.
class InferenceService {
 public:
  // Serves `backend` as `name`, version "1", batching requests dynamically when
  // `batching` is enabled. A name already served: InvalidArgument.
  Status AddModel(const std::string& name, std::shared_ptr<InferenceBackend> backend,
                  const BatchingConfig& batching = {});

  bool IsLive() const { return true; }
  bool IsReady() const { return ready_.load(); }
  // Goes false during shutdown so load balancers stop sending work.
  void SetReady(bool ready) { ready_.store(ready); }

  protocol::ServerMetadata GetServerMetadata() const;
  // Version "" means the latest. NotFound for an unknown model or version.
  Result<protocol::ModelMetadata> GetModelMetadata(const std::string& model,
                                                   const std::string& version) const;
  Status CheckModelReady(const std::string& model, const std::string& version) const;
  std::vector<std::string> ModelNames() const;

  // Statistics of one model; NotFound for an unknown model.
  Result<ModelStats::Snapshot> GetModelStats(const std::string& model) const;
  // Prometheus text exposition of every model's statistics (Triton's metric names).
  std::string RenderMetrics() const;

  // Runs one request. InvalidArgument for a request the model cannot take (wrong
  // input name, datatype, shape), NotFound for an unknown model.
  Result<protocol::InferResponse> Infer(const std::string& model, const std::string& version,
                                        const protocol::InferRequest& request);

 private:
  struct Served {
    std::shared_ptr<InferenceBackend> backend;
    std::shared_ptr<ModelStats> stats;
    std::shared_ptr<DynamicBatcher> batcher;  // Null without dynamic batching.
  };
  Result<Served> Find(const std::string& model, const std::string& version) const;
  Result<protocol::InferResponse> InferOn(const Served& served, const std::string& model,
                                          const protocol::InferRequest& request);

  mutable std::mutex mu_;
  std::map<std::string, Served> models_;  // Guarded by mu_.
  std::atomic<bool> ready_{true};
};

}  // namespace hiedge
