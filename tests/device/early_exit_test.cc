// Early-exit inference on the shipped S-ML through the XNNPACK engine: samples sure at
// the exit leave the batch and later stages never run for them, counted stage by stage
// by a backend that records every call.
#include "hiedge/device/early_exit.h"

#include <gtest/gtest.h>

#include <map>

#include "hiedge/data/data.h"
#include "hiedge/decision/decision.h"
#include "hiedge/device/device.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

// Forwards to a real backend and counts the rows each stage and exit head ran on.
class CountingBackend final : public InferenceBackend {
 public:
  explicit CountingBackend(std::unique_ptr<InferenceBackend> inner) : inner_(std::move(inner)) {}
  const ModelInfo& info() const override { return inner_->info(); }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    for (int s = 0; s < info().num_stages; ++s) stage_rows[s] += input.rows();
    return inner_->Infer(input);
  }
  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    return inner_->InferAllExits(input);
  }
  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    for (int s = first; s < last; ++s) stage_rows[s] += input.rows();
    return inner_->RunStages(input, first, last);
  }
  Result<FloatTensor> RunExit(const FloatTensor& stage_output, int exit) override {
    exit_rows[exit] += stage_output.rows();
    return inner_->RunExit(stage_output, exit);
  }
  std::map<int, int64_t> stage_rows, exit_rows;

 private:
  std::unique_ptr<InferenceBackend> inner_;
};

class EarlyExitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = LoadModel(kModels + "/sml.json", {"xnnpack", 1});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::make_unique<CountingBackend>(std::move(*model));
    ASSERT_EQ(model_->info().early_exit_after_stage, std::vector<int>{0});
    auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
    ASSERT_TRUE(test.ok());
    const Dataset head = Head(*test, 64);
    images_ = {{64, 1, 28, 28}, head.images};
    auto all = model_->InferAllExits(images_);
    ASSERT_TRUE(all.ok());
    exit_logits_ = (*all)[0];
    final_logits_ = (*all)[1];
    model_->stage_rows.clear();
  }
  float ExitConfidence(int64_t row) const {
    const auto p = Softmax(exit_logits_.row(row), static_cast<size_t>(exit_logits_.row_size()));
    return FindArgMax(p.data(), p.size()).value;
  }
  std::unique_ptr<CountingBackend> model_;
  FloatTensor images_, exit_logits_, final_logits_;
};

void ExpectRowNear(const float* a, const float* b, int64_t n, const std::string& what) {
  for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << what << " logit " << i;
}

TEST_F(EarlyExitTest, SureSamplesLeaveTheBatchAndLaterStagesNeverRunForThem) {
  const double threshold = 0.9;
  auto run = RunWithEarlyExits(*model_, images_, std::vector<double>{threshold});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  int64_t exited = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool sure = ExitConfidence(i) >= threshold;
    EXPECT_EQ(run->exit_of[static_cast<size_t>(i)], sure ? 0 : -1) << i;
    ExpectRowNear(run->logits.row(i), sure ? exit_logits_.row(i) : final_logits_.row(i), 10,
                  "sample " + std::to_string(i));
    exited += sure ? 1 : 0;
  }
  ASSERT_GT(exited, 0);
  ASSERT_LT(exited, 64);
  // Stage 0 ran on all 64, the exit head on all 64, stages 1 and 2 on the rest only.
  EXPECT_EQ(model_->stage_rows[0], 64);
  EXPECT_EQ(model_->exit_rows[0], 64);
  EXPECT_EQ(model_->stage_rows[1], 64 - exited);
  EXPECT_EQ(model_->stage_rows[2], 64 - exited);
  EXPECT_EQ(run->rows_per_stage, (std::vector<int64_t>{64, 64 - exited, 64 - exited}));
}

TEST_F(EarlyExitTest, AllExitOrNoneExitOrDisabled) {
  auto all = RunWithEarlyExits(*model_, images_, std::vector<double>{0.0});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(model_->stage_rows[1], 0) << "nothing runs past the exit";
  EXPECT_EQ(all->exit_of, std::vector<int>(64, 0));
  model_->stage_rows.clear();
  auto disabled = RunWithEarlyExits(*model_, images_, std::vector<double>{1.5});
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(model_->exit_rows[0], 64) << "from the first run only: a disabled head never runs";
  EXPECT_EQ(model_->stage_rows[0], 64);
  EXPECT_EQ(model_->stage_rows[2], 64);
  EXPECT_EQ(disabled->exit_of, std::vector<int>(64, -1));
  for (int64_t i = 0; i < 64; ++i)
    ExpectRowNear(disabled->logits.row(i), final_logits_.row(i), 10, "");
}

// Exits decide through OffloadPolicy: any confidence module, not only max softmax.
TEST_F(EarlyExitTest, AnyConfidenceModuleDecidesAtTheExits) {
  auto margin = MakeConfidenceModule("margin");
  ASSERT_TRUE(margin.ok());
  const OffloadPolicy policy(std::shared_ptr<const ConfidenceModule>(std::move(*margin)), 1.0, 0.5);
  auto run = RunWithEarlyExits(*model_, images_, std::vector<OffloadPolicy>{policy});
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  int64_t exited = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool sure = !policy
                           .Decide(std::span<const float>(
                               exit_logits_.row(i), static_cast<size_t>(exit_logits_.row_size())))
                           .offload;
    EXPECT_EQ(run->exit_of[static_cast<size_t>(i)], sure ? 0 : -1) << i;
    exited += sure ? 1 : 0;
  }
  ASSERT_GT(exited, 0);
  ASSERT_LT(exited, 64);
  EXPECT_EQ(model_->stage_rows[1], 64 - exited);
  // A θ above the module's score range disables the exit, as a threshold > 1 does.
  model_->exit_rows.clear();
  auto disabled = RunWithEarlyExits(*model_, images_,
                                    std::vector<OffloadPolicy>{policy.WithTheta(2.0)});
  ASSERT_TRUE(disabled.ok());
  EXPECT_EQ(disabled->exit_of, std::vector<int>(64, -1));
  EXPECT_EQ(model_->exit_rows.count(0) ? model_->exit_rows[0] : 0, 0);
}

TEST_F(EarlyExitTest, WrongThresholdCountIsRefused) {
  EXPECT_EQ(RunWithEarlyExits(*model_, images_, std::vector<double>{}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunWithEarlyExits(*model_, images_, std::vector<double>{0.5, 0.5}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->RunExit(images_, 1).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EarlyExitTest, DeviceAnswersAtTheExitAndNeverOffloadsThoseSamples) {
  DeviceOptions options;
  options.policy = OffloadPolicy::MaxSoftmax(kAlwaysOffload);  // The rest: all offloaded.
  options.exit_thresholds = {0.9};
  DeviceRuntime device(model_.get(), nullptr, options);
  for (int64_t i = 0; i < 16; ++i) {
    auto r = device.Process({std::span<const float>(images_.row(i), 784), {1, 28, 28}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const bool sure = ExitConfidence(i) >= 0.9;
    EXPECT_EQ(r->exit, sure ? 0 : -1) << i;
    EXPECT_EQ(r->offloaded, !sure) << i;
    EXPECT_EQ(r->fallback, !sure) << i;  // No server: the unsure fall back.
  }
}

}  // namespace
}  // namespace hiedge
