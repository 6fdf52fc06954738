#include "hiedge/decision/field_learner.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace hiedge {
namespace {

// A synthetic stream: score uniform in [0, 1); the S-ML is right above `local_ok` and
// with probability `local_accuracy_below` below it; the L-ML is right with probability
// `remote_accuracy`. Ten classes; a wrong answer is
// (label + 1) % 10 for the S-ML and (label + 2) % 10 for the L-ML.
struct Stream {
  double local_ok = 0.6;
  double local_accuracy_below = 0.0;
  double remote_accuracy = 1.0;
  std::mt19937_64 rng{7};
  struct Sample {
    float score;
    int label, local, remote;
  };
  Sample Next() {
    std::uniform_real_distribution<double> u(0, 1);
    Sample s;
    s.score = static_cast<float>(u(rng));
    s.label = static_cast<int>(rng() % 10);
    const bool local_right = s.score >= local_ok || u(rng) < local_accuracy_below;
    s.local = local_right ? s.label : (s.label + 1) % 10;
    s.remote = u(rng) < remote_accuracy ? s.label : (s.label + 2) % 10;
    return s;
  }
};

// Runs `n` samples through the learner as the device does; labels every audited sample
// when `label_audits`. Returns the accuracy of the final answers.
double RunStream(FieldLearner& learner, Stream& stream, int n, bool label_audits, uint64_t* id) {
  double right = 0;
  for (int i = 0; i < n; ++i, ++*id) {
    const Stream::Sample s = stream.Next();
    const FieldDecision d = learner.Decide(*id, s.score);
    if (d.sent()) {
      learner.RecordSent(*id, s.local, s.remote);
      if (d.audit && label_audits) EXPECT_TRUE(learner.Feedback(*id, s.label).ok());
    }
    right += (d.offload ? s.remote : s.local) == s.label;
  }
  return right / n;
}

FieldLearnerOptions Options() {
  FieldLearnerOptions o;
  o.offload_cost = 0.1;
  o.audit_rate = 0.05;
  o.label_wait = 16;
  o.memory_samples = 2000;
  o.max_proxy_disagreement = 1.0;  // Without labels, believe the L-ML (the tests vary this).
  return o;
}

TEST(FieldLearnerTest, StartsAtTheCalibratedThresholdAndAuditsAtTheRate) {
  auto learner = FieldLearner::Create(Options(), 0.3);
  ASSERT_TRUE(learner.ok());
  EXPECT_DOUBLE_EQ(learner->theta(), 0.3);
  uint64_t audits = 0;
  for (uint64_t i = 0; i < 20000; ++i) {
    const FieldDecision d = learner->Decide(i, 0.9f);  // Sure: only audits are sent.
    EXPECT_EQ(d.offload, false);
    audits += d.audit;
  }
  // Nothing was answered, so nothing was learned.
  EXPECT_DOUBLE_EQ(learner->theta(), 0.3);
  // In steady state half the audit budget is spent; the rest is saved for drift.
  EXPECT_NEAR(static_cast<double>(audits) / 20000, 0.5 * 0.05, 0.005);
  EXPECT_EQ(learner->stats().audits, audits);
  EXPECT_EQ(learner->stats().extra_offloads, audits);
}

TEST(FieldLearnerTest, TrustedLmlAnswersMoveThetaToWhereTheSmlStartsToFail) {
  // The S-ML fails below 0.6 and the L-ML is always right: with β = 0.1 the best θ is
  // 0.6. Calibrated at 0.3, the learner learns it from the L-ML's answers alone.
  auto learner = FieldLearner::Create(Options(), 0.3);
  ASSERT_TRUE(learner.ok());
  Stream stream;
  uint64_t id = 0;
  RunStream(*learner, stream, 20000, /*label_audits=*/false, &id);
  EXPECT_NEAR(learner->theta(), 0.6, 0.05);
  EXPECT_TRUE(learner->remote_trusted());
  EXPECT_GT(learner->stats().proxied, 1000u);
  EXPECT_EQ(learner->stats().labelled, 0u);
}

// Never worse than not learning: on every stream (the calibration right, too low, too
// high, a failing L-ML, labels or none, a switch halfway) and every audit seed, the
// learner's cost per sample at β is at most 1% above the calibrated θ's on the same
// samples, plus what its audits cost (β per audit the calibrated θ would have
// accepted).
TEST(FieldLearnerTest, NeverWorseThanTheCalibratedThetaPlusTheAudits) {
  struct Case {
    const char* name;
    double calibrated;
    Stream first, second;  // The stream switches from first to second halfway.
    bool labels;
  };
  const std::vector<Case> cases = {
      {"calibration right", 0.6, {.local_accuracy_below = 0.5}, {.local_accuracy_below = 0.5},
       true},
      {"calibration right, no labels", 0.6, {.local_accuracy_below = 0.5},
       {.local_accuracy_below = 0.5}, false},
      {"theta too low", 0.3, {.local_accuracy_below = 0.5}, {.local_accuracy_below = 0.5}, true},
      {"theta too high", 0.9, {.local_accuracy_below = 0.5}, {.local_accuracy_below = 0.5}, true},
      {"failing L-ML", 0.3,
       {.local_accuracy_below = 0.5, .remote_accuracy = 0.3},
       {.local_accuracy_below = 0.5, .remote_accuracy = 0.3}, true},
      {"switch to a failing L-ML", 0.6, {.local_accuracy_below = 0.5},
       {.local_accuracy_below = 0.5, .remote_accuracy = 0.3}, true},
      {"switch to a harder stream", 0.6, {.local_accuracy_below = 0.5},
       {.local_ok = 0.9, .local_accuracy_below = 0.2}, true},
  };
  for (const Case& c : cases) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      FieldLearnerOptions o = Options();
      o.seed = seed;
      o.max_proxy_disagreement = 0.5;
      auto learner = FieldLearner::Create(o, c.calibrated);
      ASSERT_TRUE(learner.ok());
      Stream first = c.first, second = c.second;
      first.rng.seed(seed * 101);
      second.rng.seed(seed * 103);
      double learned = 0, fixed = 0, audits = 0;
      constexpr int kSamples = 20000;
      for (int i = 0; i < kSamples; ++i) {
        const Stream::Sample s = (i < kSamples / 2 ? first : second).Next();
        const auto id = static_cast<uint64_t>(i);
        const FieldDecision d = learner->Decide(id, s.score);
        if (d.sent()) {
          learner->RecordSent(id, s.local, s.remote);
          if (d.audit && c.labels) EXPECT_TRUE(learner->Feedback(id, s.label).ok());
        }
        auto cost = [&](bool offload) {
          return offload ? o.offload_cost + (s.remote != s.label) : (s.local != s.label ? 1.0 : 0.0);
        };
        learned += cost(d.offload);
        fixed += cost(s.score < c.calibrated);
        audits += d.audit && !d.offload ? o.offload_cost : 0;
      }
      EXPECT_LE(learned, 1.01 * fixed + audits)
          << c.name << ", seed " << seed << ": learned " << learned / kSamples << ", fixed "
          << fixed / kSamples << ", audits " << audits / kSamples << " per sample";
    }
  }
}

TEST(FieldLearnerTest, LabelsRevealAFailingLmlAndTheLearnerStopsOffloading) {
  // The L-ML is right only 30% of the time; the S-ML is right above 0.6 and half the
  // time below (70% overall). Taking the L-ML's answers as truth says "offload
  // everything"; the labelled audits show the L-ML failing, and the learner stops
  // offloading.
  const FieldLearnerOptions o = Options();
  Stream proxy_stream{.local_ok = 0.6, .local_accuracy_below = 0.5, .remote_accuracy = 0.3};
  auto fooled = FieldLearner::Create(o, 0.3);
  ASSERT_TRUE(fooled.ok());
  uint64_t id = 0;
  RunStream(*fooled, proxy_stream, 20000, /*label_audits=*/false, &id);
  EXPECT_GT(fooled->theta(), 0.9) << "the L-ML's answers as labels: offload (almost) all";

  Stream labelled_stream{.local_ok = 0.6, .local_accuracy_below = 0.5, .remote_accuracy = 0.3};
  auto learner = FieldLearner::Create(o, 0.3);
  ASSERT_TRUE(learner.ok());
  id = 0;
  RunStream(*learner, labelled_stream, 20000, /*label_audits=*/true, &id);
  EXPECT_FALSE(learner->remote_trusted());
  EXPECT_LT(learner->theta(), 0.05) << "the L-ML is worse everywhere: never offload";
  const FieldLearnerStats s = learner->stats();
  EXPECT_NEAR(s.remote_accuracy_labelled, 0.3, 0.1);
  EXPECT_NEAR(s.local_accuracy_labelled, 0.7, 0.1);
  EXPECT_GT(s.labelled, 400u);  // 2.5% of 20,000 in steady state.
  // Accuracy over the next stretch: the S-ML's 70%, not HI-at-0.3's 0.3*0.3 + 0.55.
  EXPECT_GT(RunStream(*learner, labelled_stream, 5000, true, &id), 0.67);
}

TEST(FieldLearnerTest, WithoutLabelsHighDisagreementStopsTrustInTheLml) {
  FieldLearnerOptions o = Options();
  o.max_proxy_disagreement = 0.5;
  Stream stream{.local_ok = 0.6, .remote_accuracy = 0.3};
  auto learner = FieldLearner::Create(o, 0.3);
  ASSERT_TRUE(learner.ok());
  uint64_t id = 0;
  RunStream(*learner, stream, 5000, /*label_audits=*/false, &id);
  // Offloads below 0.3: the S-ML is always wrong there, so the two disagree unless both
  // are wrong in the same way (never, here): disagreement 1 > 0.5.
  EXPECT_FALSE(learner->remote_trusted());
  EXPECT_GT(learner->stats().offload_disagreement, 0.9);
  EXPECT_DOUBLE_EQ(learner->theta(), 0.3) << "no believable evidence: θ stays calibrated";
}

TEST(FieldLearnerTest, FeedbackIsBoundedToRecentSentSamples) {
  FieldLearnerOptions o = Options();
  o.audit_rate = 0;
  auto learner = FieldLearner::Create(o, 0.5);
  ASSERT_TRUE(learner.ok());
  EXPECT_TRUE(learner->Decide(1, 0.2f).offload);
  learner->RecordSent(1, 3, 4);
  EXPECT_FALSE(learner->Decide(2, 0.9f).sent());
  EXPECT_EQ(learner->Feedback(2, 1).code(), StatusCode::kNotFound) << "accepted: never sent";
  EXPECT_EQ(learner->Feedback(1, -1).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(learner->Feedback(1, 4).ok());
  EXPECT_EQ(learner->Feedback(1, 4).code(), StatusCode::kNotFound) << "already labelled";
  EXPECT_EQ(learner->stats().labelled, 1u);
  EXPECT_TRUE(learner->Decide(3, 0.1f).offload);
  learner->RecordSent(3, 3, 4);
  for (uint64_t i = 4; i < 4 + o.label_wait; ++i) learner->Decide(i, 0.9f);
  EXPECT_EQ(learner->Feedback(3, 4).code(), StatusCode::kNotFound) << "waited too long";
  // This application labels, but too few samples yet: the L-ML is unproven and its
  // answer is not taken as the label.
  EXPECT_EQ(learner->stats().discarded, 1u);
  EXPECT_EQ(learner->stats().proxied, 0u);
  // A label may come before the L-ML's answer (the device answered the audit at once).
  EXPECT_TRUE(learner->Decide(100, 0.1f).offload);
  EXPECT_TRUE(learner->Feedback(100, 4).ok());
  EXPECT_EQ(learner->Feedback(100, 4).code(), StatusCode::kNotFound) << "already labelled";
  EXPECT_EQ(learner->stats().labelled, 1u);
  learner->RecordSent(100, 3, 4);
  // Both labels count towards whom to believe (the L-ML was right twice, the S-ML never);
  // not audited, the second is no uniform sample, so it moves no threshold yet.
  EXPECT_DOUBLE_EQ(learner->stats().remote_accuracy_labelled, 1.0);
  EXPECT_DOUBLE_EQ(learner->stats().local_accuracy_labelled, 0.0);
  EXPECT_EQ(learner->stats().discarded, 2u);
}

TEST(FieldLearnerTest, DriftForgetsTheEvidenceAtMostOncePerMemory) {
  auto learner = FieldLearner::Create(Options(), 0.3);
  ASSERT_TRUE(learner.ok());
  Stream stream;
  uint64_t id = 0;
  RunStream(*learner, stream, 10000, false, &id);
  ASSERT_GT(learner->theta(), 0.5);
  learner->OnDrift();
  EXPECT_DOUBLE_EQ(learner->theta(), 0.3) << "back to the calibration until evidence returns";
  EXPECT_EQ(learner->stats().resets, 1u);
  RunStream(*learner, stream, 100, false, &id);
  learner->OnDrift();  // Within memory_samples of the last alarm: ignored.
  EXPECT_EQ(learner->stats().resets, 1u);
  for (int i = 0; i < 3; ++i) {  // Alarms every 1,500 samples keep it from resetting.
    RunStream(*learner, stream, 1500, false, &id);
    learner->OnDrift();
  }
  EXPECT_EQ(learner->stats().resets, 1u);
  EXPECT_GT(learner->theta(), 0.5) << "relearned";
  RunStream(*learner, stream, 2000, false, &id);
  learner->OnDrift();  // After a quiet memory_samples: a new shift.
  EXPECT_EQ(learner->stats().resets, 2u);
}

TEST(FieldLearnerTest, AfterDriftSavedAuditsAreSpentInABurstWithinTheBudget) {
  auto learner = FieldLearner::Create(Options(), 0.3);
  ASSERT_TRUE(learner.ok());
  Stream stream;
  uint64_t id = 0;
  RunStream(*learner, stream, 10000, /*label_audits=*/true, &id);
  const uint64_t before = learner->stats().audits;
  learner->OnDrift();
  // Saved audits are spent at 20% instead of 2.5% until the gate opens or they run out.
  RunStream(*learner, stream, 100, true, &id);
  const uint64_t burst = learner->stats().audits - before;
  EXPECT_GE(burst, 7u);
  RunStream(*learner, stream, 10000, true, &id);
  const FieldLearnerStats s = learner->stats();
  EXPECT_LE(static_cast<double>(s.audits) / static_cast<double>(s.samples), 0.05)
      << "the budget holds over the run";
  EXPECT_GT(learner->theta(), 0.5) << "relearned from the burst and what followed";
}

TEST(FieldLearnerTest, StateSurvivesARestart) {
  auto learner = FieldLearner::Create(Options(), 0.3);
  ASSERT_TRUE(learner.ok());
  Stream stream;
  uint64_t id = 0;
  RunStream(*learner, stream, 8000, true, &id);
  const std::string saved = learner->ToJson();
  auto restored = FieldLearner::FromJson(saved, Options(), 0.3);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_DOUBLE_EQ(restored->theta(), learner->theta());
  EXPECT_NE(restored->theta(), 0.3);
  EXPECT_EQ(restored->stats().samples, learner->stats().samples);
  EXPECT_EQ(restored->stats().labelled, learner->stats().labelled);
  EXPECT_EQ(restored->ToJson(), saved);

  FieldLearnerOptions other = Options();
  other.grid = 32;
  EXPECT_EQ(FieldLearner::FromJson(saved, other, 0.3).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(FieldLearner::FromJson(saved, Options(), 0.4).status().code(),
            StatusCode::kFailedPrecondition)
      << "recalibrated since";
  EXPECT_EQ(FieldLearner::FromJson("{\"version\": 1", Options(), 0.3).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(FieldLearner::FromJson("{\"version\": 2}", Options(), 0.3).status().code(),
            StatusCode::kDataLoss);
  std::string negative = saved;
  negative.replace(negative.find("\"resolved\": ") + 12, 1, "-");
  EXPECT_EQ(FieldLearner::FromJson(negative, Options(), 0.3).status().code(),
            StatusCode::kDataLoss);
}

TEST(FieldLearnerTest, RefusesBadOptions) {
  FieldLearnerOptions o = Options();
  o.audit_rate = 0.9;
  EXPECT_EQ(FieldLearner::Create(o, 0.3).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.grid = 1;
  EXPECT_EQ(FieldLearner::Create(o, 0.3).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.score_max = o.score_min;
  EXPECT_EQ(FieldLearner::Create(o, 0.3).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldLearner::Create(Options(), 1.5).status().code(), StatusCode::kInvalidArgument);
  o = Options();
  o.label_wait = 1 << 20;
  EXPECT_EQ(FieldLearner::Create(o, 0.3).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge

namespace hiedge {
namespace {

// Adversarial streams for the regret bound: the best θ moves every `period` samples
// (the S-ML's failure point jumps between 0.2 and 0.8, and the L-ML alternates between
// reliable and failing), so no fixed θ fits for long and follow-the-leader keeps
// chasing the last phase.
struct Phase {
  double local_ok, remote_accuracy;
};

TEST(FieldLearnerTest, RegretWithinItsStatedBoundOnAdversarialStreams) {
  const std::vector<std::vector<Phase>> streams = {
      {{0.2, 1.0}, {0.8, 1.0}},                          // The failure point jumps.
      {{0.6, 1.0}, {0.6, 0.2}},                          // The L-ML fails every other phase.
      {{0.2, 0.9}, {0.8, 0.3}, {0.5, 1.0}, {0.9, 0.1}},  // Both.
  };
  constexpr int kSamples = 20000, kPeriod = 1000;
  for (size_t s = 0; s < streams.size(); ++s) {
    double mean_true_regret = 0, mean_bound = 0;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      FieldLearnerOptions o = Options();
      o.seed = seed;
      o.label_wait = 0;
      auto learner = FieldLearner::Create(o, 0.5);
      ASSERT_TRUE(learner.ok());
      std::vector<double> grid;
      for (int k = 0; k < o.grid; ++k) grid.push_back(static_cast<double>(k) / (o.grid - 1));
      grid.push_back(0.5);
      std::vector<double> fixed(grid.size(), 0.0);
      double learned = 0;
      Stream stream;
      stream.rng.seed(seed * 977);
      for (int i = 0; i < kSamples; ++i) {
        const Phase& phase = streams[s][static_cast<size_t>(i / kPeriod) % streams[s].size()];
        stream.local_ok = phase.local_ok;
        stream.remote_accuracy = phase.remote_accuracy;
        const Stream::Sample x = stream.Next();
        const auto id = static_cast<uint64_t>(i);
        const FieldDecision d = learner->Decide(id, x.score);
        if (d.sent()) {  // The application labels every sample it sends.
          ASSERT_TRUE(learner->Feedback(id, x.label).ok());
          learner->RecordSent(id, x.local, x.remote);
        }
        auto cost = [&](bool offload) {
          return offload ? o.offload_cost + (x.remote != x.label) : (x.local != x.label ? 1.0 : 0.0);
        };
        learned += cost(d.offload);
        for (size_t k = 0; k < grid.size(); ++k) fixed[k] += cost(x.score < grid[k]);
        if (i % 2500 == 2499) {  // Pathwise, on the learner's own (estimated) losses.
          const FieldLearnerRegret r = learner->regret();
          EXPECT_LE(r.learner_loss - r.best_loss, r.bound + 1e-6) << "stream " << s << " at " << i;
          EXPECT_LE(2 * r.gap, r.hedge_bound + 1e-6) << "stream " << s << " at " << i;
        }
      }
      const FieldLearnerRegret r = learner->regret();
      mean_true_regret += (learned - *std::min_element(fixed.begin(), fixed.end())) / 5;
      mean_bound += r.bound / 5;
    }
    std::printf("regret stream %zu: true %.1f, bound %.1f\n", s, mean_true_regret, mean_bound);
    // In expectation over the audits and draws the true regret is within the bound.
    EXPECT_LE(mean_true_regret, mean_bound) << "stream " << s;
    // And the bound says something: below the regret of never learning at the worst θ.
    EXPECT_LT(mean_bound, 0.5 * kSamples) << "stream " << s;
  }
}

}  // namespace
}  // namespace hiedge
