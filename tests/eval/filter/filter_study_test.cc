// The binary-filter study: operating points fitted on validation, reported on test.
#include "eval/filter/filter_study.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace hiedge {
namespace {

// A filter whose positives score high and negatives spread over [0, 0.8].
std::vector<FilterSample> Samples(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> negative(0.0f, 0.8f), positive(0.4f, 1.0f);
  std::vector<FilterSample> out;
  for (int i = 0; i < n; ++i) {
    const bool is_positive = i % 10 == 0;
    out.push_back({is_positive ? positive(rng) : negative(rng), is_positive, i % 3 != 0});
  }
  return out;
}

TEST(FilterStudyTest, TheWeakPointHoldsItsFalsePositiveRateOnValidationAndCostsMoreOffloads) {
  const std::vector<FilterSample> validation = Samples(2000, 1), test = Samples(2000, 2);
  auto study = RunFilterStudy("toy", {5}, validation, test, {.false_positive_rates = {0.391}});
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  ASSERT_EQ(study->points.size(), 2u);
  const FilterOperatingPoint& standard = study->points[0];
  const FilterOperatingPoint& weak = study->points[1];
  EXPECT_EQ(standard.threshold, 0.5);
  EXPECT_LE(weak.validation_false_positive_rate, 0.391);
  EXPECT_GT(weak.validation_false_positive_rate, 0.38) << "the lowest such threshold";
  EXPECT_LT(weak.threshold, standard.threshold);
  EXPECT_GT(weak.counts().false_positives, standard.counts().false_positives);
  EXPECT_LE(weak.counts().false_negatives, standard.counts().false_negatives);
  EXPECT_LT(weak.offloads_saved(), standard.offloads_saved());
  ASSERT_EQ(weak.by_beta.size(), 21u) << "beta 0, 0.05, .., 1";
  EXPECT_LE(weak.min_cost_reduction(), weak.max_cost_reduction());
  // At beta = 1 every offload costs 1: the cost saved is the offloads saved.
  EXPECT_DOUBLE_EQ(weak.by_beta.back().cost_reduction(), weak.offloads_saved());

  const nlohmann::json json = nlohmann::json::parse(study->ToJson());
  EXPECT_EQ(json["filter"], "toy");
  EXPECT_EQ(json["points"][1]["false_positives"], weak.counts().false_positives);
  EXPECT_EQ(json["points"][1]["by_beta"].size(), 21u);
  EXPECT_NE(study->ToMarkdown().find("validation FP rate 39.1%"), std::string::npos);
  EXPECT_NE(study->ToTable().find("default"), std::string::npos);
}

TEST(FilterStudyTest, BadInputIsRefused) {
  const std::vector<FilterSample> s = Samples(100, 3);
  EXPECT_EQ(RunFilterStudy("toy", {5}, {}, s, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(RunFilterStudy("toy", {5}, s, s, {.false_positive_rates = {1.5}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(RunFilterStudy("toy", {5}, s, s, {.betas = {-0.1}}).status().code(),
            StatusCode::kInvalidArgument);
  Predictions three;
  three.classes = 3;
  EXPECT_EQ(FilterSamples(three, three, Dataset{}, {1}).status().code(),
            StatusCode::kInvalidArgument);
  Predictions two;
  two.classes = 2;
  EXPECT_EQ(FilterSamples(two, two, Dataset{}, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
