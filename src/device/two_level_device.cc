#include "hiedge/device/two_level_device.h"

#include <algorithm>
#include <future>

#include "hiedge/decision/decision.h"

namespace hiedge {
namespace {

double MillisBetween(int64_t from_us, int64_t to_us) {
  return static_cast<double>(to_us - from_us) / 1000.0;
}

}  // namespace

TwoLevelDevice::TwoLevelDevice(InferenceBackend* first_level, TwoLevelConfig config,
                               std::vector<std::vector<OffloadClient*>> clients, int local_cluster,
                               std::chrono::microseconds deadline, MicrosClock clock,
                               double expert_budget, EndpointSelectorOptions selection)
    : first_level_(first_level),
      config_(std::move(config)),
      clients_(std::move(clients)),
      local_cluster_(local_cluster),
      deadline_(deadline),
      clock_(clock ? std::move(clock) : MicrosClock(SteadyMicros)),
      servers_(clients_.size(), selection),
      budget_(expert_budget) {
  models_on_.resize(clients_.size());
  for (size_t c = 0; c < clients_.size(); ++c) {
    for (size_t s = 0; s < clients_[c].size(); ++s) {
      if (clients_[c][s] != nullptr) models_on_[c].push_back(static_cast<int>(s));
    }
  }
  const std::vector<int64_t>& per_sample = first_level_->info().input_shape;
  sample_shape_ = {1};
  sample_shape_.insert(sample_shape_.end(), per_sample.begin(), per_sample.end());
}

Result<TwoLevelSampleRecord> TwoLevelDevice::Process(const TensorView& image) {
  HIEDGE_RETURN_IF_ERROR(CheckShape(image, first_level_->info().input_shape, "sample"));
  TwoLevelSampleRecord record;
  const int64_t start_us = clock_();
  HIEDGE_ASSIGN_OR_RETURN(
      FloatTensor features,
      first_level_->RunStages(
          {sample_shape_, std::vector<float>(image.data.begin(), image.data.end())}, 0,
          config_.feature_stages));
  HIEDGE_ASSIGN_OR_RETURN(
      FloatTensor logits,
      first_level_->RunStages(features, config_.feature_stages, first_level_->info().num_stages));
  const std::vector<float> probabilities = Softmax(logits.data);
  record.first_level_class = static_cast<int>(
      std::max_element(probabilities.begin(), probabilities.end()) - probabilities.begin());
  const int64_t first_done_us = clock_();
  record.first_level_ms = MillisBetween(start_us, first_done_us);

  const int allowed = budget_.BeginImage();
  if (AnswersLocally(probabilities, config_.thresholds)) {
    budget_.EndImage(0, false);
    record.local = true;
    record.final_class = record.first_level_class;
    return record;
  }
  SecondLevelPlan plan = PlanSecondLevel(SuperclassConfidences(probabilities, config_.superclasses),
                                         config_.thresholds);
  // The budget keeps the plan's first experts (most confident superclass first).
  if (static_cast<int>(plan.first.size()) > allowed) {
    plan.first.resize(static_cast<size_t>(allowed));
    record.budget_limited = true;
  }
  std::vector<SecondLevelAnswer> answers;
  if (!plan.first.empty()) AskAll(plan.first, features, &answers, &record);
  if (!plan.first.empty() && NeedsRecall(answers, plan, config_.thresholds)) {
    const int left = allowed - static_cast<int>(plan.first.size());
    if (static_cast<int>(plan.recall.size()) > left) {
      plan.recall.resize(static_cast<size_t>(std::max(left, 0)));
      record.budget_limited = true;
    }
    if (!plan.recall.empty()) {
      record.recalled = true;
      AskAll(plan.recall, features, &answers, &record);
    }
  }
  budget_.EndImage(static_cast<int>(record.asked.size()), record.budget_limited);
  record.second_level_ms = MillisBetween(first_done_us, clock_());
  record.answered = static_cast<int>(answers.size());
  if (answers.empty()) {
    // Experts asked but none answered; a budget that allowed none is flagged as such.
    record.fallback = !record.asked.empty();
    record.final_class = record.first_level_class;
  } else {
    record.final_class = BestAnswer(answers).class_id;
  }
  return record;
}

std::vector<double> TwoLevelDevice::estimated_wait_us() const {
  std::vector<double> waits(servers_.endpoints());
  for (size_t c = 0; c < waits.size(); ++c) waits[c] = servers_.ExpectedWaitUs(c);
  return waits;
}

TwoLevelDevice::AskOutcome TwoLevelDevice::Ask(int superclass, const FloatTensor& features) const {
  AskOutcome outcome;
  std::vector<std::vector<int>> untried = models_on_;
  const auto& members = config_.superclasses.members[static_cast<size_t>(superclass)];
  for (;;) {
    const int server =
        ChooseSecondLevelServer(superclass, untried, local_cluster_, servers_, clock_());
    if (server < 0) {
      if (outcome.error.empty()) {
        outcome.error = "no server holds the expert of superclass " + std::to_string(superclass);
      }
      return outcome;
    }
    const auto c = static_cast<size_t>(server);
    auto& held = untried[c];
    held.erase(std::remove(held.begin(), held.end(), superclass), held.end());
    const int64_t sent_us = clock_();
    ServerReport report;
    Result<FloatTensor> logits =
        clients_[c][static_cast<size_t>(superclass)]->InferReporting(features, deadline_, &report);
    const double rtt_us = static_cast<double>(clock_() - sent_us);
    // The expert's own classes, plus an "other" output if it has one.
    if (!logits.ok() || logits->data.size() < members.size() ||
        logits->data.size() > members.size() + 1) {
      outcome.error = logits.ok() ? "expert answered " + std::to_string(logits->data.size()) +
                                        " logits for " + std::to_string(members.size()) + " classes"
                                  : logits.status().ToString();
      outcome.failed_servers.push_back(server);
      continue;
    }
    outcome.answer = ExpertAnswer(superclass, Softmax(logits->data), members);
    outcome.server = server;
    outcome.rtt_us = rtt_us;
    outcome.queue_us = static_cast<double>(report.queue_us);
    return outcome;
  }
}

void TwoLevelDevice::AskAll(const std::vector<int>& superclasses, const FloatTensor& features,
                            std::vector<SecondLevelAnswer>* answers, TwoLevelSampleRecord* record) {
  std::vector<AskOutcome> outcomes(superclasses.size());
  if (superclasses.size() == 1) {
    outcomes[0] = Ask(superclasses[0], features);
  } else {
    // In parallel, as the seed's Alg. 2 does: each expert has its own clients, and Ask
    // only reads shared state.
    std::vector<std::future<AskOutcome>> pending;
    for (int s : superclasses) {
      pending.push_back(
          std::async(std::launch::async, [this, s, &features] { return Ask(s, features); }));
    }
    for (size_t k = 0; k < pending.size(); ++k) outcomes[k] = pending[k].get();
  }
  for (size_t k = 0; k < superclasses.size(); ++k) {
    const AskOutcome& o = outcomes[k];
    record->asked.push_back(superclasses[k]);
    record->servers.push_back(o.server);
    // A failed server is avoided through its cooldown, then probed again.
    const int64_t now = clock_();
    for (int failed : o.failed_servers) servers_.RecordFailure(static_cast<size_t>(failed), now);
    if (!o.error.empty()) record->error = o.error;
    if (!o.answer) continue;
    servers_.RecordSuccess(static_cast<size_t>(o.server), o.rtt_us, now, o.queue_us);
    answers->push_back(*o.answer);
    if (o.server != local_cluster_) ++record->forwarded;
  }
}

}  // namespace hiedge
