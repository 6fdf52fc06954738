#include "hiedge/server/admission.h"

#include <algorithm>
#include <cmath>

namespace hiedge {
namespace {

constexpr double kSmoothing = 0.2;  // Weight of a new batch in the service-time estimates.

bool InUnitInterval(double x) { return x > 0 && x <= 1; }

}  // namespace

Status ValidateAdmissionOptions(const AdmissionOptions& o) {
  auto bad = [](const char* field, const std::string& why) {
    return Status::InvalidArgument(std::string("admission option ") + field + " " + why);
  };
  if (!(o.slo_ms >= 0) || o.slo_ms > 3.6e6) return bad("slo_ms", "must be in [0, 3600000] ms");
  if (!InUnitInterval(o.target_busy)) return bad("target_busy", "must be in (0, 1]");
  if (!InUnitInterval(o.target_wait_fraction))
    return bad("target_wait_fraction", "must be in (0, 1]");
  if (o.period_us < 1000 || o.period_us > 10'000'000)
    return bad("period_us", "must be in [1 ms, 10 s]");
  if (!(o.gain > 0) || o.gain > 5) return bad("gain", "must be in (0, 5]");
  if (!(o.min_price > 0) || !(o.max_price >= o.min_price) || o.max_price > 10)
    return bad("max_price", "must satisfy 0 < min_price <= max_price <= 10");
  if (!InUnitInterval(o.quota_from_fraction))
    return bad("quota_from_fraction", "must be in (0, 1]");
  if (!(o.quota_slack >= 1) || o.quota_slack > 100) return bad("quota_slack", "must be in [1, 100]");
  if (o.max_clients < 1 || o.max_clients > 100'000) return bad("max_clients", "must be in [1, 100000]");
  if (o.client_idle_us < 100'000) return bad("client_idle_us", "must be at least 100 ms");
  return Status::Ok();
}

AdmissionController::AdmissionController(AdmissionOptions options) : options_(options) {}

AdmissionController::Client& AdmissionController::Find(std::string_view key, int64_t now_us) {
  if (auto it = clients_.find(std::string(key)); it != clients_.end()) return it->second;
  if (clients_.size() >= options_.max_clients) {
    // Make room from clients idle for long; else the newcomer shares the overflow entry
    // (so a client inventing ids gets one more share at most, never evicts the active).
    for (auto it = clients_.begin(); it != clients_.end();) {
      it = now_us - it->second.last_us > options_.client_idle_us ? clients_.erase(it)
                                                                   : std::next(it);
    }
    if (clients_.size() >= options_.max_clients) return overflow_;
  }
  Client& fresh = clients_[std::string(key)];
  fresh.last_us = now_us;
  return fresh;
}

size_t AdmissionController::ActiveClients(int64_t now_us) const {
  size_t active = now_us - overflow_.last_us <= options_.client_idle_us && overflow_.admitted ? 1 : 0;
  for (const auto& [key, c] : clients_) active += now_us - c.last_us <= options_.client_idle_us;
  return std::max<size_t>(active, 1);
}

Status AdmissionController::Admit(std::string_view client, int64_t rows, int64_t queued_rows,
                                  int instances, int64_t now_us, int64_t waited_us) {
  Step(now_us);
  Client& c = Find(client, now_us);
  // Rows per second, decayed with a one-second time constant.
  const double idle_s = static_cast<double>(std::max<int64_t>(now_us - c.last_us, 0)) / 1e6;
  c.rate *= std::exp(-idle_s);
  c.last_us = now_us;

  const double slo_us = options_.slo_ms * 1000;
  const int parallel = std::max(instances, 1);
  instances_ = parallel;
  // Finishing time if admitted: the rows ahead shared by the instances, then its own
  // batch. Before any batch ran nothing is known, and the request is admitted.
  const double predicted_us = static_cast<double>(std::max<int64_t>(waited_us, 0)) +
                              per_row_us_ * static_cast<double>(queued_rows + rows) / parallel +
                              batch_us_;
  Status verdict = Status::Ok();
  // The estimates come from served batches only: with none served for a period (all
  // refused on a stale estimate, e.g. one slow batch at start-up), one request per
  // period is let through to measure again.
  const bool probe = now_us - last_served_us_ > options_.period_us &&
                     now_us - last_probe_us_ > options_.period_us;
  if (per_row_us_ > 0 && predicted_us > slo_us && probe) {
    last_probe_us_ = now_us;
  } else if (per_row_us_ > 0 && predicted_us > slo_us) {
    verdict = Status::Overloaded("over the latency objective: predicted " +
                                 std::to_string(static_cast<int64_t>(predicted_us / 1000)) +
                                 " ms in the server against an SLO of " +
                                 std::to_string(options_.slo_ms) + " ms; fall back locally");
    ++totals_.refused_slo;
  } else if (per_row_us_ > 0 && predicted_us > options_.quota_from_fraction * slo_us) {
    const double capacity_rows_per_s = 1e6 * parallel / per_row_us_;
    const double fair_share = capacity_rows_per_s / static_cast<double>(ActiveClients(now_us));
    if (c.rate > options_.quota_slack * fair_share) {
      verdict = Status::Overloaded("client over its share of a loaded server (" +
                                   std::to_string(static_cast<int64_t>(c.rate)) +
                                   " rows/s against a fair share of " +
                                   std::to_string(static_cast<int64_t>(fair_share)) +
                                   "); fall back locally");
      ++totals_.refused_quota;
    }
  }
  if (verdict.ok()) {
    c.rate += static_cast<double>(rows);  // An impulse: the decay turns it into rows/s.
    ++c.admitted;
    ++totals_.admitted;
  } else {
    ++c.refused;
    ++period_refusals_;
  }
  return verdict;
}

void AdmissionController::RecordServed(int64_t queue_us, int64_t rows, int64_t batch_rows,
                                       int64_t compute_us, int64_t now_us) {
  Step(now_us);
  wait_sum_us_ += static_cast<double>(std::max<int64_t>(queue_us, 0));
  ++waits_;
  if (batch_rows >= 1 && rows >= 1) {
    busy_us_ += static_cast<double>(std::max<int64_t>(compute_us, 0)) *
                static_cast<double>(std::min(rows, batch_rows)) / static_cast<double>(batch_rows);
  }
  const double server_ms =
      static_cast<double>(std::max<int64_t>(queue_us, 0) + std::max<int64_t>(compute_us, 0)) / 1000;
  size_t bucket = 0;
  while (bucket + 1 < kSloBucketCount && server_ms > kSloBuckets[bucket] * options_.slo_ms) ++bucket;
  ++totals_.server_time_buckets[bucket];
  totals_.server_time_sum_ms += server_ms;
  last_served_us_ = now_us;
  if (batch_rows < 1 || compute_us < 0) return;
  const double per_row = static_cast<double>(std::max<int64_t>(compute_us, 1)) /
                         static_cast<double>(batch_rows);
  per_row_us_ = per_row_us_ == 0 ? per_row : per_row_us_ + kSmoothing * (per_row - per_row_us_);
  const auto batch = static_cast<double>(compute_us);
  batch_us_ = batch_us_ == 0 ? batch : batch_us_ + kSmoothing * (batch - batch_us_);
}

// One integral step on log(price) per elapsed period (the law is in admission.h). A
// silence of many periods is that many idle steps, applied at once.
void AdmissionController::Step(int64_t now_us) {
  if (period_start_us_ < 0) period_start_us_ = now_us;
  if (now_us - period_start_us_ < options_.period_us) return;
  const double target_wait_us = options_.target_wait_fraction * options_.slo_ms * 1000;
  const double period = static_cast<double>(options_.period_us);
  double error = -1;
  if (period_refusals_ > 0) {
    error = 1;
  } else if (waits_ > 0) {
    error = busy_us_ / (period * instances_) / options_.target_busy - 1;
    if (target_wait_us > 0) {
      error = std::max(error, wait_sum_us_ / static_cast<double>(waits_) / target_wait_us - 1);
    }
    error = std::clamp(error, -1.0, 1.0);
  }
  const int64_t elapsed = (now_us - period_start_us_) / options_.period_us;
  Move(error);
  if (elapsed > 1) Move(-static_cast<double>(std::min<int64_t>(elapsed - 1, 100'000)));
  wait_sum_us_ = busy_us_ = 0;
  waits_ = period_refusals_ = 0;
  period_start_us_ += elapsed * options_.period_us;
}

// log(price) += gain * steps (within the dead band of ±0.1 per step, nothing).
void AdmissionController::Move(double steps) {
  if (std::abs(steps) < 0.1) return;
  if (price_ == 0) {
    if (steps > 0) price_ = options_.min_price;
    return;
  }
  price_ = std::min(price_ * std::exp(std::max(options_.gain * steps, -700.0)), options_.max_price);
  if (price_ < options_.min_price) price_ = 0;
}

double AdmissionController::Price(int64_t now_us) {
  Step(now_us);
  return price_;
}

int64_t AdmissionController::PricePpm(int64_t now_us) {
  return static_cast<int64_t>(std::llround(Price(now_us) * 1e6));
}

AdmissionController::Counters AdmissionController::counters() const {
  Counters out = totals_;
  out.price = price_;
  out.per_row_us = per_row_us_;
  out.clients = clients_.size();
  return out;
}

std::vector<AdmissionController::ClientCount> AdmissionController::client_counts() const {
  std::vector<ClientCount> out;
  for (const auto& [key, c] : clients_) out.push_back({key, c.admitted, c.refused});
  if (overflow_.admitted + overflow_.refused > 0)
    out.push_back({"other", overflow_.admitted, overflow_.refused});
  std::sort(out.begin(), out.end(),
            [](const ClientCount& a, const ClientCount& b) { return a.client < b.client; });
  return out;
}

}  // namespace hiedge
