// Learning the offload threshold in the field: the device keeps adapting θ to the
// stream it actually sees, from the evidence it gets back.
//
// Evidence. Every sample the device sends to the server (offloaded, or *audited*: a
// random sample of the stream, sent even when the S-ML is sure) waits up to `label_wait`
// samples for a true label from the application (`Feedback`). It then gives one loss
// vector over a grid of thresholds θ_k (the calibrated θ among them):
//   score < θ_k (offload):  β + [L-ML wrong]    (β + the L-ML's estimated error rate
//                                                 when it did not answer)
//   score ≥ θ_k (accept):   [S-ML wrong]
// with the true label when one came, else the L-ML's answer as the label, each weighted
// by 1 / P(the sample was sent) (importance weights: unbiased for every θ_k's loss).
//
// Learning: AdaHedge with a gate (docs/field-learning.md states the bound).
//   - An AdaHedge mixture over the grid learns from every loss vector
//     (hiedge/decision/ada_hedge.h): pathwise, its cumulative estimated loss exceeds the
//     best θ_k's by at most 2Δ ≤ 2 sqrt(V ln K) + S (4/3 ln K + 2).
//   - The device plays the calibrated θ until the mixture has done significantly
//     better on the same evidence: D = Σ (loss of the calibrated θ - mixture's loss) >
//     z sqrt(Q), Q the sum of the squared differences, z = sqrt(2 ln(1 / switch_delta)).
//     From then on (until a drift restart) each sample's θ is drawn from the mixture.
//     While closed, D ≤ z sqrt(Q) by definition, so the learner's estimated regret
//     against the best θ in hindsight is at most 2Δ + z sqrt(Q) + S, on any stream.
//   - When learning does not pay the gate stays closed: the device runs the calibrated
//     θ. (FieldLearnerTest.NeverWorseThanTheCalibratedThetaPlusTheAudits checks this as
//     a property over 7 kinds of stream and 5 audit seeds.)
//   - Tracking a moving best θ: a drift alarm restarts the mixture and closes the gate
//     (the bound then holds per segment between restarts).
//
// Whom to believe. The L-ML's answer stands in for a label only while the L-ML is
// *trusted*: with enough labelled samples (decayed count ≥ min_labels_for_trust), while
// the L-ML was right at least as often as the S-ML on them; with fewer (an application
// that labels, after a drift alarm), not until they come; with no labels ever, while
// the two models disagree on offloads no more often than `max_proxy_disagreement`. Trusted,
// every sent sample counts, weighted by 1 / P(sent). Untrusted, only labelled audits
// count (weight 1 / p): a random sample of known probability. The bound is on the losses
// as this feedback defines them.
//
// Audits. Each sample is audited with a probability known when it is decided, so every
// audit carries its importance weight 1 / p. A token bucket keeps audits at most
// `audit_rate` of all samples in the long run: it earns audit_rate per sample; in
// steady state `steady_audit_share` of that is spent (p = share · audit_rate) and the
// rest saved, up to `max_saved_audits`. After a drift restart the savings are spent at
// p = drift_audit_rate until the gate opens or they run out: labels are worth most right
// after a shift, so the learner relearns in hundreds of samples instead of thousands.
//
// Forgetting. The trust statistics decay by 1/e every `memory_samples` samples; `OnDrift`
// (the drift detector's alarm) restarts the learning when it is the first alarm for
// memory_samples samples.
//
// Pure: no clock, no I/O; randomness (audits, the mixture's draws) from a seeded
// generator. Memory is bounded by the grid and `label_wait`. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "hiedge/decision/ada_hedge.h"
#include "hiedge/common/status.h"

namespace hiedge {

struct DecisionConfig;  // hiedge/decision/decision_config.h
class OffloadPolicy;    // hiedge/decision/offload_policy.h

struct FieldLearnerOptions {
  double offload_cost = 0.1;            // β: the loss of one offload, in errors.
  double audit_rate = 0.02;             // Long-run fraction of samples audited, [0, 0.5].
  double steady_audit_share = 0.5;      // Of audit_rate, spent outside drift bursts.
  double drift_audit_rate = 0.2;        // Audit probability in a burst after drift.
  double max_saved_audits = 100;        // Token-bucket capacity for bursts.
  int grid = 64;                        // Thresholds, evenly spaced over [score_min, score_max].
  double score_min = 0, score_max = 1;  // The policy module's score range.
  double memory_samples = 2000;         // Evidence decays by 1/e over this many samples.
  double min_labels_for_trust = 10;     // Labelled samples (decayed) before labels decide trust.
  double max_proxy_disagreement = 0.5;  // Without labels: L-ML trusted below this.
  uint64_t label_wait = 256;            // Samples a sent sample waits for its label.
  uint64_t seed = 1;                    // Of the audit draws.
  // The gate: follow the mixture once its saving over the calibrated θ is significant at
  // this level; 1 = as soon as it is ahead.
  double switch_delta = 0.05;
};

struct FieldDecision {
  double theta = 0;      // The threshold in force for this sample.
  bool offload = false;  // score < theta.
  bool audit = false;    // Sent although accepted (or would have been): label requested.
  bool sent() const { return offload || audit; }
};

// What the learner has seen; for summaries and the persisted state.
struct FieldLearnerStats {
  uint64_t samples = 0;                  // Decided.
  uint64_t audits = 0;                   // Of which audited.
  uint64_t extra_offloads = 0;           // Audits of samples θ would have accepted.
  uint64_t labelled = 0;                 // Resolved with a true label.
  uint64_t proxied = 0;                  // Resolved with the L-ML's answer as the label.
  uint64_t discarded = 0;                // Resolved without usable evidence.
  uint64_t resets = 0;                   // OnDrift restarts.
  double local_accuracy_labelled = -1;   // S-ML on recent labelled samples (-1: none).
  double remote_accuracy_labelled = -1;  // L-ML on the same samples.
  double offload_disagreement = -1;      // S-ML != L-ML on recent answered offloads.
  bool remote_trusted = true;
  double theta = 0;
  bool following_mixture = false;  // The gate is open.
};

// The learner's own accounting since the last restart, on the estimated (feedback)
// losses: what the bound is about.
struct FieldLearnerRegret {
  uint64_t rounds = 0;        // Resolved samples.
  double learner_loss = 0;    // The calibrated θ's while the gate was closed, the mixture's after.
  double mixture_loss = 0;    // AdaHedge's H.
  double best_loss = 0;       // The best θ of the grid in hindsight.
  double best_theta = 0;
  double calibrated_loss = 0;
  double gap = 0;             // AdaHedge's Δ.
  double variance = 0;        // V.
  double range = 0;           // S.
  double gate_margin = 0;     // z sqrt(Q) at the last closed round (0 if never closed).
  // learner_loss - best_loss <= bound = 2Δ + gate_margin + S (pathwise), and
  // 2Δ <= 2 sqrt(V ln K) + S (4/3 ln K + 2) = hedge_bound.
  double bound = 0;
  double hedge_bound = 0;
};

// Options for learning in the field from a calibrated policy: β from the config, the
// module's score range over `classes` classes (widened to include θ), and L-ML answers
// believed without labels while the offload disagreement stays within 0.25 of the
// calibration's. audit_rate, memory and seed keep their defaults.
FieldLearnerOptions FieldLearnerOptionsFor(const DecisionConfig& config,
                                           const OffloadPolicy& policy, int classes);

class FieldLearner {
 public:
  // InvalidArgument for options out of range or calibrated_theta outside the score range.
  static Result<FieldLearner> Create(const FieldLearnerOptions& options, double calibrated_theta);

  // One sample with the policy module's `score`: θ now, whether to offload, whether to
  // audit. `sample` identifies it in RecordSent and Feedback (unique per stream).
  FieldDecision Decide(uint64_t sample, float score);
  // A sent sample was answered: the S-ML's and the L-ML's predictions (-1: the L-ML did
  // not answer). The sample then waits for Feedback. Unknown ids are ignored.
  void RecordSent(uint64_t sample, int local_prediction, int remote_prediction);
  // The true label of a sample sent within the last label_wait samples (before or after
  // its RecordSent). NotFound for a sample never sent, already labelled or too old;
  // InvalidArgument for label < 0.
  Status Feedback(uint64_t sample, int label);
  // The drift detector alarmed: forget the evidence, unless an alarm came within the
  // last memory_samples samples (a lasting shift alarms again and again).
  void OnDrift();

  // The threshold in force: the calibrated θ while the gate is closed, the mixture's
  // weighted median after (each sample's θ is drawn from the mixture).
  double theta() const;
  bool remote_trusted() const;
  FieldLearnerStats stats() const;
  FieldLearnerRegret regret() const;
  const FieldLearnerOptions& options() const { return options_; }

  // The learned state as JSON (version 2): options, evidence, counters. Samples still
  // waiting for labels are not saved. FromJson refuses a state whose grid or score
  // range differs from `options` or that an older hiedge wrote (FailedPrecondition:
  // delete it to start over) and bad JSON (DataLoss).
  std::string ToJson() const;
  static Result<FieldLearner> FromJson(const std::string& json, const FieldLearnerOptions& options,
                                       double calibrated_theta);

 private:
  struct Pending {
    uint64_t sample = 0;
    uint64_t decided_at = 0;  // stats_.samples when decided.
    float score = 0;
    double weight_if_trusted = 1;  // 1 / P(sent).
    double offload_probability = 0;  // P(offload) under the θ distribution played.
    double audit_weight = 0;       // 1 / P(audited).
    bool audited = false;
    bool answered = false;
    int local = -1, remote = -1;
    int label = -1;  // Feedback that came before the answer.
  };
  FieldLearner(const FieldLearnerOptions& options, double calibrated_theta);
  void Decay();
  void Restart();
  void Resolve(const Pending& p, int label);  // label -1: none came.
  void ExpireOld();
  size_t CalibratedIndex() const;

  FieldLearnerOptions options_;
  std::vector<double> thresholds_;
  size_t calibrated_index_ = 0;
  std::mt19937_64 rng_;
  AdaHedge hedge_;  // Over thresholds_; since the last restart.
  bool open_ = false;                     // Following the mixture.
  double gate_diff_ = 0, gate_sq_ = 0;    // D and Q while closed.
  double learner_loss_ = 0;               // Estimated, since the last restart.
  double gate_margin_ = 0;
  double resolved_ = 0;       // Decayed count of resolved samples.
  double labelled_ = 0, local_right_ = 0, remote_right_ = 0;  // Decayed, labelled + answered.
  double offloads_answered_ = 0, disagreements_ = 0;          // Decayed.
  double saved_audits_ = 0;                                   // Token bucket.
  bool burst_ = false;       // After a drift restart, until the gate opens or savings run out.
  uint64_t last_reset_ = 0;  // The sample of the last alarm (reset or not).
  bool ever_reset_ = false;
  FieldLearnerStats stats_;
  std::deque<Pending> pending_;  // Oldest first; at most label_wait + 1 entries.
};

}  // namespace hiedge
