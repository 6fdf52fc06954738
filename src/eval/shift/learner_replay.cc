#include "eval/shift/learner_replay.h"

#include "hiedge/decision/drift.h"
#include "hiedge/decision/field_learner.h"

namespace hiedge {

Result<LearnerRun> ReplayFieldLearner(const DecisionConfig& config, const OffloadPolicy& policy,
                                      const ReplayPart& clean, const ReplayPart& shifted,
                                      const LearnerReplayOptions& o) {
  FieldLearnerOptions options = FieldLearnerOptionsFor(config, policy, clean.local->classes);
  options.audit_rate = o.audit_rate;
  options.seed = o.seed;
  HIEDGE_ASSIGN_OR_RETURN(FieldLearner learner, FieldLearner::Create(options, policy.theta()));
  HIEDGE_ASSIGN_OR_RETURN(DriftDetector detector,
                          DriftDetector::FromConfig(config, {o.false_alarm_rate}));
  LearnerRun run;
  double sent = 0;
  const size_t classes = static_cast<size_t>(clean.local->classes);
  for (size_t t = 0; t < clean.size() + shifted.size(); ++t) {
    const bool in_shift = t >= clean.size();
    const ReplayPart& part = in_shift ? shifted : clean;
    const size_t i = in_shift ? t - clean.size() : t;
    const int label = (*part.labels)[i];
    const int remote = part.remote->labels[i];
    const PolicyDecision d =
        policy.Decide(std::span<const float>(part.local->logits).subspan(i * classes, classes));
    const FieldDecision f = learner.Decide(t, d.score);
    if (f.sent()) {
      learner.RecordSent(t, d.prediction, remote);
      if (f.audit && o.label_audits) HIEDGE_RETURN_IF_ERROR(learner.Feedback(t, label));
    }
    // As the device: the detector judges the calibrated policy's offloads, not the learner's.
    const std::span<const float> input =
        part.inputs != nullptr ? part.inputs->sample(i).data : std::span<const float>();
    bool alarm = detector.ObserveSample(d.confidence, d.offload, input, d.prediction);
    if (d.offload && f.sent()) alarm = detector.ObserveAnswer(remote != d.prediction) || alarm;
    if (alarm) learner.OnDrift();
    run.stream_audit += f.audit;
    if (!in_shift) continue;
    const bool right = (f.offload ? remote : d.prediction) == label;
    run.accuracy += right;
    run.offload += f.offload;
    run.audit += f.audit;
    sent += f.sent();
    run.cost += !right;
  }
  const double n = static_cast<double>(shifted.size());
  run.cost = (run.cost + config.offload_cost * sent) / n;
  run.accuracy /= n;
  run.offload /= n;
  run.audit /= n;
  run.stream_audit /= static_cast<double>(clean.size() + shifted.size());
  run.theta = learner.theta();
  run.trusts_remote = learner.remote_trusted();
  return run;
}

}  // namespace hiedge
