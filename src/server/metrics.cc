// Prometheus text exposition of the per-model statistics, with Triton's metric names
// and labels. A fresh registry per scrape mirrors the atomic counters exactly.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <optional>

#include "hiedge/common/clock.h"
#include "hiedge/server/server.h"
#include "server/service_impl.h"

namespace hiedge {

int InferenceService::AddMetricsSource(MetricsSource source) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->metrics_sources[impl_->next_metrics_source] = std::move(source);
  return impl_->next_metrics_source++;
}

void InferenceService::RemoveMetricsSource(int id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->metrics_sources.erase(id);
}

namespace {

// Clients named on /metrics at most; the rest are summed as client="other".
constexpr size_t kMaxClientLabels = 32;

}  // namespace

void InferenceService::Impl::AddServerTimeHistogram(Admission& admission,
                                              const prometheus::Labels& labels,
                                              prometheus::Registry& registry) {
  AdmissionController::Counters c;
  {
    std::lock_guard<std::mutex> lock(admission.mu);
    c = admission.controller.counters();
  }
  // In fractions of the SLO, so le="1" means "within the objective" whatever it is.
  const double slo_ms = admission.controller.options().slo_ms;
  const prometheus::Histogram::BucketBoundaries bounds(std::begin(AdmissionController::kSloBuckets),
                                                       std::end(AdmissionController::kSloBuckets));
  std::vector<double> increments(std::begin(c.server_time_buckets),
                                 std::end(c.server_time_buckets));
  prometheus::BuildHistogram()
      .Name("hiedge_server_time_slo_ratio")
      .Help("Server time (wait + compute) of admitted requests over the SLO; le=\"1\" is "
            "within it")
      .Register(registry)
      .Add(labels, bounds)
      .ObserveMultiple(increments, slo_ms > 0 ? c.server_time_sum_ms / slo_ms : 0);
}

void InferenceService::Impl::AddAdmissionMetrics(
    const Served& served, const std::function<void(const BackendMetric&)>& add) {
  AdmissionController::Counters c;
  std::vector<AdmissionController::ClientCount> clients;
  double price = 0;
  {
    std::lock_guard<std::mutex> lock(served.admission->mu);
    price = served.admission->controller.Price(SteadyMicros());
    c = served.admission->controller.counters();
    clients = served.admission->controller.client_counts();
  }
  const double slo_ms = served.admission->controller.options().slo_ms;
  add({"hiedge_slo_ms", "The latency objective requests are admitted under (server time, ms)",
       {}, slo_ms, false});
  add({"hiedge_offload_price", "Offload price β the server asks devices to add to their cost",
       {}, price, false});
  add({"hiedge_admission_admitted_total", "Requests admitted under the SLO", {},
       static_cast<double>(c.admitted)});
  add({"hiedge_admission_refused_total", "Requests refused at once (HTTP 503, gRPC "
       "RESOURCE_EXHAUSTED), by reason", {{"reason", "slo"}}, static_cast<double>(c.refused_slo)});
  add({"hiedge_admission_refused_total", "", {{"reason", "quota"}},
       static_cast<double>(c.refused_quota)});
  add({"hiedge_admission_service_us_per_row", "Estimated compute per row at current batch sizes",
       {}, c.per_row_us, false});
  add({"hiedge_admission_clients", "Clients tracked by the quotas", {},
       static_cast<double>(c.clients), false});
  // Per-client counts, the busiest kMaxClientLabels named, the rest as "other".
  std::sort(clients.begin(), clients.end(), [](const auto& a, const auto& b) {
    return a.admitted + a.refused > b.admitted + b.refused;
  });
  uint64_t other_admitted = 0, other_refused = 0;
  for (size_t i = 0; i < clients.size(); ++i) {
    if (i >= kMaxClientLabels || clients[i].client == "other") {
      other_admitted += clients[i].admitted;
      other_refused += clients[i].refused;
      continue;
    }
    const std::string client = clients[i].client.empty() ? "anonymous" : clients[i].client;
    add({"hiedge_client_requests_total", "Offload requests by client and outcome (busiest 32)",
         {{"client", client}, {"outcome", "admitted"}}, static_cast<double>(clients[i].admitted)});
    add({"hiedge_client_requests_total", "",
         {{"client", client}, {"outcome", "refused"}}, static_cast<double>(clients[i].refused)});
  }
  if (other_admitted + other_refused > 0) {
    add({"hiedge_client_requests_total", "", {{"client", "other"}, {"outcome", "admitted"}},
         static_cast<double>(other_admitted)});
    add({"hiedge_client_requests_total", "", {{"client", "other"}, {"outcome", "refused"}},
         static_cast<double>(other_refused)});
  }
}

std::string InferenceService::RenderMetrics() const {
  prometheus::Registry registry;
  auto counter = [&](const char* name,
                     const char* help) -> prometheus::Family<prometheus::Counter>& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
  };
  auto& success =
      counter("nv_inference_request_success", "Number of successful inference requests");
  auto& failure = counter("nv_inference_request_failure", "Number of failed inference requests");
  auto& count = counter("nv_inference_count", "Number of inferences performed (batch rows)");
  auto& exec = counter("nv_inference_exec_count", "Number of model executions (batches)");
  auto& request = counter("nv_inference_request_duration_us",
                          "Cumulative duration of successful requests (us)");
  auto& queue = counter("nv_inference_queue_duration_us",
                        "Cumulative time successful requests spent queued (us)");
  auto& compute = counter("nv_inference_compute_infer_duration_us",
                          "Cumulative model compute time of successful requests (us)");
  auto& pending = prometheus::BuildGauge()
                      .Name("nv_inference_pending_request_count")
                      .Help("Requests received but not yet answered")
                      .Register(registry);
  // Backends' own figures (e.g. a cascade's rows by outcome), one family per name.
  std::map<std::string, prometheus::Family<prometheus::Counter>*> backend_counters;
  std::map<std::string, prometheus::Family<prometheus::Gauge>*> backend_gauges;
  auto add_backend_metric = [&](const BackendMetric& m, prometheus::Labels labels) {
    labels.insert(m.labels.begin(), m.labels.end());
    if (m.counter) {
      auto& family = backend_counters[m.name];
      if (family == nullptr) family = &counter(m.name.c_str(), m.help.c_str());
      family->Add(labels).Increment(m.value);
    } else {
      auto& family = backend_gauges[m.name];
      if (family == nullptr) {
        family = &prometheus::BuildGauge().Name(m.name).Help(m.help).Register(registry);
      }
      family->Add(labels).Set(m.value);
    }
  };
  for (const std::string& name : ModelNames()) {
    auto served = impl_->Find(name, "");
    if (!served.ok()) continue;  // Removed between listing and reading.
    const auto snapshot = std::make_optional(served->stats->Read());
    const prometheus::Labels labels = {{"model", name}, {"version", served->version}};
    success.Add(labels).Increment(static_cast<double>(snapshot->request_success));
    failure.Add(labels).Increment(static_cast<double>(snapshot->request_failure));
    count.Add(labels).Increment(static_cast<double>(snapshot->inference_count));
    exec.Add(labels).Increment(static_cast<double>(snapshot->execution_count));
    request.Add(labels).Increment(static_cast<double>(snapshot->request_duration_us));
    queue.Add(labels).Increment(static_cast<double>(snapshot->queue_duration_us));
    compute.Add(labels).Increment(static_cast<double>(snapshot->compute_duration_us));
    pending.Add(labels).Set(static_cast<double>(snapshot->pending_requests));
    for (const BackendMetric& m : served->backend->Metrics()) add_backend_metric(m, labels);
    if (served->admission) {
      Impl::AddAdmissionMetrics(*served,
                          [&](const BackendMetric& m) { add_backend_metric(m, labels); });
      Impl::AddServerTimeHistogram(*served->admission, labels, registry);
    }
  }
  std::vector<MetricsSource> sources;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (const auto& [id, source] : impl_->metrics_sources) sources.push_back(source);
  }
  for (const MetricsSource& source : sources) {
    for (const BackendMetric& m : source()) add_backend_metric(m, {});
  }
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace hiedge
