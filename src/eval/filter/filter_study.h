// The binary-filter use case (seed 000, §4) at chosen operating points: the shipped
// filter at its default threshold (0.5), and at thresholds fitted on validation to a
// false-positive rate, such as the seed's weak filter (3,521 of 9,000 negatives
// offloaded, 88 of 1,000 positives missed, 50-60% of full offload's cost saved).
// `hiedge filter` runs it; scripts/seeds.sh puts the weak row beside the seed's.
#pragma once

#include <string>
#include <vector>

#include "eval/core/eval.h"
#include "eval/core/table.h"
#include "hiedge/decision/binary_filter.h"

namespace hiedge {

struct FilterStudyOptions {
  // Validation false-positive rates to fit a threshold to; the seed's weak filter
  // offloaded 3,521 of its 9,000 negatives.
  std::vector<double> false_positive_rates = {3521.0 / 9000.0};
  std::vector<double> betas;  // Offload cost per sample of interest; empty = 0, 0.05, .., 1.
};

struct FilterOperatingPoint {
  std::string name;        // "default" or "validation FP rate 39.1%".
  double threshold = 0.5;  // Offload iff P(positive) >= threshold.
  double validation_false_positive_rate = 0;
  std::vector<BinaryFilterResult> by_beta;  // On test, one per β (counts are β-free).

  const BinaryFilterResult& counts() const { return by_beta.front(); }
  double offloads_saved() const;  // Against full offload, on test.
  double min_cost_reduction() const;
  double max_cost_reduction() const;
};

struct FilterStudy {
  std::string filter;  // The filter's model name.
  std::vector<int> positive_classes;
  std::vector<FilterOperatingPoint> points;

  Table Rows() const;  // One row per operating point, as every rendering shows it.
  std::string ToTable() const { return Rows().ToText(); }
  std::string ToJson() const;
  std::string ToCsv() const { return Rows().ToCsv(); }
  std::string ToMarkdown() const;
};

// The operating points of `options` on `validation` (fitting) and `test` (reporting).
// InvalidArgument for an empty split, a rate outside [0, 1] or a β outside [0, 1].
Result<FilterStudy> RunFilterStudy(const std::string& filter_name,
                                   const std::vector<int>& positive_classes,
                                   const std::vector<FilterSample>& validation,
                                   const std::vector<FilterSample>& test,
                                   const FilterStudyOptions& options);

// One sample per image: the filter's P(positive) from its two logits, whether the image
// is of interest, and whether the L-ML classifies it right.
Result<std::vector<FilterSample>> FilterSamples(const Predictions& filter,
                                                const Predictions& remote, const Dataset& data,
                                                const std::vector<int>& positive_classes);

}  // namespace hiedge
