// The cascade tier as an InferenceBackend: local model, offload policy, forwarding to
// the next tier over a bounded pool of OIP clients, fallback to the local answer.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "hiedge/cascade/cascade.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {
namespace {

// At most `max` clients, each used by one forward at a time. Thread-safe.
class ClientPool {
 public:
  ClientPool(OffloadClientFactory factory, OffloadOptions options, int max)
      : factory_(std::move(factory)), options_(std::move(options)), max_(max) {}

  // A free client, a new one while fewer than `max` exist, or null if none frees up
  // before `until` (a steady time point).
  std::unique_ptr<OffloadClient> Acquire(std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      if (!idle_.empty()) {
        auto client = std::move(idle_.back());
        idle_.pop_back();
        return client;
      }
      if (created_ < max_) {
        ++created_;
        lock.unlock();
        return factory_(options_);
      }
      if (freed_.wait_until(lock, until) == std::cv_status::timeout && idle_.empty()) {
        return nullptr;
      }
    }
  }

  void Release(std::unique_ptr<OffloadClient> client) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      idle_.push_back(std::move(client));
    }
    freed_.notify_one();
  }

 private:
  OffloadClientFactory factory_;
  OffloadOptions options_;
  int max_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<OffloadClient>> idle_;
  int created_ = 0;
};

class CascadeBackend final : public InferenceBackend {
 public:
  CascadeBackend(std::shared_ptr<InferenceBackend> local, DecisionConfig decision,
                 OffloadPolicy policy, const CascadeSpec& spec, OffloadClientFactory clients,
                 MicrosClock clock)
      : local_(std::move(local)),
        decision_(std::move(decision)),
        deadline_(spec.deadline),
        pool_(std::move(clients), spec.next, spec.max_connections),
        clock_(clock ? std::move(clock) : MicrosClock(SteadyMicros)),
        live_(spec.offload_cost >= 0 ? spec.offload_cost : decision_.offload_cost,
              spec.offload_cost_per_ms),
        policy_(std::move(policy)),
        start_policy_(policy_) {
    info_ = local_->info();
    info_.name = spec.name;
    info_.architecture = "cascade";
    info_.num_stages = 1;
    info_.early_exit_after_stage.clear();
    info_.stage_macs.clear();
    info_.exit_head_macs.clear();
    rechoose_ = spec.offload_cost_per_ms > 0 ||
                (spec.offload_cost >= 0 && spec.offload_cost != decision_.offload_cost);
    counters_.offload_cost = live_.beta(clock_());
    counters_.theta = policy_.theta();
  }

  // Chooses θ for the starting β; InvalidArgument when that needs a missing cost curve.
  Status Start() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!rechoose_) return Status::Ok();
    auto point = PointForOffloadCost(decision_, live_.beta(clock_()));
    if (!point.ok()) return Status::InvalidArgument(point.status().message());
    SetTheta(point->theta);
    start_policy_ = policy_;
    return Status::Ok();
  }

  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    std::vector<RowSource> ignored;
    return InferWithRowSources(input, &ignored);
  }

  // Every row's source is reported: here, forwarded, or here as a fallback when the
  // next tier failed or was late.
  Result<FloatTensor> InferWithRowSources(const FloatTensor& input,
                                          std::vector<RowSource>* sources) override {
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, local_->Infer(input));
    const int64_t rows = logits.shape.empty() ? 0 : logits.shape[0];
    const int64_t width = logits.row_size();
    const int64_t sample = FloatTensor::NumElements(input.shape) / std::max<int64_t>(rows, 1);
    const OffloadPolicy policy = CurrentPolicy();
    sources->assign(static_cast<size_t>(rows), RowSource::kHere);
    std::vector<int64_t> unsure;
    uint64_t moved = 0;
    for (int64_t r = 0; r < rows; ++r) {
      const std::span<const float> row(logits.data.data() + r * width, static_cast<size_t>(width));
      const bool offload = policy.Decide(row).offload;
      if (offload) unsure.push_back(r);
      if (rechoose_ && offload != start_policy_.Decide(row).offload) ++moved;
    }
    CountMoved(moved);
    if (unsure.empty()) {
      Count(rows, 0, 0, {});
      return logits;
    }
    FloatTensor forward{input.shape, {}};
    forward.shape[0] = static_cast<int64_t>(unsure.size());
    forward.data.reserve(unsure.size() * static_cast<size_t>(sample));
    for (int64_t r : unsure) {
      const auto begin = input.data.begin() + r * sample;
      forward.data.insert(forward.data.end(), begin, begin + sample);
    }
    const int64_t start = clock_();
    Result<FloatTensor> remote = Forward(forward);
    const double elapsed_ms = static_cast<double>(clock_() - start) / 1000.0;
    Status problem = remote.status();
    if (problem.ok() && (remote->shape.size() != 2 || remote->shape[0] != forward.shape[0] ||
                         remote->shape[1] != width)) {
      problem = Status::DataLoss("the next tier answered shape " + ShapeToString(remote->shape) +
                                 " for " + std::to_string(forward.shape[0]) + " rows of " +
                                 std::to_string(width) + " classes");
    }
    for (size_t k = 0; k < unsure.size(); ++k) {
      (*sources)[static_cast<size_t>(unsure[k])] =
          problem.ok() ? RowSource::kForwarded : RowSource::kFallback;
      if (problem.ok()) {
        std::copy_n(remote->data.begin() + static_cast<int64_t>(k) * width, width,
                    logits.data.begin() + unsure[k] * width);
      }
    }
    ObserveRoundTrip(elapsed_ms);
    const auto sent = static_cast<int64_t>(unsure.size());
    Count(rows - sent, problem.ok() ? sent : 0, problem.ok() ? 0 : sent, problem);
    return logits;
  }

  std::vector<BackendMetric> Metrics() const override {
    const CascadeCounters c = Read();
    auto rows = [](const char* outcome, uint64_t value) {
      return BackendMetric{"hiedge_cascade_rows_total",
                           "Samples a cascade tier was asked, by who answered them "
                           "(here, next tier, or here after the next tier failed)",
                           {{"outcome", outcome}},
                           static_cast<double>(value),
                           true};
    };
    return {rows("here", c.answered_here),
            rows("forwarded", c.forwarded),
            rows("fallback", c.fallbacks),
            {"hiedge_cascade_rows_moved_by_load_total",
             "Rows answered by another tier than θ at the starting β would have chosen (a "
             "load-aware tier trading consistency for latency)",
             {},
             static_cast<double>(c.moved_by_load),
             true},
            {"hiedge_cascade_offload_cost",
             "β of one offload from this tier now",
             {},
             c.offload_cost,
             false},
            {"hiedge_cascade_theta", "The offload threshold now", {}, c.theta, false},
            {"hiedge_cascade_next_round_trip_ms",
             "Smoothed round trip of the next tier (ms)",
             {},
             c.next_round_trip_ms,
             false}};
  }

  CascadeCounters Read() const {
    std::lock_guard<std::mutex> lock(mu_);
    return counters_;
  }

 private:
  Result<FloatTensor> Forward(const FloatTensor& rows) {
    const auto until = std::chrono::steady_clock::now() + deadline_;
    std::unique_ptr<OffloadClient> client = pool_.Acquire(until);
    if (!client) {
      return Status::DeadlineExceeded("every connection to the next tier stayed busy");
    }
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        until - std::chrono::steady_clock::now());
    Result<FloatTensor> out = client->Infer(rows, std::max(left, std::chrono::microseconds(1)));
    pool_.Release(std::move(client));
    return out;
  }

  // The policy at β now (which moves with the next tier's round trip, and back as
  // it recovers while idle).
  OffloadPolicy CurrentPolicy() {
    std::lock_guard<std::mutex> lock(mu_);
    UpdateBeta(clock_());
    return policy_;
  }

  void ObserveRoundTrip(double ms) {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_();
    live_.ObserveRoundTrip(ms, now);
    UpdateBeta(now);
  }

  void UpdateBeta(int64_t now) {  // mu_ held.
    counters_.next_round_trip_ms = live_.round_trip_ms(now);
    counters_.offload_cost = live_.beta(now);
    if (!rechoose_) return;
    // Start() proved the curve is there; β stays finite and >= 0.
    if (auto point = PointForOffloadCost(decision_, counters_.offload_cost); point.ok()) {
      SetTheta(point->theta);
    }
  }

  void SetTheta(double theta) {  // mu_ held.
    policy_ = policy_.WithTheta(theta);
    counters_.theta = theta;
  }

  void CountMoved(uint64_t rows) {
    if (rows == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    counters_.moved_by_load += rows;
  }

  void Count(int64_t here, int64_t forwarded, int64_t fallbacks, const Status& problem) {
    std::lock_guard<std::mutex> lock(mu_);
    counters_.rows += static_cast<uint64_t>(here + forwarded + fallbacks);
    counters_.answered_here += static_cast<uint64_t>(here);
    counters_.forwarded += static_cast<uint64_t>(forwarded);
    counters_.fallbacks += static_cast<uint64_t>(fallbacks);
    if (!problem.ok()) counters_.last_error = problem.ToString();
  }

  std::shared_ptr<InferenceBackend> local_;
  const DecisionConfig decision_;
  const std::chrono::microseconds deadline_;
  ClientPool pool_;
  MicrosClock clock_;
  ModelInfo info_;
  bool rechoose_ = false;
  mutable std::mutex mu_;
  LiveOffloadCost live_;        // Guarded by mu_.
  OffloadPolicy policy_;        // Guarded by mu_.
  OffloadPolicy start_policy_;  // θ at the starting β; set by Start(), then read-only.
  CascadeCounters counters_;    // Guarded by mu_.
};

}  // namespace

Result<std::unique_ptr<InferenceBackend>> MakeCascadeBackend(
    std::shared_ptr<InferenceBackend> local, const DecisionConfig& decision,
    const CascadeSpec& spec, OffloadClientFactory clients, MicrosClock clock) {
  if (!local) return Status::InvalidArgument("a cascade needs a local model");
  HIEDGE_ASSIGN_OR_RETURN(OffloadPolicy policy, OffloadPolicy::FromConfig(decision));
  auto backend = std::make_unique<CascadeBackend>(std::move(local), decision, std::move(policy),
                                                  spec, std::move(clients), std::move(clock));
  if (Status started = backend->Start(); !started.ok()) {
    return Status::InvalidArgument("cascade " + spec.name + ": " + started.message());
  }
  return std::unique_ptr<InferenceBackend>(std::move(backend));
}

Result<CascadeCounters> ReadCascadeCounters(const InferenceBackend& backend) {
  const auto* cascade = dynamic_cast<const CascadeBackend*>(&backend);
  if (cascade == nullptr) return Status::NotFound(backend.info().name + " is not a cascade");
  return cascade->Read();
}

}  // namespace hiedge
