// Seed 004 over the network: the shipped first-level model on the device, the shipped
// experts on two loopback REST servers placed like Alg. 1 would, answers checked
// against the offline study sample by sample; then a server dies.
#include <gtest/gtest.h>

#include <algorithm>

#include "eval/two_level/two_level_eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/device/two_level_device.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

TEST(TwoLevelLoopbackTest, DeviceRoutesFeaturesToExpertsOnTwoServers) {
  auto models = LoadTwoLevelModels(kModels + "/two_level.json");
  ASSERT_TRUE(models.ok()) << models.status().ToString();
  TwoLevelConfig* config = &models->config;
  const int superclasses = config->superclasses.count();
  ASSERT_GE(superclasses, 3);
  // Cluster 0 (local) holds experts {0, 1}; cluster 1 holds {1, 2, ..}: expert 1 is
  // replicated, the rest are only reachable by forwarding to cluster 1.
  std::vector<std::vector<int>> placement{{0, 1}, {}};
  for (int s = 1; s < superclasses; ++s) placement[1].push_back(s);
  auto servers = LoopbackExpertServers::Start(*models, placement);
  ASSERT_TRUE(servers.ok()) << servers.status().ToString();
  const auto& clients = (*servers)->clients();
  // Route to several experts now and then, so parallel asks and recall are exercised.
  config->thresholds = {0.9, 0.001, 0.95, 3};
  TwoLevelDevice device(models->first_level.get(), *config, clients, /*local_cluster=*/0,
                        std::chrono::seconds(5));

  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  const Dataset subset = Head(*test, 300);
  auto offline = ScoreTwoLevel(*models, subset);
  ASSERT_TRUE(offline.ok()) << offline.status().ToString();

  const std::vector<float> cifar_sized(3 * 32 * 32, 0.5f);
  EXPECT_EQ(
      device.Process(TensorView{std::span<const float>(cifar_sized), {3, 32, 32}}).status().code(),
      StatusCode::kInvalidArgument);
  size_t mismatches = 0, forwarded = 0, multi = 0, recalled = 0;
  for (size_t i = 0; i < subset.size(); ++i) {
    auto r = device.Process(subset.sample(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const RoutedSample expected =
        RouteTwoLevel((*offline)[i], config->superclasses, config->thresholds);
    EXPECT_FALSE(r->fallback) << i << ": " << r->error;
    EXPECT_EQ(r->first_level_class, (*offline)[i].first_level_class) << i;
    EXPECT_EQ(r->answered, expected.queries) << i;
    EXPECT_EQ(r->recalled, expected.recalled) << i;
    EXPECT_EQ(r->local, expected.local) << i;
    mismatches += r->final_class != expected.final_class;  // Batch-size numerics only.
    for (size_t k = 0; k < r->asked.size(); ++k) {
      // Local first: experts 0 and 1 from cluster 0, the others from cluster 1.
      EXPECT_EQ(r->servers[k], r->asked[k] <= 1 ? 0 : 1) << i;
    }
    forwarded += static_cast<size_t>(r->forwarded);
    multi += r->asked.size() > 1;
    recalled += r->recalled;
  }
  EXPECT_LE(mismatches, 1u);
  EXPECT_GT(forwarded, 50u);
  EXPECT_GT(multi, 0u);
  EXPECT_GT(recalled, 0u);
  EXPECT_GT(device.estimated_wait_us()[1], 0.0);

  // Features sent as FP16: half the bytes, and the answers of the offline study run on
  // FP16-rounded features.
  {
    auto fp16_servers = LoopbackExpertServers::Start(*models, placement, Payload::kFp16);
    ASSERT_TRUE(fp16_servers.ok()) << fp16_servers.status().ToString();
    auto offline_fp16 = ScoreTwoLevel(*models, subset, FeatureCoding::kFp16);
    ASSERT_TRUE(offline_fp16.ok());
    TwoLevelDevice fp16_device(models->first_level.get(), *config, (*fp16_servers)->clients(), 0,
                               std::chrono::seconds(5));
    size_t fp16_mismatches = 0;
    for (size_t i = 0; i < 150; ++i) {
      auto r = fp16_device.Process(subset.sample(i));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_FALSE(r->fallback) << i << ": " << r->error;
      const RoutedSample expected =
          RouteTwoLevel((*offline_fp16)[i], config->superclasses, config->thresholds);
      EXPECT_EQ(r->answered, expected.queries) << i;
      fp16_mismatches += r->final_class != expected.final_class;
    }
    EXPECT_LE(fp16_mismatches, 1u);
  }

  // HI in front: confident samples never leave the device.
  TwoLevelConfig hi = *config;
  hi.thresholds.accept_locally = 0.9;
  TwoLevelDevice hi_device(models->first_level.get(), hi, clients, 0, std::chrono::seconds(5));
  size_t local = 0;
  for (size_t i = 0; i < 100; ++i) {
    auto r = hi_device.Process(subset.sample(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const RoutedSample expected = RouteTwoLevel((*offline)[i], hi.superclasses, hi.thresholds);
    EXPECT_EQ(r->local, expected.local) << i;
    EXPECT_EQ(r->answered, expected.queries) << i;
    if (r->local) EXPECT_TRUE(r->asked.empty()) << i;
    local += r->local;
  }
  EXPECT_GT(local, 30u);
  EXPECT_LT(local, 100u);

  // Budgets: the running expert calls per image never exceed the budget; samples that
  // wanted more are flagged and answered with the best the device had.
  for (double budget : {1.0, 0.3}) {
    SCOPED_TRACE(budget);
    TwoLevelDevice budgeted(models->first_level.get(), *config, clients, 0, std::chrono::seconds(5),
                            nullptr, budget);
    size_t limited = 0, calls = 0;
    for (size_t i = 0; i < 200; ++i) {
      auto r = budgeted.Process(subset.sample(i));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const RoutedSample expected =
          RouteTwoLevel((*offline)[i], config->superclasses, config->thresholds);
      calls += r->asked.size();
      EXPECT_LE(static_cast<double>(calls), budget * static_cast<double>(i + 1) + 1e-9) << i;
      EXPECT_LE(static_cast<int>(r->asked.size()), expected.queries) << i;
      if (r->budget_limited) {
        ++limited;
        EXPECT_LT(static_cast<int>(r->asked.size()), expected.queries) << i;
        EXPECT_FALSE(r->fallback) << "a budget stop is no failure";
      } else {
        EXPECT_EQ(r->answered, expected.queries) << i;
      }
      if (r->asked.empty() && !r->local) EXPECT_EQ(r->final_class, r->first_level_class);
    }
    EXPECT_GT(limited, 0u);
    EXPECT_EQ(budgeted.budget().limited_images(), limited);
    EXPECT_EQ(budgeted.budget().calls(), calls);
  }

  // Cluster 1 dies: its experts' samples fall back to the first level, flagged; the
  // rest are still answered by cluster 0.
  (*servers)->Stop(1);
  size_t fallbacks = 0, answered = 0;
  for (size_t i = 0; i < 100; ++i) {
    auto r = device.Process(subset.sample(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const bool only_remote =
        std::all_of(r->asked.begin(), r->asked.end(), [](int s) { return s >= 2; });
    EXPECT_EQ(r->fallback, only_remote) << i << ": " << r->error;
    if (r->fallback) {
      ++fallbacks;
      EXPECT_EQ(r->final_class, r->first_level_class);
      EXPECT_FALSE(r->error.empty());
    } else {
      ++answered;
    }
  }
  EXPECT_GT(fallbacks, 0u);
  EXPECT_GT(answered, 0u);
}

TEST(TwoLevelLoopbackTest, AlgorithmOnePlacementServesEverySuperclass) {
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  TwoLevelLoopbackOptions options;
  options.config_path = kModels + "/two_level.json";
  options.clusters = 3;
  options.experts_per_server = 2;
  options.progress = false;
  std::vector<std::vector<int>> placement;
  auto summary = RunTwoLevelOnLoopback(options, Head(*test, 200), &placement);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(placement.size(), 3u);
  std::vector<int> held;
  for (const auto& models : placement) held.insert(held.end(), models.begin(), models.end());
  for (int s = 0; s < 4; ++s) {
    EXPECT_NE(std::find(held.begin(), held.end(), s), held.end()) << "superclass " << s;
  }
  EXPECT_EQ(summary->samples, 200u);
  EXPECT_EQ(summary->fallbacks, 0u);
  EXPECT_GT(summary->accuracy, 0.85);
  EXPECT_GE(summary->mean_experts_asked, 1.0);
  options.config_path = kModels + "/missing.json";
  EXPECT_EQ(RunTwoLevelOnLoopback(options, Head(*test, 10), &placement).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge
