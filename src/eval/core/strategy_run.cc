#include <algorithm>
#include <chrono>

#include "common/progress.h"
#include "eval/core/eval.h"

namespace hiedge {
double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = static_cast<size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

Result<std::vector<SampleRecord>> RunDevice(DeviceRuntime& device, const Dataset& data,
                                            const std::string& label, double* wall_seconds,
                                            bool progress, bool label_audits) {
  HIEDGE_RETURN_IF_ERROR(CheckDataFitsModel(data, device.local_model()));
  std::vector<SampleRecord> records(data.size());
  std::vector<bool> answered(data.size(), false);
  size_t done = 0;
  Status feedback;
  auto take = [&](std::vector<DeviceRuntime::Answer> answers) {
    for (DeviceRuntime::Answer& a : answers) {
      if (label_audits && a.record.audit && feedback.ok())
        feedback = device.Feedback(a.sample, data.labels[a.sample]);
      answered[a.sample] = true;
      records[a.sample] = std::move(a.record);
      ++done;
    }
  };
  ProgressBar bar(static_cast<int64_t>(data.size()), label, progress);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < data.size(); ++i) {
    HIEDGE_ASSIGN_OR_RETURN(std::vector<DeviceRuntime::Answer> answers,
                            device.Submit(i, data.sample(i)));
    take(std::move(answers));
    bar.Update(static_cast<int64_t>(done));
  }
  take(device.Flush());
  bar.Update(static_cast<int64_t>(done));
  HIEDGE_RETURN_IF_ERROR(feedback);
  if (done != data.size() || std::find(answered.begin(), answered.end(), false) != answered.end()) {
    return Status::Internal("device answered " + std::to_string(done) + " of " +
                            std::to_string(data.size()) + " samples");
  }
  *wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return records;
}

StrategyResult Summarize(const std::string& strategy, double theta,
                         const std::vector<SampleRecord>& records, const Dataset& data,
                         const CostModel& cost, double wall_seconds) {
  StrategyResult s;
  s.strategy = strategy;
  s.theta = theta;
  s.samples = records.size();
  s.offload_cost = cost.offload_cost;
  s.wall_seconds = wall_seconds;
  std::vector<double> latencies;
  latencies.reserve(records.size());
  double local_sum = 0, offload_sum = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const SampleRecord& r = records[i];
    const bool wrong = r.final_prediction != data.labels[i];
    const bool answered_remotely = r.offloaded && !r.fallback;
    s.offloaded += r.offloaded ? 1 : 0;
    s.fallbacks += r.fallback ? 1 : 0;
    if (wrong) (answered_remotely ? s.server_errors : s.device_errors) += 1;
    latencies.push_back(r.total_ms());
    local_sum += r.local_ms;
    offload_sum += r.offload_ms;
  }
  if (s.samples == 0) return s;
  const double n = static_cast<double>(s.samples);
  s.accuracy = 1.0 - static_cast<double>(s.device_errors + s.server_errors) / n;
  s.cost = static_cast<double>(s.offloaded) * cost.offload_cost +
           static_cast<double>(s.device_errors + s.server_errors) * cost.misclassification_cost;
  double total = 0;
  for (double l : latencies) total += l;
  s.mean_latency_ms = total / n;
  s.p50_latency_ms = Percentile(latencies, 0.50);
  s.p99_latency_ms = Percentile(latencies, 0.99);
  s.mean_local_ms = local_sum / n;
  s.mean_offload_ms = s.offloaded ? offload_sum / static_cast<double>(s.offloaded) : 0;
  s.throughput_per_s = wall_seconds > 0 ? n / wall_seconds : 0;
  return s;
}

}  // namespace hiedge
