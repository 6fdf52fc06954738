#include <algorithm>
#include <cmath>

#include "hiedge/common/clock.h"
#include "hiedge/decision/decision.h"
#include "hiedge/device/device.h"
#include "hiedge/device/early_exit.h"

namespace hiedge {

DeviceRuntime::DeviceRuntime(InferenceBackend* local, OffloadClient* remote, DeviceOptions options,
                             MicrosClock clock)
    : local_(local),
      remote_(remote),
      options_(options),
      clock_(clock ? std::move(clock) : MicrosClock(SteadyMicros)),
      one_sample_shape_({1}),
      breaker_(options.breaker),
      calibrated_theta_(std::isnan(options.drift_theta) ? options.policy.theta()
                                                         : options.drift_theta),
      live_cost_(options.cost_curve ? options.cost_curve->offload_cost : 0,
                 options.cost_curve ? options.offload_cost_per_ms : 0, /*smoothing=*/0.2,
                 /*recovery_half_life_ms=*/1000,
                 options.cost_curve.has_value() && options.follow_server_price) {
  const std::vector<int64_t>& per_sample = local->info().input_shape;
  one_sample_shape_.insert(one_sample_shape_.end(), per_sample.begin(), per_sample.end());
  options_.offload_batch = std::max<size_t>(options_.offload_batch, 1);
}

double DeviceRuntime::MillisSince(int64_t start_us) const {
  return static_cast<double>(clock_() - start_us) / 1000.0;
}

Result<std::vector<DeviceRuntime::Answer>> DeviceRuntime::Submit(size_t sample,
                                                                 const TensorView& image) {
  HIEDGE_RETURN_IF_ERROR(CheckShape(image, local_->info().input_shape, "sample"));
  SampleRecord r;
  FloatTensor input{one_sample_shape_, {}};
  input.data.assign(image.data.begin(), image.data.end());

  int64_t start = clock_();
  FloatTensor logits;
  if (options_.exit_thresholds.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(logits, local_->Infer(input));
  } else {
    HIEDGE_ASSIGN_OR_RETURN(EarlyExitRun run,
                            RunWithEarlyExits(*local_, input, options_.exit_thresholds));
    logits = std::move(run.logits);
    r.exit = run.exit_of[0];
  }
  r.local_ms = MillisSince(start);

  start = clock_();
  if (r.exit >= 0) {  // Sure at an early exit: answered there, never offloaded.
    const std::vector<float> p = Softmax(logits.data);
    const ArgMax top = FindArgMax(p.data(), p.size());
    r.local_prediction = top.index;
    r.confidence = r.score = top.value;
  } else {
    FollowOffloadCost();
    const PolicyDecision decision = options_.policy.Decide(logits.data);
    r.local_prediction = decision.prediction;
    r.confidence = decision.confidence;
    r.score = decision.score;
    r.offloaded = decision.offload;
    if (options_.learner) {
      const FieldDecision learned = options_.learner->Decide(sample, decision.score);
      r.offloaded = learned.offload;
      r.audit = learned.audit;
    }
  }
  r.decision_ms = MillisSince(start);
  r.final_prediction = r.local_prediction;

  // The detector sees every sample's local part now, in submission order; an offload's
  // L-ML answer follows when it arrives.
  ObserveDrift(r, input.data);
  std::vector<Answer> answers;
  if (!r.offloaded) {
    answers.push_back({sample, r});
    // An audit is answered now; its image rides with the next offload request.
    if (r.audit) queue_.push_back({sample, r, clock_(), std::move(input.data), true});
  } else {
    queue_.push_back({sample, r, clock_(), std::move(input.data), false});
  }
  if (queue_.size() >= options_.offload_batch) {
    std::vector<Answer> sent = SendQueue();
    answers.insert(answers.end(), sent.begin(), sent.end());
  } else {
    std::vector<Answer> due = Poll();
    answers.insert(answers.end(), due.begin(), due.end());
  }
  return answers;
}

std::vector<DeviceRuntime::Answer> DeviceRuntime::Poll() {
  if (queue_.empty() ||
      clock_() - queue_.front().enqueued_us < options_.offload_batch_delay.count())
    return {};
  return SendQueue();
}

std::vector<DeviceRuntime::Answer> DeviceRuntime::Flush() { return SendQueue(); }

Result<FloatTensor> DeviceRuntime::Send(const FloatTensor& batch) {
  if (remote_ == nullptr) return Status::Unavailable("no edge server configured");
  if (!offload_stopped_.ok()) return offload_stopped_;
  // Constant messages: the summary groups fallbacks by their cause.
  if (!breaker_.Allow(clock_())) {
    return Status::Unavailable(
        "circuit open: the server failed repeatedly; falling back at once until a probe "
        "gets through");
  }
  const int64_t start = clock_();
  ServerReport report;
  Result<FloatTensor> remote = remote_->InferReporting(batch, options_.offload_deadline, &report);
  if (report.malformed_price) ++ignored_prices_;
  if (report.price_ppm >= 0) {
    live_cost_.ObserveServerPrice(static_cast<double>(report.price_ppm) / 1e6, clock_());
  }
  if (remote.ok() && clock_() - start > options_.offload_deadline.count()) {
    remote = Status::DeadlineExceeded("offload answered after its deadline");
  }
  const StatusCode code = remote.status().code();
  if (code == StatusCode::kUnauthenticated) {
    offload_stopped_ =
        Status::Unauthenticated("offloading stopped: the server refused the credentials (" +
                                BoundedMessage(remote.status().message(), 200) + ")");
    return offload_stopped_;
  }
  // A refusal (admission control) is the server working as designed: it never opens
  // the breaker, and the sample falls back at once.
  if (code == StatusCode::kOverloaded) return remote;
  // Only failures that cost the wait count (at least half the deadline: a hung server,
  // whatever the transport calls it); a refused connection fails at once anyway, and
  // the breaker must not delay noticing a restarted server. Any answer closes it.
  const int64_t waited_us = clock_() - start;
  if (remote.ok() || code == StatusCode::kInvalidArgument) {
    breaker_.RecordSuccess();
  } else if (2 * waited_us >= options_.offload_deadline.count()) {
    breaker_.RecordFailure(clock_());
  }
  return remote;
}

std::vector<DeviceRuntime::Answer> DeviceRuntime::SendQueue() {
  if (queue_.empty()) return {};
  const auto rows = static_cast<int64_t>(queue_.size());
  std::vector<int64_t> shape = one_sample_shape_;
  shape[0] = rows;
  FloatTensor batch{shape, {}};
  batch.data.reserve(static_cast<size_t>(FloatTensor::NumElements(shape)));
  for (const Queued& q : queue_)
    batch.data.insert(batch.data.end(), q.image.begin(), q.image.end());

  const int64_t start = clock_();
  Result<FloatTensor> remote = Send(batch);
  const double round_trip_ms = MillisSince(start);
  // A failed offload counts at its elapsed time: a server timing out prices itself up.
  if (live_cost_.live()) live_cost_.ObserveRoundTrip(round_trip_ms, clock_());
  if (remote.ok() && (remote->rows() != rows || remote->row_size() < 1)) {
    remote = Status::Internal("server returned logits of shape " + ShapeToString(remote->shape) +
                              " for " + std::to_string(rows) + " samples");
  }
  std::vector<Answer> answers;
  for (size_t i = 0; i < queue_.size(); ++i) {
    const int remote_prediction = remote.ok() ? FindArgMax(remote->row(static_cast<int64_t>(i)),
                                                           static_cast<size_t>(remote->row_size()))
                                                    .index
                                              : -1;
    if (options_.learner) {
      options_.learner->RecordSent(queue_[i].sample, queue_[i].record.local_prediction,
                                   remote_prediction);
    }
    if (queue_[i].audit_only) continue;
    SampleRecord r = queue_[i].record;
    // Waiting for the batch is part of the sample's offload time.
    r.offload_ms = round_trip_ms + static_cast<double>(start - queue_[i].enqueued_us) / 1000.0;
    if (!remote.ok()) {
      r.fallback = true;
      r.offload_error = remote.status().ToString();
    } else {
      r.remote_prediction = remote_prediction;
      r.final_prediction = r.remote_prediction;
    }
    ObserveDriftAnswer(r);
    answers.push_back({queue_[i].sample, std::move(r)});
  }
  queue_.clear();
  return answers;
}

// The detector watches the input, not the learner: it sees what the calibrated policy
// would have done (a learner moving θ on purpose is no drift), and the L-ML's
// disagreement on those offloads only, the population its reference was measured on.
bool DeviceRuntime::CalibratedOffload(const SampleRecord& r) const {
  return r.exit < 0 && r.score < calibrated_theta_;
}

double DeviceRuntime::offload_beta() const {
  const double base = options_.cost_curve ? options_.cost_curve->offload_cost : 0;
  return live_cost_.live() ? live_cost_.beta(clock_()) : base;
}

void DeviceRuntime::FollowOffloadCost() {
  if (!live_cost_.live()) return;
  // Validated by the caller (the config has a curve); a failure keeps θ as it is.
  auto point = PointForOffloadCost(*options_.cost_curve, live_cost_.beta(clock_()));
  if (point.ok() && point->theta != options_.policy.theta()) {
    options_.policy = options_.policy.WithTheta(point->theta);
  }
}

void DeviceRuntime::ObserveDrift(SampleRecord& r, std::span<const float> input) {
  if (!options_.drift) return;
  r.drift_alarm =
      options_.drift->ObserveSample(r.confidence, CalibratedOffload(r), input, r.local_prediction);
  if (r.drift_alarm && options_.learner) options_.learner->OnDrift();
}

void DeviceRuntime::ObserveDriftAnswer(SampleRecord& r) {
  if (!options_.drift || !CalibratedOffload(r) || r.remote_prediction < 0 || r.fallback) return;
  const bool alarm = options_.drift->ObserveAnswer(r.remote_prediction != r.local_prediction);
  if (alarm && options_.learner) options_.learner->OnDrift();
  r.drift_alarm = r.drift_alarm || alarm;
}

Status DeviceRuntime::Feedback(size_t sample, int label) {
  if (!options_.learner) return Status::FailedPrecondition("feedback without a field learner");
  return options_.learner->Feedback(sample, label);
}

Result<SampleRecord> DeviceRuntime::Process(const TensorView& image) {
  if (!queue_.empty())
    return Status::FailedPrecondition("Process() while samples are queued for offload");
  HIEDGE_ASSIGN_OR_RETURN(std::vector<Answer> answers, Submit(process_calls_++, image));
  if (answers.empty()) answers = Flush();
  Flush();  // An audit answered at once still goes to the server now.
  return std::move(answers.front().record);
}

}  // namespace hiedge
