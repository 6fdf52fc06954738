// N-tier confidence cascades as a served model. A cascade tier runs a local model and
// the device's offload policy on every batch it is asked: rows the policy is sure of
// are answered here, the rest are forwarded over OIP (REST or gRPC) to the next tier,
// which may be another cascade, an L-ML on hiedge, or any OIP server such as Triton.
// A next tier that fails or misses the deadline is answered here instead, counted as a
// fallback. One cost model spans the tiers: each tier's β prices its own offloads, and
// may grow with the next tier's measured round trip, so a slow next tier is asked less.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "hiedge/common/clock.h"
#include "hiedge/common/status.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/live_offload_cost.h"
#include "hiedge/device/device.h"
#include "hiedge/engine/model.h"

namespace hiedge {

// A cascade tier's declaration (JSON, the "weights" file of a card with format
// "cascade"; see docs/deploy.md). Paths are relative to the spec's folder.
struct CascadeSpec {
  std::string name;        // Served model name.
  std::string local_card;  // The model this tier runs.
  std::string decision;    // The decision config calibrated for it (hiedge calibrate).
  OffloadOptions next;     // The next tier: host, port, model, transport, payload.
  std::chrono::microseconds deadline{std::chrono::milliseconds(200)};  // Per forward.
  // β of one offload from this tier = offload_cost + offload_cost_per_ms × the next
  // tier's smoothed round trip in ms. offload_cost < 0 takes the decision config's β.
  // A β other than the config's re-chooses θ on the config's cost curve.
  double offload_cost = -1;
  double offload_cost_per_ms = 0;
  int max_connections = 8;  // Forwards in flight at once (one connection each).

  // Bounded parse; InvalidArgument naming the field for anything missing or out of
  // range. `base_dir` resolves the relative paths.
  static Result<CascadeSpec> FromJson(const std::string& text, const std::string& base_dir);
};
Result<CascadeSpec> ReadCascadeSpec(const std::string& path);

// What a cascade tier did so far; also exported as Prometheus metrics by the server.
struct CascadeCounters {
  uint64_t rows = 0;           // Samples asked.
  uint64_t answered_here = 0;  // The policy was sure: answered by the local model.
  uint64_t forwarded = 0;      // Answered by the next tier.
  uint64_t fallbacks = 0;      // Meant for the next tier, which failed: answered here.
  // Rows sent to another tier than θ at the starting β would have sent them to: the
  // consistency a load-aware tier (offload_cost_per_ms > 0) trades for latency. Always
  // 0 for a tier of fixed β, which answers the same input the same way every time.
  uint64_t moved_by_load = 0;
  double offload_cost = 0;  // β now.
  double theta = 0;         // θ now.
  double next_round_trip_ms = 0;
  std::string last_error;  // The last forward's failure ("" if none yet).
};

// A cascade tier as an InferenceBackend: Infer returns, per row, the next tier's
// logits when forwarded there and answered, the local model's otherwise. Thread-safe;
// `clients` makes one client per connection (at most spec.max_connections).
// InvalidArgument when the config does not suit the model or a β other than the
// config's is asked of a config without a cost curve.
Result<std::unique_ptr<InferenceBackend>> MakeCascadeBackend(
    std::shared_ptr<InferenceBackend> local, const DecisionConfig& decision,
    const CascadeSpec& spec, OffloadClientFactory clients, MicrosClock clock = nullptr);

// The counters of a backend MakeCascadeBackend made; NotFound for any other backend.
Result<CascadeCounters> ReadCascadeCounters(const InferenceBackend& backend);

// Registers the "cascade" backend (card format "cascade", weights = the spec): it loads
// the local model, reads and checks the decision config against it, and forwards with
// the registered offload transports. Idempotent. Linking hiedge_cascade in hiedge's CMake
// tree registers it (self_register.cc); against the installed library, call it in main().
void RegisterCascadeBackend();

// A card for serving `spec_path` (hiedge serve --cascade): format "cascade", the spec's
// name, and the local model's input shape and classes.
Result<ModelCard> CascadeCard(const std::string& spec_path);

}  // namespace hiedge
