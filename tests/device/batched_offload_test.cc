// Batched offload: unsure samples share one request, bounded by a sample count and a
// delay; tested on an injected clock, without sleeps.
#include <gtest/gtest.h>

#include <map>

#include "eval/core/eval.h"
#include "hiedge/data/data.h"
#include "testing/fake_backend.h"

namespace hiedge {
namespace {

// Answers each row with the class given by its first pixel + 1 (mod 10), advancing the
// shared clock by `rtt_us`; records the batch sizes it saw.
class EchoClient final : public OffloadClient {
 public:
  explicit EchoClient(int64_t* clock) : clock_(clock) {}
  Result<FloatTensor> Infer(const FloatTensor& images, std::chrono::microseconds) override {
    batches.push_back(images.rows());
    *clock_ += rtt_us;
    if (!fail_with.ok()) return fail_with;
    FloatTensor logits{{images.rows(), 10},
                       std::vector<float>(static_cast<size_t>(images.rows()) * 10, 0)};
    for (int64_t r = 0; r < images.rows(); ++r) {
      const int c = (testing::FakeBackend::ClassOf(images.row(r)[0]) + 1) % 10;
      logits.data[static_cast<size_t>(r * 10 + c)] = 5;
    }
    return logits;
  }
  std::vector<int64_t> batches;
  int64_t rtt_us = 300;
  Status fail_with;

 private:
  int64_t* clock_;
};

std::vector<float> Image(float first_pixel) {
  std::vector<float> image(16, 0.0f);
  image[0] = first_pixel;
  return image;
}

// A fake-model image [1, 4, 4] as the device takes it.
TensorView View(const std::vector<float>& image) {
  return {std::span<const float>(image), {1, 4, 4}};
}

class BatchedOffloadTest : public ::testing::Test {
 protected:
  // theta between the fake's two confidence levels: logit 3 stays local, logit 0.5
  // (an "unsure" local model) is offloaded.
  DeviceRuntime Make(testing::FakeBackend* local, size_t batch, int64_t delay_us) {
    DeviceOptions o;
    o.policy = OffloadPolicy::MaxSoftmax(0.5);
    o.offload_deadline = std::chrono::milliseconds(50);
    o.offload_batch = batch;
    o.offload_batch_delay = std::chrono::microseconds(delay_us);
    return DeviceRuntime(local, &remote_, o, [this] { return now_; });
  }
  std::vector<DeviceRuntime::Answer> Submit(DeviceRuntime& d, size_t id, float pixel) {
    auto r = d.Submit(id, View(Image(pixel)));
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<DeviceRuntime::Answer>{};
  }

  int64_t now_ = 0;
  EchoClient remote_{&now_};
  testing::FakeBackend unsure_{"unsure", 0.5f};
  testing::FakeBackend sure_{"sure", 3.0f};
};

TEST_F(BatchedOffloadTest, UnsureSamplesWaitForAFullBatch) {
  DeviceRuntime d = Make(&unsure_, 4, 1000000);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(Submit(d, i, 0.1f * i).empty());
  EXPECT_EQ(d.queued(), 3u);
  auto answers = Submit(d, 3, 0.35f);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(remote_.batches, (std::vector<int64_t>{4}));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(answers[i].sample, i);
    EXPECT_TRUE(answers[i].record.offloaded);
    EXPECT_FALSE(answers[i].record.fallback);
    EXPECT_EQ(answers[i].record.final_prediction, (answers[i].record.local_prediction + 1) % 10);
  }
  EXPECT_EQ(d.queued(), 0u);
}

TEST_F(BatchedOffloadTest, TheOldestSampleWaitsAtMostTheDelay) {
  DeviceRuntime d = Make(&unsure_, 8, 2000);
  EXPECT_TRUE(Submit(d, 0, 0.2f).empty());
  now_ += 1000;
  EXPECT_TRUE(Submit(d, 1, 0.3f).empty());
  now_ += 999;
  EXPECT_TRUE(d.Poll().empty());
  now_ += 1;
  auto answers = d.Poll();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(remote_.batches, (std::vector<int64_t>{2}));
  // Sample 0 waited 2 ms, sample 1 waited 1 ms, plus the 0.3 ms round trip.
  EXPECT_DOUBLE_EQ(answers[0].record.offload_ms, 2.3);
  EXPECT_DOUBLE_EQ(answers[1].record.offload_ms, 1.3);
  // Submit checks the delay too.
  EXPECT_TRUE(Submit(d, 2, 0.2f).empty());
  now_ += 5000;
  EXPECT_EQ(Submit(d, 3, 0.4f).size(), 2u);
}

TEST_F(BatchedOffloadTest, ConfidentSamplesAreAnsweredAtOnce) {
  DeviceRuntime sure = Make(&sure_, 3, 1000000);
  auto a = Submit(sure, 7, 0.5f);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].record.offloaded);
  EXPECT_TRUE(remote_.batches.empty());
}

TEST_F(BatchedOffloadTest, AFailedBatchFallsBackForEverySampleExactlyOnce) {
  remote_.fail_with = Status::Unavailable("server down");
  DeviceRuntime d = Make(&unsure_, 3, 1000000);
  Submit(d, 0, 0.1f);
  Submit(d, 1, 0.2f);
  auto answers = d.Flush();
  ASSERT_EQ(answers.size(), 2u);
  for (const auto& a : answers) {
    EXPECT_TRUE(a.record.fallback);
    EXPECT_EQ(a.record.final_prediction, a.record.local_prediction);
    EXPECT_NE(a.record.offload_error.find("server down"), std::string::npos);
  }
  EXPECT_TRUE(d.Flush().empty());
  remote_.fail_with = Status::Ok();
  remote_.rtt_us = 60000;  // Answers after the 50 ms deadline: fallback too.
  Submit(d, 2, 0.1f);
  answers = d.Flush();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_TRUE(answers[0].record.fallback);
}

TEST_F(BatchedOffloadTest, ProcessRefusesWhileSamplesAreQueued) {
  DeviceRuntime d = Make(&unsure_, 4, 1000000);
  Submit(d, 0, 0.1f);
  EXPECT_EQ(d.Process(View(Image(0.2f))).status().code(), StatusCode::kFailedPrecondition);
  d.Flush();
  auto r = d.Process(View(Image(0.2f)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->final_prediction, 3);
}

TEST_F(BatchedOffloadTest, RunDeviceAnswersEverySampleInOrder) {
  Dataset data;
  data.channels = 1;
  data.height = data.width = 4;
  data.num_classes = 10;
  for (int i = 0; i < 103; ++i) {
    std::vector<float> image = Image((i % 10) / 10.0f + 0.05f);
    data.images.insert(data.images.end(), image.begin(), image.end());
    data.labels.push_back(i % 10);
  }
  DeviceRuntime d = Make(&unsure_, 8, 1000000);
  double wall = 0;
  auto records = RunDevice(d, data, "batched", &wall, false);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 103u);
  for (int i = 0; i < 103; ++i) {
    EXPECT_EQ((*records)[i].local_prediction, i % 10);
    EXPECT_EQ((*records)[i].final_prediction, (i % 10 + 1) % 10);
  }
  EXPECT_EQ(remote_.batches.size(), 13u);  // 12 full batches of 8 and the final 7.
  EXPECT_EQ(remote_.batches.back(), 7);
}

}  // namespace
}  // namespace hiedge
