// Learning the offload threshold in the field: the device keeps adapting θ to the
// stream it actually sees, from the evidence it gets back.
//
// Evidence. Every sample the device sends to the server (offloaded, or *audited*: a
// random sample of the stream, sent even when the S-ML is sure) waits up to `label_wait` samples
// for a true label from the application
// (`Feedback`). It then gives one loss vector over a grid of thresholds θ_k:
//   score < θ_k (offload):  β + [L-ML wrong]    (β + the L-ML's estimated error rate
//                                                 when it did not answer)
//   score ≥ θ_k (accept):   [S-ML wrong]
// with the true label when one came, else the L-ML's answer as the label (then the
// L-ML is taken to be right). The learner picks the θ_k with the least decayed
// importance-weighted loss, but leaves the calibrated θ only for a θ_k whose estimated
// saving over it is significant: the decayed sum of per-sample differences D_k (loss at
// θ_k minus loss at the calibrated θ, importance-weighted) must be below
// −z·sqrt(V_k), where V_k sums the squared weighted differences and
// z = sqrt(2 ln(1 / switch_delta)) (a one-sided Hoeffding-style margin for one θ; the
// choice of the best θ is not corrected for). Among those it takes the one with the
// largest saving net of the margin, so it runs another θ only when the evidence says it
// is better than the calibrated one: when learning does not pay, it stays at the
// calibration. (FieldLearnerTest.NeverWorseThanTheCalibratedThetaPlusTheAudits checks
// this as a property over 7 kinds of stream and 5 audit seeds; follow the leader,
// switch_delta = 1, fails it on a stream the calibration already fits.)
//
// Whom to believe. The L-ML's answer stands in for a label only while the L-ML is
// *trusted*: with enough labelled samples (decayed count ≥ min_labels_for_trust), while
// the L-ML was right at least as often as the S-ML on them; with fewer (an application
// that labels, after a drift alarm), not until they come; with no labels ever, while
// the two models disagree on offloads no more often than `max_proxy_disagreement`. Trusted,
// every sent sample counts, weighted by 1 / P(sent) (1 below θ, 1 / p above):
// an unbiased estimate of every threshold's loss. Untrusted, only labelled audits
// count (weight 1 / p): they are a random sample of known probabilities, so the estimate stays
// unbiased on exactly the samples whose labels can be believed.
//
// Audits. Each sample is audited with a probability known when it is decided, so every
// audit carries its importance weight 1 / p. A token bucket keeps audits at most
// `audit_rate` of all samples in the long run: it earns audit_rate per sample; in
// steady state `steady_audit_share` of that is spent (p = share · audit_rate) and the
// rest saved, up to `max_saved_audits`. After a drift reset, while evidence is short
// of min_evidence, saved audits are spent at p = drift_audit_rate, so the learner
// relearns in tens of samples instead of hundreds.
//
// Forgetting. Evidence decays by 1/e every `memory_samples` samples; `OnDrift` (the
// drift detector's alarm) forgets it at once when it is the first alarm for
// memory_samples samples, and θ returns to the calibrated one until `min_evidence`
// samples have been resolved again.
//
// Pure: no clock, no I/O; randomness (audits) from a seeded generator. Memory is
// bounded by the grid and `label_wait`. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "hiedge/status.h"

namespace hiedge {

struct DecisionConfig;  // hiedge/decision_config.h
class OffloadPolicy;    // hiedge/offload_policy.h

struct FieldLearnerOptions {
  double offload_cost = 0.1;            // β: the loss of one offload, in errors.
  double audit_rate = 0.02;             // Long-run fraction of samples audited, [0, 0.5].
  double steady_audit_share = 0.8;      // Of audit_rate, spent outside drift bursts.
  double drift_audit_rate = 0.1;        // Audit probability in a burst after drift.
  double max_saved_audits = 50;         // Token-bucket capacity for bursts.
  int grid = 64;                        // Thresholds, evenly spaced over [score_min, score_max].
  double score_min = 0, score_max = 1;  // The policy module's score range.
  double memory_samples = 2000;         // Evidence decays by 1/e over this many samples.
  double min_evidence = 10;             // Resolved samples (decayed) before θ moves.
  double min_labels_for_trust = 10;     // Labelled samples (decayed) before labels decide trust.
  double max_proxy_disagreement = 0.5;  // Without labels: L-ML trusted below this.
  uint64_t label_wait = 256;            // Samples a sent sample waits for its label.
  uint64_t seed = 1;                    // Of the audit draws.
  // Leave the calibrated θ only when the saving is significant at this level (over the
  // whole grid); 1 = follow the leader (any saving).
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
  uint64_t resets = 0;                   // OnDrift forgetting.
  double local_accuracy_labelled = -1;   // S-ML on recent labelled samples (-1: none).
  double remote_accuracy_labelled = -1;  // L-ML on the same samples.
  double offload_disagreement = -1;      // S-ML != L-ML on recent answered offloads.
  bool remote_trusted = true;
  double theta = 0;
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

  double theta() const;
  bool remote_trusted() const;
  FieldLearnerStats stats() const;
  const FieldLearnerOptions& options() const { return options_; }

  // The learned state as JSON (version 1): options, evidence, counters. Samples still
  // waiting for labels are not saved. FromJson refuses a state whose grid or score
  // range differs from `options` (FailedPrecondition: recalibrated since) and bad JSON
  // (DataLoss).
  std::string ToJson() const;
  static Result<FieldLearner> FromJson(const std::string& json, const FieldLearnerOptions& options,
                                       double calibrated_theta);

 private:
  struct Pending {
    uint64_t sample = 0;
    uint64_t decided_at = 0;  // stats_.samples when decided.
    float score = 0;
    double weight_if_trusted = 1;  // 1 / P(sent).
    double audit_weight = 0;       // 1 / P(audited).
    bool audited = false;
    bool answered = false;
    int local = -1, remote = -1;
    int label = -1;  // Feedback that came before the answer.
  };
  FieldLearner(const FieldLearnerOptions& options, double calibrated_theta);
  void Decay();
  void Resolve(const Pending& p, int label);  // label -1: none came.
  void ExpireOld();
  size_t CalibratedIndex() const;

  FieldLearnerOptions options_;
  std::vector<double> thresholds_;
  size_t calibrated_index_ = 0;
  std::mt19937_64 rng_;
  std::vector<double> loss_;  // Decayed weighted loss per threshold.
  // Decayed sums of squared weighted loss differences against the calibrated θ (the
  // variance of loss_[k] - loss_[calibrated]; decays at keep² per sample).
  std::vector<double> diff_sq_;
  double resolved_ = 0;       // Decayed count of resolved samples.
  double labelled_ = 0, local_right_ = 0, remote_right_ = 0;  // Decayed, labelled + answered.
  double offloads_answered_ = 0, disagreements_ = 0;          // Decayed.
  double saved_audits_ = 0;                                   // Token bucket.
  bool burst_ = false;       // After a drift reset, until min_evidence returns.
  uint64_t last_reset_ = 0;  // The sample of the last alarm (reset or not).
  bool ever_reset_ = false;
  FieldLearnerStats stats_;
  std::deque<Pending> pending_;  // Oldest first; at most label_wait + 1 entries.
};

}  // namespace hiedge
