// A networked two-level run and its summary.
#include <fmt/printf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/progress.h"
#include "eval/core/eval.h"
#include "eval/two_level/two_level_eval.h"
#include "hiedge/device/two_level_device.h"
#include "hiedge/server/http_server.h"

namespace hiedge {
Result<std::vector<TwoLevelSampleRecord>> RunTwoLevelDevice(TwoLevelDevice& device,
                                                            const Dataset& data,
                                                            double* wall_seconds, bool progress) {
  std::vector<TwoLevelSampleRecord> records;
  records.reserve(data.size());
  ProgressBar bar(static_cast<int64_t>(data.size()), "two-level device", progress);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < data.size(); ++i) {
    HIEDGE_ASSIGN_OR_RETURN(TwoLevelSampleRecord r, device.Process(data.sample(i)));
    records.push_back(std::move(r));
    bar.Update(static_cast<int64_t>(i + 1));
  }
  *wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return records;
}

namespace {

OffloadOptions ExpertClientOptions(int port, int superclass, Payload payload) {
  OffloadOptions o{"127.0.0.1", port, ExpertModelName(superclass), true};
  o.payload = payload;
  return o;
}

}  // namespace

Result<std::unique_ptr<LoopbackExpertServers>> LoopbackExpertServers::Start(
    const TwoLevelModels& models, const std::vector<std::vector<int>>& placement, Payload payload,
    const std::vector<std::pair<std::string, std::shared_ptr<InferenceBackend>>>& shared,
    const eval::LinkProfile& link) {
  std::unique_ptr<LoopbackExpertServers> l(new LoopbackExpertServers());
  const auto superclasses = models.experts.size();
  for (const std::vector<int>& held : placement) {
    l->services_.push_back(std::make_unique<InferenceService>());
    for (int s : held) {
      if (s < 0 || static_cast<size_t>(s) >= superclasses) {
        return Status::InvalidArgument("placement names superclass " + std::to_string(s));
      }
      HIEDGE_RETURN_IF_ERROR(l->services_.back()->AddModel(ExpertModelName(s),
                                                           models.experts[static_cast<size_t>(s)]));
    }
    for (const auto& [name, backend] : shared) {
      HIEDGE_RETURN_IF_ERROR(l->services_.back()->AddModel(name, backend));
    }
    l->servers_.push_back(
        std::make_unique<HttpServer>(l->services_.back().get(), HttpServerOptions{"127.0.0.1", 0}));
    HIEDGE_RETURN_IF_ERROR(l->servers_.back()->Start());
    HIEDGE_ASSIGN_OR_RETURN(
        auto emulator, eval::EmulateIfShaped(link, l->servers_.back()->port(), l->servers_.size()));
    if (emulator) l->links_.push_back(std::move(emulator));
    l->clients_.emplace_back(superclasses, nullptr);
    const int device_port = l->device_port(l->servers_.size() - 1);
    for (int s : held) {
      l->owned_clients_.push_back(MakeOffloadClient(ExpertClientOptions(device_port, s, payload)));
      l->clients_.back()[static_cast<size_t>(s)] = l->owned_clients_.back().get();
    }
  }
  return l;
}

LoopbackExpertServers::~LoopbackExpertServers() {
  for (auto& server : servers_) server->Stop();
}

void LoopbackExpertServers::Stop(size_t cluster) { servers_[cluster]->Stop(); }

Result<TwoLevelRunSummary> RunTwoLevelOnLoopback(const TwoLevelLoopbackOptions& o,
                                                 const Dataset& data,
                                                 std::vector<std::vector<int>>* placement) {
  HIEDGE_ASSIGN_OR_RETURN(TwoLevelModels models, LoadTwoLevelModels(o.config_path));
  const int superclasses = models.config.superclasses.count();
  PlacementInput input{ScenarioDemand(o.clusters, superclasses, o.seed),
                       std::vector<double>(static_cast<size_t>(o.clusters), o.experts_per_server),
                       1.0};
  HIEDGE_ASSIGN_OR_RETURN(*placement, PlaceSecondLevelModels(input));
  HIEDGE_ASSIGN_OR_RETURN(
      auto servers, LoopbackExpertServers::Start(models, *placement, Payload::kFp32, {}, o.link));
  TwoLevelDevice device(models.first_level.get(), models.config, servers->clients(), 0, o.deadline,
                        nullptr, o.expert_budget);
  double wall = 0;
  HIEDGE_ASSIGN_OR_RETURN(auto records, RunTwoLevelDevice(device, data, &wall, o.progress));
  return SummarizeTwoLevelRun(records, data, wall);
}

TwoLevelRunSummary SummarizeTwoLevelRun(const std::vector<TwoLevelSampleRecord>& records,
                                        const Dataset& data, double wall_seconds) {
  TwoLevelRunSummary s;
  s.samples = records.size();
  if (records.empty()) return s;
  size_t correct = 0, first_correct = 0, asked = 0, answers = 0, forwarded = 0, recalls = 0,
         local = 0;
  std::vector<double> first_ms, second_ms, total_ms;
  for (size_t i = 0; i < records.size(); ++i) {
    const TwoLevelSampleRecord& r = records[i];
    correct += r.final_class == data.labels[i];
    first_correct += r.first_level_class == data.labels[i];
    asked += r.asked.size();
    answers += static_cast<size_t>(r.answered);
    forwarded += static_cast<size_t>(r.forwarded);
    recalls += r.recalled;
    local += r.local;
    s.fallbacks += r.fallback;
    s.budget_limited += r.budget_limited;
    first_ms.push_back(r.first_level_ms);
    second_ms.push_back(r.second_level_ms);
    total_ms.push_back(r.first_level_ms + r.second_level_ms);
  }
  const double n = static_cast<double>(records.size());
  s.accuracy = static_cast<double>(correct) / n;
  s.first_level_accuracy = static_cast<double>(first_correct) / n;
  s.mean_experts_asked = static_cast<double>(asked) / n;
  s.forwarded_fraction =
      answers ? static_cast<double>(forwarded) / static_cast<double>(answers) : 0;
  s.recall_fraction = static_cast<double>(recalls) / n;
  s.local_fraction = static_cast<double>(local) / n;
  s.p50_first_level_ms = Percentile(first_ms, 0.5);
  s.p50_second_level_ms = Percentile(second_ms, 0.5);
  s.p99_total_ms = Percentile(total_ms, 0.99);
  s.samples_per_second = wall_seconds > 0 ? n / wall_seconds : 0;
  return s;
}

std::string TwoLevelRunSummary::ToJson() const {
  nlohmann::json j = {{"samples", samples},
                      {"accuracy", accuracy},
                      {"first_level_accuracy", first_level_accuracy},
                      {"mean_experts_asked", mean_experts_asked},
                      {"forwarded_fraction", forwarded_fraction},
                      {"fallbacks", fallbacks},
                      {"budget_limited", budget_limited},
                      {"recall_fraction", recall_fraction},
                      {"answered_locally_fraction", local_fraction},
                      {"p50_first_level_ms", p50_first_level_ms},
                      {"p50_second_level_ms", p50_second_level_ms},
                      {"p99_total_ms", p99_total_ms},
                      {"samples_per_second", samples_per_second}};
  return j.dump(2) + "\n";
}

std::string TwoLevelRunSummary::ToTable() const {
  std::string text;
  text = fmt::sprintf(
      "samples %zu: accuracy %.2f%% (first level %.2f%%), %.1f%% answered on the "
      "device, experts asked %.3f/sample, %.1f%% of answers forwarded to another "
      "server, %zu fallbacks, recall on %.1f%%\nlatency: first level p50 %.3f ms, "
      "second level p50 %.3f ms, total p99 %.3f ms; %.0f samples/s\n",
      samples, 100 * accuracy, 100 * first_level_accuracy, 100 * local_fraction, mean_experts_asked,
      100 * forwarded_fraction, fallbacks, 100 * recall_fraction, p50_first_level_ms,
      p50_second_level_ms, p99_total_ms, samples_per_second);
  if (budget_limited > 0) {
    text += fmt::sprintf(
        "expert budget: %zu samples (%.1f%%) answered with fewer experts than "
        "planned\n",
        budget_limited,
        100.0 * static_cast<double>(budget_limited) /
            static_cast<double>(std::max<size_t>(samples, 1)));
  }
  return text;
}

}  // namespace hiedge
