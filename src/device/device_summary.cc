#include "hiedge/device/device_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace hiedge {
namespace {

constexpr double kMinMs = 1e-3;
const double kLogStep = std::log(1.01);

std::string Format(const char* format, double a, double b = 0, double c = 0) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer), format, a, b, c);
  return buffer;
}

}  // namespace

void LatencyHistogram::Add(double ms) {
  const double clamped = std::max(ms, kMinMs);
  const auto bucket = static_cast<size_t>(std::log(clamped / kMinMs) / kLogStep);
  ++buckets_[std::min(bucket, kBuckets - 1)];
  ++count_;
  sum_ms_ += ms;
  max_ms_ = std::max(max_ms_, ms);
}

double LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  const auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    if (seen >= std::max<uint64_t>(rank, 1)) {
      return std::min(max_ms_, kMinMs * std::exp(static_cast<double>(b + 1) * kLogStep));
    }
  }
  return max_ms_;
}

void DeviceSummary::Add(const SampleRecord& record, int label) {
  ++samples;
  if (record.offloaded) ++offloaded;
  if (record.drift_alarm) ++drift_alarms;
  if (record.exit >= 0 && (answered_at_exit.count(record.exit) || answered_at_exit.size() < 16)) {
    ++answered_at_exit[record.exit];
  }
  if (record.remote_prediction >= 0 && !record.fallback) ++remote_answers;
  if (record.fallback) {
    ++fallbacks;
    const std::string reason = record.offload_error.empty() ? "unknown" : record.offload_error;
    if (fallback_causes.count(reason) || fallback_causes.size() < kMaxCauses) {
      ++fallback_causes[reason];
    } else {
      ++fallback_causes["(other reasons)"];
    }
  }
  if (label >= 0) {
    ++labelled;
    if (record.final_prediction == label) ++correct;
    if (record.local_prediction == label) ++local_correct;
    if (record.offloaded) ++labelled_offloads_;
  }
  total_ms.Add(record.total_ms());
  local_ms.Add(record.local_ms);
  if (estimate) {
    estimate->Add(record.confidence, record.offloaded, record.drift_alarm,
                  label < 0 ? -1 : static_cast<int>(record.local_prediction == label));
  }
}

nlohmann::json DeviceSummary::EstimateJson() const {
  if (!estimate) return nullptr;
  nlohmann::json windows = nlohmann::json::array();
  for (const EstimateWindow& w : estimate->Windows()) {
    windows.push_back(
        {{"first_sample", w.first_sample},
         {"samples", w.samples},
         {"offload_rate", w.offload_rate},
         {"estimated_local_accuracy", w.estimated_local_accuracy},
         {"trustworthy", w.trustworthy},
         {"observed_local_accuracy", w.observed_local_accuracy >= 0
                                         ? nlohmann::json(w.observed_local_accuracy)
                                         : nlohmann::json(nullptr)}});
  }
  return {{"window", estimate->window()},
          {"dropped_windows", estimate->dropped_windows()},
          {"windows", windows}};
}

double DeviceSummary::offload_rate() const {
  return samples == 0 ? 0 : static_cast<double>(offloaded) / static_cast<double>(samples);
}
double DeviceSummary::fallback_rate() const {
  return samples == 0 ? 0 : static_cast<double>(fallbacks) / static_cast<double>(samples);
}
double DeviceSummary::accuracy() const {
  return labelled == 0 ? 0 : static_cast<double>(correct) / static_cast<double>(labelled);
}
double DeviceSummary::cost(double beta) const {
  if (labelled == 0) return 0;
  return (static_cast<double>(labelled - correct) +
          beta * static_cast<double>(labelled_offloads_)) /
         static_cast<double>(labelled);
}

nlohmann::json DeviceSummary::DriftJson() const {
  if (!drift_detection) return nullptr;
  nlohmann::json alarms = nlohmann::json::array();
  for (const DriftAlarm& a : drift)
    alarms.push_back({{"sample", a.sample}, {"statistic", a.statistic}});
  nlohmann::json episodes = nlohmann::json::array();
  for (const DriftEpisode& e : drift_episodes) {
    episodes.push_back({{"statistic", e.statistic},
                        {"first_sample", e.first_sample},
                        {"last_sample", e.last_sample},
                        {"alarms", e.alarms}});
  }
  return {{"detected", drift_alarms > 0},
          {"alarms", drift_alarms},
          {"first_alarms", alarms},
          {"episodes", episodes}};
}

std::string DeviceSummary::ToJson(double beta) const {
  nlohmann::json exits = nlohmann::json::object();
  for (const auto& [exit, count] : answered_at_exit) exits[std::to_string(exit)] = count;
  nlohmann::json causes = nlohmann::json::object();
  for (const auto& [reason, count] : fallback_causes) causes[reason] = count;
  nlohmann::json j = {
      {"policy", policy},
      {"samples", samples},
      {"labelled", labelled},
      {"accuracy", labelled ? nlohmann::json(accuracy()) : nlohmann::json(nullptr)},
      {"local_accuracy",
       labelled ? nlohmann::json(static_cast<double>(local_correct) / static_cast<double>(labelled))
                : nlohmann::json(nullptr)},
      {"offloaded", offloaded},
      {"answered_at_early_exit", exits},
      {"drift", DriftJson()},
      {"estimated_accuracy", EstimateJson()},
      {"offload_rate", offload_rate()},
      {"remote_answers", remote_answers},
      {"fallbacks", fallbacks},
      {"fallback_rate", fallback_rate()},
      {"fallback_causes", causes},
      {"ignored_prices", ignored_prices},
      {"final_offload_beta",
       final_offload_beta >= 0 ? nlohmann::json(final_offload_beta) : nlohmann::json(nullptr)},
      {"beta", beta},
      {"cost", labelled ? nlohmann::json(cost(beta)) : nlohmann::json(nullptr)},
      {"latency_ms",
       {{"mean", total_ms.Mean()},
        {"p50", total_ms.Percentile(50)},
        {"p95", total_ms.Percentile(95)},
        {"p99", total_ms.Percentile(99)},
        {"max", total_ms.Max()}}},
      {"local_ms", {{"mean", local_ms.Mean()}, {"p50", local_ms.Percentile(50)}}}};
  return j.dump(2) + "\n";
}

std::string DeviceSummary::ToText(double beta) const {
  std::string text = policy.empty() ? "" : "policy " + policy + "\n";
  text += Format("samples %.0f", static_cast<double>(samples));
  if (labelled > 0) {
    text += Format(", accuracy %.2f%% (S-ML alone %.2f%%)", 100 * accuracy(),
                   100.0 * static_cast<double>(local_correct) / static_cast<double>(labelled));
    text += Format(", cost %.4f at beta %.2f", cost(beta), beta);
  }
  text += Format("\noffloaded %.2f%%, answered remotely %.0f, fell back %.0f", 100 * offload_rate(),
                 static_cast<double>(remote_answers), static_cast<double>(fallbacks));
  for (const auto& [exit, count] : answered_at_exit) {
    text += Format("\nanswered at early exit %.0f: %.0f", static_cast<double>(exit),
                   static_cast<double>(count));
  }
  if (drift_detection && drift_alarms == 0) text += "\ndrift: none detected";
  if (drift_detection && drift_alarms > 0) {
    text += Format("\nDRIFT DETECTED: %.0f alarm(s)", static_cast<double>(drift_alarms));
    if (!drift.empty()) {
      text += Format(", first at sample %.0f", static_cast<double>(drift[0].sample)) + " (" +
              drift[0].statistic + ")";
    }
  }
  if (estimate) {
    const std::vector<EstimateWindow> windows = estimate->Windows();
    if (!windows.empty()) {
      const EstimateWindow& w = windows.back();
      text += Format("\nestimated S-ML accuracy (no labels) %.2f%% over the last %.0f samples, "
                     "offloaded %.2f%%",
                     100 * w.estimated_local_accuracy, static_cast<double>(w.samples),
                     100 * w.offload_rate);
      if (!w.trustworthy) text += " (NOT TRUSTWORTHY: drift detected)";
    }
  }
  text +=
      Format("\nlatency ms: p50 %.3f, p95 %.3f", total_ms.Percentile(50), total_ms.Percentile(95));
  text += Format(", p99 %.3f; S-ML mean %.3f\n", total_ms.Percentile(99), local_ms.Mean());
  for (const auto& [reason, count] : fallback_causes) {
    text += "fallback cause: " + std::to_string(count) + " sample(s): " + reason + "\n";
  }
  if (final_offload_beta >= 0) text += Format("offload beta at the end %.4f\n", final_offload_beta);
  if (ignored_prices > 0) {
    text += Format("warning: %.0f offload price(s) from the server were nonsense and ignored\n",
                   static_cast<double>(ignored_prices));
  }
  return text;
}

}  // namespace hiedge
