#include "hiedge/decision/field_learner.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "hiedge/decision/decision_config.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {
namespace {

using json = nlohmann::json;

Status CheckOptions(const FieldLearnerOptions& o, double calibrated_theta) {
  if (!(o.offload_cost >= 0)) return Status::InvalidArgument("offload cost must be >= 0");
  if (!(o.audit_rate >= 0 && o.audit_rate <= 0.5))
    return Status::InvalidArgument("audit rate must be in [0, 0.5]");
  if (!(o.steady_audit_share > 0 && o.steady_audit_share <= 1) ||
      !(o.drift_audit_rate >= 0 && o.drift_audit_rate <= 1) || !(o.max_saved_audits >= 0))
    return Status::InvalidArgument("audit share in (0, 1], burst rate in [0, 1], savings >= 0");
  if (o.grid < 2 || o.grid > 4096) return Status::InvalidArgument("grid must be in [2, 4096]");
  if (!(o.score_max > o.score_min)) return Status::InvalidArgument("empty score range");
  if (!(o.memory_samples >= 1)) return Status::InvalidArgument("memory_samples must be >= 1");
  if (!(o.min_labels_for_trust >= 0))
    return Status::InvalidArgument("min_labels_for_trust must be >= 0");
  if (o.label_wait > 65536) return Status::InvalidArgument("label_wait above 65,536 samples");
  if (!(o.switch_delta > 0 && o.switch_delta <= 1))
    return Status::InvalidArgument("switch_delta must be in (0, 1]");
  if (!(calibrated_theta >= o.score_min - 1e-9 && calibrated_theta <= o.score_max + 1e-9))
    return Status::InvalidArgument("calibrated theta outside the score range");
  return Status::Ok();
}

}  // namespace

FieldLearnerOptions FieldLearnerOptionsFor(const DecisionConfig& config,
                                           const OffloadPolicy& policy, int classes) {
  FieldLearnerOptions o;
  o.offload_cost = config.offload_cost;
  const auto [low, high] = policy.module().ScoreRange(classes);
  o.score_min = std::min(low, policy.theta());
  o.score_max = std::max(high, policy.theta());
  o.max_proxy_disagreement = std::min(1.0, config.offload_disagreement + 0.25);
  return o;
}

FieldLearner::FieldLearner(const FieldLearnerOptions& options, double calibrated_theta)
    : options_(options), rng_(options.seed) {
  for (int k = 0; k < options_.grid; ++k) {
    thresholds_.push_back(options_.score_min +
                          (options_.score_max - options_.score_min) * k / (options_.grid - 1));
  }
  // The calibrated θ is on the grid, so the learner starts as the calibrated policy.
  thresholds_.push_back(calibrated_theta);
  std::sort(thresholds_.begin(), thresholds_.end());
  calibrated_index_ = static_cast<size_t>(
      std::find(thresholds_.begin(), thresholds_.end(), calibrated_theta) - thresholds_.begin());
  hedge_ = AdaHedge(thresholds_.size());
}

Result<FieldLearner> FieldLearner::Create(const FieldLearnerOptions& options,
                                          double calibrated_theta) {
  HIEDGE_RETURN_IF_ERROR(CheckOptions(options, calibrated_theta));
  return FieldLearner(options, calibrated_theta);
}

double FieldLearner::theta() const {
  if (!open_) return thresholds_[calibrated_index_];
  // The mixture's weighted median.
  const std::vector<double>& w = hedge_.weights();
  double seen = 0;
  for (size_t k = 0; k < thresholds_.size(); ++k) {
    seen += w[k];
    if (seen >= 0.5) return thresholds_[k];
  }
  return thresholds_.back();
}

bool FieldLearner::remote_trusted() const {
  if (labelled_ >= options_.min_labels_for_trust && labelled_ > 0)
    return remote_right_ >= local_right_;
  // The application labels samples, but not enough recent ones (after a drift alarm):
  // the L-ML is unproven on this stream until they come.
  if (stats_.labelled > 0) return false;
  if (offloads_answered_ >= options_.min_labels_for_trust && offloads_answered_ > 0)
    return disagreements_ / offloads_answered_ <= options_.max_proxy_disagreement;
  return true;  // No evidence either way: the seeds' assumption.
}

void FieldLearner::Decay() {
  const double keep = std::exp(-1.0 / options_.memory_samples);
  resolved_ *= keep;
  labelled_ *= keep;
  local_right_ *= keep;
  remote_right_ *= keep;
  offloads_answered_ *= keep;
  disagreements_ *= keep;
}

FieldDecision FieldLearner::Decide(uint64_t sample, float score) {
  ++stats_.samples;
  ExpireOld();
  Decay();
  FieldDecision d;
  // The θ in force: the calibrated one, or one drawn from the mixture; P(offload) under
  // that draw is what the importance weights need.
  double p_offload = score < thresholds_[calibrated_index_] ? 1.0 : 0.0;
  d.theta = thresholds_[calibrated_index_];
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (open_) {
    const std::vector<double>& w = hedge_.weights();
    p_offload = 0;
    for (size_t k = 0; k < thresholds_.size(); ++k) p_offload += score < thresholds_[k] ? w[k] : 0;
    const double u = unit(rng_);
    double seen = 0;
    d.theta = thresholds_.back();
    for (size_t k = 0; k < thresholds_.size(); ++k) {
      seen += w[k];
      if (u < seen) {
        d.theta = thresholds_[k];
        break;
      }
    }
  }
  d.offload = score < d.theta;
  // One audit draw per sample, whatever the decision, at a probability fixed beforehand.
  // A burst after a drift restart spends the saved audits until the mixture has proved
  // better than the calibrated θ (the gate opened) or the savings are spent.
  if (burst_ && (open_ || saved_audits_ < 1)) burst_ = false;
  saved_audits_ = std::min(saved_audits_ + options_.audit_rate, options_.max_saved_audits + 1);
  const double p_audit = burst_ && saved_audits_ >= 1
                             ? std::max(options_.drift_audit_rate, options_.audit_rate)
                             : options_.steady_audit_share * options_.audit_rate;
  d.audit = p_audit > 0 && unit(rng_) < p_audit;
  saved_audits_ -= d.audit;
  stats_.audits += d.audit;
  stats_.extra_offloads += d.audit && !d.offload;
  if (d.sent()) {
    Pending p;
    p.sample = sample;
    p.decided_at = stats_.samples;
    p.score = score;
    p.audit_weight = d.audit ? 1.0 / p_audit : 0.0;
    p.weight_if_trusted = 1.0 / (p_offload + (1 - p_offload) * p_audit);
    p.offload_probability = p_offload;
    p.audited = d.audit;
    pending_.push_back(p);
  }
  return d;
}

void FieldLearner::RecordSent(uint64_t sample, int local_prediction, int remote_prediction) {
  for (Pending& p : pending_) {
    if (p.sample != sample || p.answered) continue;
    p.answered = true;
    p.local = local_prediction;
    p.remote = remote_prediction;
    if (remote_prediction >= 0) {
      offloads_answered_ += 1;
      disagreements_ += remote_prediction != local_prediction;
    }
    if (options_.label_wait == 0 || p.label >= 0) {
      const Pending resolved = p;
      std::erase_if(pending_, [&](const Pending& q) { return q.sample == sample; });
      Resolve(resolved, resolved.label);
    }
    return;
  }
}

Status FieldLearner::Feedback(uint64_t sample, int label) {
  if (label < 0) return Status::InvalidArgument("label must be >= 0");
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->sample != sample || it->label >= 0) continue;
    if (!it->answered) {  // Resolved when the answer comes.
      it->label = label;
      return Status::Ok();
    }
    const Pending p = *it;
    pending_.erase(it);
    Resolve(p, label);
    return Status::Ok();
  }
  return Status::NotFound("sample " + std::to_string(sample) +
                          " is not waiting for a label (not sent, already labelled, or more than " +
                          std::to_string(options_.label_wait) + " samples ago)");
}

void FieldLearner::ExpireOld() {
  // Answered samples wait label_wait samples for a label; unanswered ones (still in the
  // runtime's offload batch) up to kMaxUnansweredAge more, then count as lost.
  constexpr uint64_t kMaxUnansweredAge = 4096;
  while (!pending_.empty()) {
    const uint64_t age = stats_.samples - pending_.front().decided_at;
    if (age < options_.label_wait ||
        (!pending_.front().answered && age < options_.label_wait + kMaxUnansweredAge))
      break;
    const Pending p = pending_.front();
    pending_.pop_front();
    Resolve(p, p.label);
  }
}

void FieldLearner::Resolve(const Pending& p, int label) {
  if (!p.answered) {  // Sent but never answered (the runtime lost track): no evidence.
    ++stats_.discarded;
    return;
  }
  const bool has_label = label >= 0;
  if (has_label && p.remote >= 0) {
    labelled_ += 1;
    local_right_ += p.local == label;
    remote_right_ += p.remote == label;
  }
  const bool trusted = remote_trusted();
  double weight = 0;
  int truth = -1;
  if (trusted) {
    truth = has_label ? label : p.remote;
    weight = p.weight_if_trusted;
  } else if (has_label && p.audited) {
    truth = label;
    weight = p.audit_weight;
  }
  if (truth < 0 || weight <= 0) {
    ++stats_.discarded;
    return;
  }
  has_label ? ++stats_.labelled : ++stats_.proxied;
  double remote_error = 0;
  if (p.remote >= 0) {
    remote_error = p.remote != truth;
  } else if (labelled_ > 0) {
    remote_error = 1.0 - remote_right_ / labelled_;
  }
  const double offload_loss = weight * (options_.offload_cost + remote_error);
  const double accept_loss = weight * (p.local != truth);
  std::vector<double> losses(thresholds_.size());
  for (size_t k = 0; k < thresholds_.size(); ++k) {
    losses[k] = p.score < thresholds_[k] ? offload_loss : accept_loss;
  }
  const double calibrated = losses[calibrated_index_];
  const double mixture = hedge_.Update(losses);
  if (open_) {
    learner_loss_ += mixture;
  } else {
    // The gate: the mixture's saving over the calibrated θ on the same evidence.
    learner_loss_ += calibrated;
    const double x = calibrated - mixture;
    gate_diff_ += x;
    gate_sq_ += x * x;
    const double z = options_.switch_delta >= 1
                         ? 0.0
                         : std::sqrt(2.0 * std::log(1.0 / options_.switch_delta));
    gate_margin_ = z * std::sqrt(gate_sq_);
    if (gate_diff_ > gate_margin_) open_ = true;
  }
  resolved_ += 1;
}

void FieldLearner::OnDrift() {
  // Only the first alarm after a quiet memory_samples resets: a lasting shift (or the
  // learner's own new θ) keeps the detector alarming, and every alarm extends the quiet.
  const bool quiet =
      !ever_reset_ || static_cast<double>(stats_.samples - last_reset_) >= options_.memory_samples;
  ever_reset_ = true;
  last_reset_ = stats_.samples;
  if (!quiet) return;
  Restart();
  resolved_ = labelled_ = local_right_ = remote_right_ = 0;
  offloads_answered_ = disagreements_ = 0;
  burst_ = true;
  ++stats_.resets;
}

void FieldLearner::Restart() {
  hedge_.Reset();
  open_ = false;
  gate_diff_ = gate_sq_ = learner_loss_ = gate_margin_ = 0;
}

FieldLearnerRegret FieldLearner::regret() const {
  FieldLearnerRegret r;
  r.rounds = hedge_.rounds();
  r.learner_loss = learner_loss_;
  r.mixture_loss = hedge_.mixture_loss();
  r.best_loss = hedge_.best_loss();
  const std::vector<double>& cumulative = hedge_.cumulative();
  r.best_theta = thresholds_[static_cast<size_t>(
      std::min_element(cumulative.begin(), cumulative.end()) - cumulative.begin())];
  r.calibrated_loss = cumulative[calibrated_index_];
  r.gap = hedge_.gap();
  r.variance = hedge_.variance();
  r.range = hedge_.range();
  r.gate_margin = gate_margin_;
  r.bound = 2 * r.gap + r.gate_margin + r.range;
  r.hedge_bound = hedge_.Bound();
  return r;
}

FieldLearnerStats FieldLearner::stats() const {
  FieldLearnerStats s = stats_;
  s.theta = theta();
  s.remote_trusted = remote_trusted();
  s.following_mixture = open_;
  if (labelled_ > 0) {
    s.local_accuracy_labelled = local_right_ / labelled_;
    s.remote_accuracy_labelled = remote_right_ / labelled_;
  }
  if (offloads_answered_ > 0) s.offload_disagreement = disagreements_ / offloads_answered_;
  return s;
}

std::string FieldLearner::ToJson() const {
  json j;
  j["version"] = 2;
  j["grid"] = options_.grid;
  j["score_min"] = options_.score_min;
  j["score_max"] = options_.score_max;
  j["calibrated_theta"] = thresholds_[calibrated_index_];
  j["hedge"] = {{"cumulative", hedge_.cumulative()},
                {"mixture_loss", hedge_.mixture_loss()},
                {"gap", hedge_.gap()},
                {"variance", hedge_.variance()},
                {"range", hedge_.range()},
                {"rounds", hedge_.rounds()}};
  j["gate"] = {{"open", open_},
               {"diff", gate_diff_},
               {"sq", gate_sq_},
               {"margin", gate_margin_},
               {"learner_loss", learner_loss_}};
  j["resolved"] = resolved_;
  j["labelled"] = {
      {"count", labelled_}, {"local_right", local_right_}, {"remote_right", remote_right_}};
  j["offloads"] = {{"answered", offloads_answered_}, {"disagreements", disagreements_}};
  j["counters"] = {{"samples", stats_.samples},
                   {"audits", stats_.audits},
                   {"extra_offloads", stats_.extra_offloads},
                   {"labelled", stats_.labelled},
                   {"proxied", stats_.proxied},
                   {"discarded", stats_.discarded},
                   {"resets", stats_.resets}};
  j["last_reset"] = ever_reset_ ? json(last_reset_) : json(nullptr);
  j["saved_audits"] = saved_audits_;
  j["burst"] = burst_;
  return j.dump(1);
}

Result<FieldLearner> FieldLearner::FromJson(const std::string& text,
                                            const FieldLearnerOptions& options,
                                            double calibrated_theta) {
  HIEDGE_ASSIGN_OR_RETURN(FieldLearner learner, Create(options, calibrated_theta));
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Status::DataLoss("learner state: " + parsed.status().message());
  const json& j = *parsed;
  try {
    if (j.at("version").get<int>() != 2) {
      return Status::FailedPrecondition(
          "learner state written by an older hiedge (another learning rule); delete it to start "
          "over");
    }
    if (j.at("grid").get<int>() != options.grid ||
        j.at("score_min").get<double>() != options.score_min ||
        j.at("score_max").get<double>() != options.score_max ||
        j.at("calibrated_theta").get<double>() != calibrated_theta) {
      return Status::FailedPrecondition(
          "learner state was learned for another grid or calibration; delete it to start over");
    }
    const json& hedge = j.at("hedge");
    const json& cumulative = hedge.at("cumulative");
    if (!cumulative.is_array() || cumulative.size() != learner.hedge_.experts())
      return Status::DataLoss("learner state: loss vector of the wrong length");
    if (!learner.hedge_.Restore(cumulative.get<std::vector<double>>(),
                                hedge.at("mixture_loss").get<double>(),
                                hedge.at("gap").get<double>(), hedge.at("variance").get<double>(),
                                hedge.at("range").get<double>(),
                                hedge.at("rounds").get<size_t>()))
      return Status::DataLoss("learner state: bad loss values");
    const json& gate = j.at("gate");
    learner.open_ = gate.at("open").get<bool>();
    learner.gate_diff_ = gate.at("diff").get<double>();
    learner.gate_sq_ = gate.at("sq").get<double>();
    learner.gate_margin_ = gate.at("margin").get<double>();
    learner.learner_loss_ = gate.at("learner_loss").get<double>();
    for (double v : {learner.gate_diff_, learner.gate_sq_, learner.gate_margin_,
                     learner.learner_loss_}) {
      if (!std::isfinite(v)) return Status::DataLoss("learner state: bad gate value");
    }
    learner.resolved_ = j.at("resolved").get<double>();
    learner.labelled_ = j.at("labelled").at("count").get<double>();
    learner.local_right_ = j.at("labelled").at("local_right").get<double>();
    learner.remote_right_ = j.at("labelled").at("remote_right").get<double>();
    learner.offloads_answered_ = j.at("offloads").at("answered").get<double>();
    learner.disagreements_ = j.at("offloads").at("disagreements").get<double>();
    const json& c = j.at("counters");
    learner.stats_.samples = c.at("samples").get<uint64_t>();
    learner.stats_.audits = c.at("audits").get<uint64_t>();
    learner.stats_.extra_offloads = c.at("extra_offloads").get<uint64_t>();
    learner.stats_.labelled = c.at("labelled").get<uint64_t>();
    learner.stats_.proxied = c.at("proxied").get<uint64_t>();
    learner.stats_.discarded = c.at("discarded").get<uint64_t>();
    learner.stats_.resets = c.at("resets").get<uint64_t>();
    learner.saved_audits_ = j.at("saved_audits").get<double>();
    learner.burst_ = j.at("burst").get<bool>();
    if (!std::isfinite(learner.saved_audits_) ||
        learner.saved_audits_ > options.max_saved_audits + 1 || learner.saved_audits_ < -1e6)
      return Status::DataLoss("learner state: bad audit savings");
    if (!j.at("last_reset").is_null()) {
      learner.ever_reset_ = true;
      learner.last_reset_ = j.at("last_reset").get<uint64_t>();
    }
  } catch (const json::exception& e) {
    return Status::DataLoss(std::string("learner state: ") + e.what());
  }
  for (double v : {learner.resolved_, learner.labelled_, learner.local_right_,
                   learner.remote_right_, learner.offloads_answered_, learner.disagreements_}) {
    if (!std::isfinite(v) || v < 0) return Status::DataLoss("learner state: bad count");
  }
  // The audit draws continue from a seed mixed with the samples seen, not from the
  // start again (which would repeat the same audit pattern after every restart).
  learner.rng_.seed(options.seed ^ (learner.stats_.samples * 0x9E3779B97F4A7C15ull));
  return learner;
}

}  // namespace hiedge
