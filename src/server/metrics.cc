// Prometheus text exposition of the per-model statistics, with Triton's metric names
// and labels. A fresh registry per scrape mirrors the atomic counters exactly.
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <optional>

#include "hiedge/server.h"

namespace hiedge {

int InferenceService::AddMetricsSource(MetricsSource source) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_sources_[next_metrics_source_] = std::move(source);
  return next_metrics_source_++;
}

void InferenceService::RemoveMetricsSource(int id) {
  std::lock_guard<std::mutex> lock(mu_);
  metrics_sources_.erase(id);
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
    auto served = Find(name, "");
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
  }
  std::vector<MetricsSource> sources;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, source] : metrics_sources_) sources.push_back(source);
  }
  for (const MetricsSource& source : sources) {
    for (const BackendMetric& m : source()) add_backend_metric(m, {});
  }
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace hiedge
