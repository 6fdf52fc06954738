// The device side of seed 004's two-level architecture over the network: the
// first-level model runs here, and its mid-layer features go to second-level models
// (experts) on edge servers, chosen by Alg. 2 and placed by Alg. 1.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "hiedge/common/clock.h"
#include "hiedge/device/device.h"
#include "hiedge/decision/endpoint_selector.h"
#include "hiedge/engine/model.h"
#include "hiedge/decision/two_level_config.h"

namespace hiedge {

struct TwoLevelSampleRecord {
  int first_level_class = -1;
  int final_class = -1;      // The one answer given for the sample.
  std::vector<int> asked;    // Superclasses whose expert was asked, in order.
  std::vector<int> servers;  // Server (cluster) that answered each asked expert; -1 = none.
  int answered = 0;          // Experts that answered in time.
  int forwarded = 0;         // Answers from a server other than the local one.
  bool local = false;        // accept_locally: the first level answered alone, no expert asked.
  bool recalled = false;     // Alg. 2's recall step ran.
  bool fallback = false;     // No expert answered: the first level's class was used.
  // The expert-call budget stopped experts this sample's plan wanted (parallel, recall
  // or all): answered with the best it had.
  bool budget_limited = false;
  double first_level_ms = 0;
  double second_level_ms = 0;  // All expert round trips.
  std::string error;           // Why an expert was not answered (the last reason).
};

// Not thread-safe: one per device thread. Borrows `first_level` and the clients, which
// must outlive it. Experts of one sample are asked in parallel (each on its own
// clients), so `clock` must be safe to call from several threads.
class TwoLevelDevice {
 public:
  // clients[c][s]: the client for superclass s's expert on server (cluster) c, or null
  // where that server does not hold it; this is the Alg. 1 placement. `deadline`
  // bounds each expert request. `clock` returns microseconds (steady when null).
  // `expert_budget` > 0 caps the running expert calls per image (ExpertCallBudget).
  // `selection` tunes the server choice (smoothing, probing, cooldown after a failure).
  TwoLevelDevice(InferenceBackend* first_level, TwoLevelConfig config,
                 std::vector<std::vector<OffloadClient*>> clients, int local_cluster,
                 std::chrono::microseconds deadline, MicrosClock clock = nullptr,
                 double expert_budget = 0, EndpointSelectorOptions selection = {});

  // One image of the first-level model's per-sample shape [C, H, W]. Errors only for a
  // mismatched shape (InvalidArgument) or a failing local model; an unreachable expert
  // falls back, flagged.
  Result<TwoLevelSampleRecord> Process(const TensorView& image);

  // Smoothed measured round trip of each server (µs; 0 until measured).
  std::vector<double> estimated_wait_us() const;
  // The server choice (the same EndpointSelector as the multi-endpoint client's).
  const EndpointSelector& servers() const { return servers_; }
  const ExpertCallBudget& budget() const { return budget_; }

 private:
  struct AskOutcome {
    std::optional<SecondLevelAnswer> answer;
    int server = -1;  // That answered.
    double rtt_us = 0;
    double queue_us = -1;  // The server's reported queue wait; < 0: none reported.
    std::vector<int> failed_servers;
    std::string error;  // The last failure's reason.
  };
  // Asks superclass s's expert on the server chosen for it, failing over to the other
  // holders. Reads shared state only (the selector is updated after, in AskAll), so
  // several run at once.
  AskOutcome Ask(int superclass, const FloatTensor& features) const;
  // Asks these superclasses' experts (in parallel when several), then records the
  // answers and the measured waits in order.
  void AskAll(const std::vector<int>& superclasses, const FloatTensor& features,
              std::vector<SecondLevelAnswer>* answers, TwoLevelSampleRecord* record);

  InferenceBackend* first_level_;
  TwoLevelConfig config_;
  std::vector<std::vector<OffloadClient*>> clients_;
  std::vector<std::vector<int>> models_on_;
  int local_cluster_;
  std::chrono::microseconds deadline_;
  MicrosClock clock_;
  EndpointSelector servers_;           // One endpoint per cluster.
  std::vector<int64_t> sample_shape_;  // [1, ...input_shape] of one image.
  ExpertCallBudget budget_;
};

}  // namespace hiedge
