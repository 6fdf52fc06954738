// The device runtime: S-ML on every sample, a threshold decision, and offload of the
// complex samples to an edge server, with a deadline and local fallback.
#pragma once

#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hiedge/decision/circuit_breaker.h"
#include "hiedge/common/clock.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/drift.h"
#include "hiedge/decision/endpoint_selector.h"
#include "hiedge/decision/field_learner.h"
#include "hiedge/decision/live_offload_cost.h"
#include "hiedge/engine/model.h"
#include "hiedge/decision/offload_policy.h"
#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

namespace hiedge {

// Device side of the offload link. Not thread-safe: one client per device thread.
// What a server said about one answered request, beside the logits (OIP response
// parameters of hiedge servers; other servers report nothing).
struct ServerReport {
  int64_t queue_us = -1;      // Its wait in the server's batch queue; -1: not reported.
  int64_t fallback_rows = 0;  // Rows a cascade tier answered alone (its next tier failed).
  // The server's offload price, β × 10^6 (hiedge/server/admission.h), with an answer or a
  // refusal; -1: none. Only values in [0, kMaxOffloadPricePpm] are taken; any other
  // (negative, huge, not an integer) sets malformed_price and is ignored.
  int64_t price_ppm = -1;
  bool malformed_price = false;
};
inline constexpr int64_t kMaxOffloadPricePpm = 10'000'000;  // β = 10.

class OffloadClient {
 public:
  virtual ~OffloadClient() = default;
  // Remote logits [N, classes] for images [N, ...], or an error. Must return within
  // about `deadline`; DeadlineExceeded when it could not.
  virtual Result<FloatTensor> Infer(const FloatTensor& images,
                                    std::chrono::microseconds deadline) = 0;
  // Infer, also filling `report` (not null) from the server's answer. The default
  // reports nothing.
  virtual Result<FloatTensor> InferReporting(const FloatTensor& images,
                                             std::chrono::microseconds deadline,
                                             ServerReport* report) {
    *report = {};
    return Infer(images, deadline);
  }
};

// How an offload request carries its tensor.
enum class Payload {
  kFp32,
  // IEEE half floats: half of FP32's bytes, for any input (images or features);
  // rounding error at most 2^-11 of a value (ties to even).
  kFp16,
  // Images in [0, 1] as bytes round(v * 255): a quarter of FP32's bytes, exact for
  // pixels loaded as byte / 255. The server's model must declare pixel_inputs.
  kUint8Pixels,
};

struct OffloadOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model = "lml";
  bool binary = true;        // REST: binary tensor data extension both ways (else JSON numbers).
  std::string bearer_token;  // Sent as "Authorization: Bearer <token>" when set.
  // Retries on 503 / UNAVAILABLE (server shedding load) and on connections dropped
  // before an answer, each after a jittered backoff drawn uniformly from
  // [0, backoff_base * 2^attempt], all within the request's deadline. A server that is
  // down (connection refused) is not retried: the device falls back at once.
  int max_retries = 2;
  std::chrono::microseconds backoff_base{std::chrono::milliseconds(2)};
  uint64_t jitter_seed = 1;
  // A registered offload transport's name: "rest" (built in), "grpc" (hiedge_device_grpc),
  // or any other this program registered (RegisterOffloadTransport).
  std::string transport = "rest";
  std::string tls_root_cert_file;  // gRPC: non-empty = TLS, trusting this PEM root.
  Payload payload = Payload::kFp32;
  // Sent as the hiedge-client-id header / metadata when set (the server's quotas key
  // on it): 1-64 characters of [A-Za-z0-9._:-].
  std::string client_id;
};

// Open Inference Protocol client over one persistent connection (REST keep-alive or
// a gRPC channel that reconnects by itself after a server restart), for the transport
// options.transport names. REST is built into hiedge_device; gRPC is registered by
// hiedge_device_grpc (hiedge/device/device_grpc.h). A transport this program has not
// registered gives a client whose every call fails with FailedPrecondition (check with
// ParseTransport first to refuse at start-up).
std::unique_ptr<OffloadClient> MakeOffloadClient(const OffloadOptions& options);

// The transport registry: one factory per name (1-32 characters of [a-z0-9_-]; a second
// registration of a name replaces the first). Adding a transport is one folder that
// registers its factory: MakeOffloadClient, ParseTransport and every command's
// --transport read this registry. Thread-safe.
using OffloadClientFactory =
    std::function<std::unique_ptr<OffloadClient>(const OffloadOptions& options)>;
// InvalidArgument for a malformed name or an empty factory.
Status RegisterOffloadTransport(const std::string& name, OffloadClientFactory factory);
bool OffloadTransportAvailable(const std::string& name);
// The registered names, sorted.
std::vector<std::string> RegisteredOffloadTransports();

// An OffloadClient over several servers: each request goes to the endpoint the
// selector chooses; when it fails with time left, the next choice is tried (each
// endpoint at most once per request). Not thread-safe. `clock` returns microseconds
// (steady clock when null); injected for tests.
std::unique_ptr<OffloadClient> MakeMultiEndpointClient(
    std::vector<std::unique_ptr<OffloadClient>> endpoints, EndpointSelectorOptions options = {},
    MicrosClock clock = nullptr);

// `name` when a transport of that name is registered; InvalidArgument naming the
// registered ones otherwise.
Result<std::string> ParseTransport(const std::string& name);
// "fp32", "fp16" or "uint8"; InvalidArgument otherwise. PayloadName is the inverse.
Result<Payload> ParsePayload(const std::string& name);
const char* PayloadName(Payload payload);
// Sets options->host and ->port from "host:port"; InvalidArgument otherwise.
Status ParseHostPort(const std::string& endpoint, OffloadOptions* options);

struct DeviceOptions {
  // The offload decision on the S-ML's final logits; default: never offload.
  OffloadPolicy policy = OffloadPolicy::MaxSoftmax(0);
  std::chrono::microseconds offload_deadline{std::chrono::milliseconds(500)};  // Per request.
  // Batched offload: unsure samples wait to share one request, at most
  // `offload_batch` samples per request and `offload_batch_delay` of waiting for the
  // oldest. 1 sends each unsure sample at once, on its own.
  size_t offload_batch = 1;
  std::chrono::microseconds offload_batch_delay{0};
  // EE-HI: one max-softmax threshold per early exit of the S-ML (> 1 disables one).
  // A sample sure enough at an exit is answered there and never offloaded; the rest
  // run on to the final exit and the policy. Empty: the S-ML runs whole.
  std::vector<double> exit_thresholds;
  // Drift detection against the calibration's statistics; none when empty.
  std::optional<DriftDetector> drift;
  // The θ the drift reference was calibrated at, when the policy runs at another one (an
  // S-ML-only run at θ 0, an L-ML-only run above 1): the detector judges "would have
  // offloaded" at this θ. NaN: the policy's own θ.
  double drift_theta = std::numeric_limits<double>::quiet_NaN();
  // Learning in the field: θ from the learner instead of the policy's, audits, labels
  // through DeviceRuntime::Feedback; a drift alarm makes it forget. None when empty.
  std::optional<FieldLearner> learner;
  // A hung server: after breaker.failures_to_open offloads in a row missed their
  // deadline, offloads fall back at once (no wait) until a probe after the cool-down
  // gets through. (A refused connection fails at once anyway and does not count.) A server that
  // refuses the credentials (UNAUTHENTICATED) is not asked again: offloading stops for good
  // (DeviceRuntime::offload_stopped).
  CircuitBreakerOptions breaker;
  // Load-aware offloading (0: off): β of an offload = cost_curve's β + this × the
  // smoothed round trip of the last offloads (ms; it includes the server's queue), and
  // θ is re-chosen on cost_curve's curve (PointForOffloadCost), so a slow or busy
  // server is asked less and again once it recovers (the estimate halves every idle
  // second). Off without `cost_curve` (the decision config, with its curve); not with
  // a field learner, which owns θ (the CLI refuses both).
  double offload_cost_per_ms = 0;
  std::optional<DecisionConfig> cost_curve;
  // Server-set thresholds: add the price the server reports (hiedge/server/admission.h) to β
  // and re-choose θ on cost_curve's curve, like offload_cost_per_ms (with which it
  // combines). A reported value out of range is ignored and counted
  // (DeviceRuntime::ignored_prices). Needs `cost_curve`; not with a field learner.
  bool follow_server_price = false;
};

struct SampleRecord {
  int local_prediction = -1;
  float confidence = 0;    // S-ML max probability (at the policy's temperature).
  float score = 0;         // The policy module's score (offload iff < theta).
  int exit = -1;           // The early exit that answered; -1: the final exit.
  bool offloaded = false;  // The decision said offload.
  // Audited by the field learner: its true label is wanted (DeviceRuntime::Feedback).
  // Sent to the server also when not offloaded; then answered locally all the same.
  bool audit = false;
  int remote_prediction = -1;  // -1 unless the server answered in time.
  bool fallback = false;       // Offload failed or missed its deadline; local answer used.
  int final_prediction = -1;   // The one answer given for the sample.
  double local_ms = 0;         // S-ML inference.
  double decision_ms = 0;      // Softmax + threshold.
  double offload_ms = 0;       // Offload round trip (0 when not offloaded).
  std::string offload_error;   // Why the fallback happened.
  bool drift_alarm = false;    // Drift detection alarmed on this sample.

  double total_ms() const { return local_ms + decision_ms + offload_ms; }
};

// Not thread-safe. `local` and `remote` are borrowed and must outlive the runtime;
// `remote` may be null (then every offload falls back). `clock` returns microseconds
// (steady clock when null) and times everything the records report; injected so the
// batching delay is tested without sleeps.
class DeviceRuntime {
 public:
  DeviceRuntime(InferenceBackend* local, OffloadClient* remote, DeviceOptions options,
                MicrosClock clock = nullptr);

  struct Answer {
    size_t sample = 0;  // The id given to Submit.
    SampleRecord record;
  };

  // Streaming use. Runs the S-ML on one image, whose shape must be the local model's
  // per-sample input shape (else InvalidArgument, nothing queued), and
  // returns the answers that became final: this sample's when it stays local, and every
  // queued sample's when this one fills the offload batch or the oldest queued sample
  // has waited offload_batch_delay. Every submitted sample is answered exactly once,
  // by Submit, Poll or Flush. Errors of the local model itself are returned as a status
  // (the failing sample is not queued).
  Result<std::vector<Answer>> Submit(size_t sample, const TensorView& image);
  // Sends the queue if its oldest sample has waited offload_batch_delay (call when idle).
  std::vector<Answer> Poll();
  // Sends whatever is queued (end of stream).
  std::vector<Answer> Flush();
  size_t queued() const { return queue_.size(); }

  // One image, answered now: Submit then Flush. FailedPrecondition while samples are
  // queued. Its sample id (for Feedback) is the number of earlier Process calls.
  Result<SampleRecord> Process(const TensorView& image);
  // The application's true label for a sample (its Submit id), for the field learner.
  // FailedPrecondition without a learner; NotFound when the learner is not waiting for
  // that sample (accepted and not audited, already labelled, or too long ago).
  Status Feedback(size_t sample, int label);

  const DeviceOptions& options() const { return options_; }
  // The live drift detector, or null when drift detection is off.
  const DriftDetector* drift() const { return options_.drift ? &*options_.drift : nullptr; }
  // The live field learner, or null when learning is off.
  const FieldLearner* learner() const { return options_.learner ? &*options_.learner : nullptr; }
  const ModelInfo& local_model() const { return local_->info(); }
  // Not OK once offloading stopped for good (the server refused the credentials): every
  // later offload falls back at once with this status as its cause.
  const Status& offload_stopped() const { return offload_stopped_; }
  const CircuitBreaker& breaker() const { return breaker_; }
  // Server prices ignored as nonsense (negative, huge, not an integer).
  uint64_t ignored_prices() const { return ignored_prices_; }
  // β of an offload now: the cost curve's, plus the live round-trip and server-price
  // parts when those are on.
  double offload_beta() const;

 private:
  struct Queued {
    size_t sample;
    SampleRecord record;
    int64_t enqueued_us;
    std::vector<float> image;
    bool audit_only;  // Already answered locally; sent for the learner only.
  };
  std::vector<Answer> SendQueue();
  // Drift: a sample's local part when it is decided (submission order), an offload's
  // L-ML answer when it arrives; either sets record.drift_alarm.
  bool CalibratedOffload(const SampleRecord& record) const;
  // Load-aware offloading: θ for β now (a no-op when off).
  void FollowOffloadCost();
  // One offload request through the breaker (or refused by it, or after offloading
  // stopped).
  Result<FloatTensor> Send(const FloatTensor& batch);
  void ObserveDrift(SampleRecord& record, std::span<const float> input);
  void ObserveDriftAnswer(SampleRecord& record);
  double MillisSince(int64_t start_us) const;

  InferenceBackend* local_;
  OffloadClient* remote_;
  DeviceOptions options_;
  MicrosClock clock_;
  std::vector<int64_t> one_sample_shape_;  // {1, ...per-sample shape of the local model}
  std::vector<Queued> queue_;
  size_t process_calls_ = 0;
  CircuitBreaker breaker_;
  Status offload_stopped_;
  double calibrated_theta_;  // The policy's θ as configured (drift watches this one).
  LiveOffloadCost live_cost_;
  uint64_t ignored_prices_ = 0;
};

}  // namespace hiedge
