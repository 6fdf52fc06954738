// Admission control and the offload price for a model served under a latency objective
// (SLO): the server refuses at once what it could not answer in time, shares what it
// can answer fairly between clients, and publishes a price that devices add to their
// offload cost β, so a fleet offloads only what the server can take.
//
// The price is the control value every answer carries (OIP response parameter
// "hiedge_offload_price_ppm", β × 10^6). Why a price and not a rate cap or a θ shift
// (docs/fleet.md): a device's θ is already the minimiser of errors + β × offloads on its
// own calibration curve, so one price turns the server's capacity into the right θ for
// every device, whatever its S-ML and stream (a device whose offloads fix more errors
// keeps more of them), and a device that ignores it is held by the admission and the
// quotas below, not trusted.
//
// Pure: no threads, no clock, no I/O. Times are passed in (µs). Not thread-safe (the
// service guards one controller per model with a mutex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct AdmissionOptions {
  // Time a request may spend in the server (queue + model), ms; 0 turns admission and
  // the price off. Set it to the fleet's end-to-end SLO minus the devices' own S-ML
  // time and the network round trip.
  double slo_ms = 0;
  // The price steers the model's busy fraction (compute time over wall time, per
  // instance) to `target_busy`; and whenever the mean wait of the last period exceeds
  // `target_wait_fraction` of the SLO, or a request was refused, it rises regardless.
  double target_busy = 0.8;
  double target_wait_fraction = 0.25;
  int64_t period_us = 50'000;  // One control step per period.
  double gain = 0.3;           // Change of log(price) per period at full error (±1).
  double max_price = 2.0;      // β; above 1 no offload pays for any device.
  double min_price = 1e-3;     // Below this the price is 0 (no pressure at all).
  // Quotas: beyond `quota_from_fraction` of the SLO in predicted time, a client whose
  // admitted rows per second exceed `quota_slack` × the fair share (the model's
  // measured capacity over the clients seen in the last `client_idle_us`) is refused.
  double quota_from_fraction = 0.5;
  double quota_slack = 1.25;
  size_t max_clients = 1024;  // Distinct client keys tracked; more share one entry.
  int64_t client_idle_us = 5'000'000;
};

// InvalidArgument naming the field when an option is out of range (negative or NaN
// SLO, fractions outside (0, 1], gain or prices not positive, ...).
//
// The control law (one step per period): error e = (busy / target_busy - 1), raised to
// the wait's (mean wait / (target_wait_fraction * SLO) - 1) when that is larger, to +1
// on any refusal, -1 in an idle period; clamped to [-1, 1], and 0 within ±0.1; then
// log(price) += gain * e. The offered load answers the price at once (devices re-choose
// θ on their next sample), so the loop is first order; gain * (the load's elasticity)
// below 1 keeps it from overshooting (docs/fleet.md shows the time series).
Status ValidateAdmissionOptions(const AdmissionOptions& options);

class AdmissionController {
 public:
  explicit AdmissionController(AdmissionOptions options);

  // Before a request of `rows` from `client` ("" = anonymous) is queued, with
  // `queued_rows` rows ahead of it, `instances` batches running at once and `waited_us`
  // already spent in the server (waiting for a worker): OK, or
  // Overloaded saying why ("slo": it would not finish in time; "quota": its client is
  // over its fair share while the server is loaded). Counts either way.
  Status Admit(std::string_view client, int64_t rows, int64_t queued_rows, int instances,
               int64_t now_us, int64_t waited_us = 0);
  // An admitted request of `rows` whose batch ran: its wait (for a worker and in the
  // queue), and its batch's rows and compute time (the service-rate estimate, and its
  // rows' share of the busy time; wait + compute is its server time).
  void RecordServed(int64_t queue_us, int64_t rows, int64_t batch_rows, int64_t compute_us,
                    int64_t now_us);

  // Upper bounds of the server-time histogram's buckets, as fractions of the SLO (a
  // last bucket, +Inf, follows).
  static constexpr double kSloBuckets[] = {0.25, 0.5, 0.75, 1.0, 1.5, 2.0};
  static constexpr size_t kSloBucketCount = sizeof(kSloBuckets) / sizeof(double) + 1;
  // The price now (β), after any control steps due by `now_us`.
  double Price(int64_t now_us);
  // Price as the response parameter carries it: round(β × 10^6).
  int64_t PricePpm(int64_t now_us);

  struct Counters {
    uint64_t admitted = 0;
    uint64_t refused_slo = 0;
    uint64_t refused_quota = 0;
    double price = 0;
    double per_row_us = 0;  // Estimated compute per row at the current batch sizes.
    size_t clients = 0;     // Clients tracked.
    // Server time (queue + compute) of admitted requests: per bucket (not cumulative)
    // and the sum, ms.
    uint64_t server_time_buckets[kSloBucketCount] = {};
    double server_time_sum_ms = 0;
  };
  Counters counters() const;
  // Admitted and refused requests of the tracked clients (at most max_clients + 1
  // entries, "other" for the overflow).
  struct ClientCount {
    std::string client;
    uint64_t admitted = 0;
    uint64_t refused = 0;
  };
  std::vector<ClientCount> client_counts() const;
  const AdmissionOptions& options() const { return options_; }

 private:
  struct Client {
    double rate = 0;  // Admitted rows per second, smoothed over about a second.
    int64_t last_us = 0;
    uint64_t admitted = 0;
    uint64_t refused = 0;
  };
  Client& Find(std::string_view key, int64_t now_us);
  void Step(int64_t now_us);
  void Move(double steps);
  size_t ActiveClients(int64_t now_us) const;

  AdmissionOptions options_;
  double price_ = 0;
  double per_row_us_ = 0;  // Smoothed; 0 until a batch was served.
  double batch_us_ = 0;    // Smoothed compute of one batch.
  int64_t period_start_us_ = -1;
  int64_t last_served_us_ = 0, last_probe_us_ = 0;
  // This period's figures.
  double wait_sum_us_ = 0;
  double busy_us_ = 0;  // Compute time of this period's served rows.
  int instances_ = 1;   // As the last Admit said.
  uint64_t waits_ = 0, period_refusals_ = 0;
  Counters totals_;
  std::unordered_map<std::string, Client> clients_;
  Client overflow_;
};

}  // namespace hiedge
