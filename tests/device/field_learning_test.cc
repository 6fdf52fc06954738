// Learning in the field through the device runtime: audits, Feedback, the learned θ.
#include <gtest/gtest.h>

#include <cmath>

#include "hiedge/decision/decision_config.h"
#include "hiedge/device/device.h"
#include "hiedge/decision/drift.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

// Answers every row with class 8 and counts the rows it was sent.
class CountingClient final : public OffloadClient {
 public:
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    rows += images.rows();
    FloatTensor logits{{images.rows(), 10},
                       std::vector<float>(static_cast<size_t>(images.rows()) * 10, 0)};
    for (int64_t r = 0; r < images.rows(); ++r) logits.data[static_cast<size_t>(r * 10 + 8)] = 5;
    return logits;
  }
  int64_t rows = 0;
};

// FakeBackend's confidence on every image: e^3 / (e^3 + 9), about 0.69. Class 2 here.
const std::vector<float> kImage = [] {
  std::vector<float> image(16, 0.0f);
  image[0] = 0.25f;
  return image;
}();
TensorView View() { return {std::span<const float>(kImage), {1, 4, 4}}; }

DeviceOptions LearningOptions(double audit_rate) {
  FieldLearnerOptions o;
  o.audit_rate = audit_rate;
  o.seed = 3;
  DeviceOptions d;
  d.policy = OffloadPolicy::MaxSoftmax(0.5);  // Accepts every sample at first.
  d.learner = FieldLearner::Create(o, 0.5).value();
  return d;
}

TEST(FieldLearningTest, AuditsAreAnsweredLocallyAtOnceAndSentForTheirLabels) {
  testing::FakeBackend local;
  CountingClient remote;
  DeviceRuntime device(&local, &remote, LearningOptions(0.2));
  int audits = 0;
  for (size_t i = 0; i < 20; ++i) {
    auto answers = device.Submit(i, View());
    ASSERT_TRUE(answers.ok());
    ASSERT_EQ(answers->size(), 1u) << "answered in the same call, audited or not";
    const SampleRecord& r = (*answers)[0].record;
    EXPECT_FALSE(r.offloaded);
    EXPECT_EQ(r.final_prediction, 2) << "an audit is answered by the S-ML";
    EXPECT_EQ(r.remote_prediction, -1);
    if (r.audit) {
      ++audits;
      EXPECT_TRUE(device.Feedback(i, 8).ok());
    } else {
      EXPECT_EQ(device.Feedback(i, 8).code(), StatusCode::kNotFound) << "accepted, not sent";
    }
  }
  EXPECT_GT(audits, 0);
  EXPECT_LT(audits, 20);
  EXPECT_EQ(remote.rows, audits) << "every audit's image went to the server";
  EXPECT_EQ(device.queued(), 0u);
  EXPECT_EQ(device.learner()->stats().audits, static_cast<uint64_t>(audits));

  DeviceRuntime plain(&local, &remote, {OffloadPolicy::MaxSoftmax(0.5)});
  EXPECT_EQ(plain.Feedback(0, 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(plain.learner(), nullptr);
}

TEST(FieldLearningTest, LabelsShowingTheSmlWrongMakeTheDeviceOffload) {
  // The S-ML says 2 at confidence 0.69, the L-ML 8, the true label is 8: accepting
  // costs an error, offloading β = 0.1. The learner raises θ above 0.69 and the device
  // starts offloading, and the L-ML's answers are then the device's.
  testing::FakeBackend local;
  CountingClient remote;
  DeviceRuntime device(&local, &remote, LearningOptions(0.2));
  int offloaded_late = 0;
  for (size_t i = 0; i < 400; ++i) {
    auto answers = device.Submit(i, View());
    ASSERT_TRUE(answers.ok());
    for (const DeviceRuntime::Answer& a : *answers) {
      if (a.record.audit) ASSERT_TRUE(device.Feedback(a.sample, 8).ok());
      if (i >= 300) {
        offloaded_late += a.record.offloaded;
        if (a.record.offloaded) EXPECT_EQ(a.record.final_prediction, 8);
      }
    }
  }
  EXPECT_GT(device.learner()->theta(), std::exp(3.0) / (std::exp(3.0) + 9));
  EXPECT_EQ(offloaded_late, 100);
  EXPECT_TRUE(device.learner()->remote_trusted());
  EXPECT_GT(device.learner()->stats().labelled, 10u);
}

// The drift detector watches the input, not the learner: when the learner raises θ
// and offloads everything on a stationary stream, the detector, which sees what the
// calibrated policy would have done, stays quiet (and the learner keeps its evidence).
TEST(FieldLearningTest, ALearnerMovingThetaIsNoDrift) {
  DecisionConfig reference;
  reference.theta = 0.5;
  reference.calibration_offload_fraction = 0.01;
  reference.offload_disagreement = 0.3;
  reference.confidence_histogram.assign(10, 0.001);
  reference.confidence_histogram[6] = 0.991;  // 0.69 falls in bin 6 of 10.
  auto detector = DriftDetector::FromConfig(reference, {1e-4});
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  testing::FakeBackend local;
  CountingClient remote;
  DeviceOptions options = LearningOptions(0.2);
  options.drift = *detector;
  DeviceRuntime device(&local, &remote, options);
  size_t offloaded = 0;
  for (size_t i = 0; i < 1000; ++i) {
    auto answers = device.Submit(i, View());
    ASSERT_TRUE(answers.ok());
    for (const DeviceRuntime::Answer& a : *answers) {
      if (a.record.audit) ASSERT_TRUE(device.Feedback(a.sample, 8).ok());
      offloaded += a.record.offloaded;
    }
  }
  EXPECT_GT(offloaded, 850u) << "after its first audits the learner offloads everything";
  EXPECT_EQ(device.drift()->alarm_count(), 0u);
  EXPECT_EQ(device.learner()->stats().resets, 0u);
}

TEST(FieldLearningTest, ProcessNumbersItsSamplesForFeedback) {
  testing::FakeBackend local;
  CountingClient remote;
  DeviceRuntime device(&local, &remote, LearningOptions(0.5));
  std::vector<size_t> audited;
  for (size_t i = 0; i < 10; ++i) {
    auto r = device.Process(View());
    ASSERT_TRUE(r.ok());
    if (r->audit) audited.push_back(i);
  }
  ASSERT_FALSE(audited.empty());
  for (size_t id : audited) EXPECT_TRUE(device.Feedback(id, 8).ok()) << id;
  EXPECT_EQ(device.queued(), 0u) << "Process sends an audit at once";
}

}  // namespace
}  // namespace hiedge
