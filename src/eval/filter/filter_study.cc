#include "eval/filter/filter_study.h"

#include <fmt/printf.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "hiedge/decision/decision.h"

namespace hiedge {
namespace {

std::vector<double> DefaultBetas() {
  std::vector<double> betas;
  for (int k = 0; k <= 20; ++k) betas.push_back(k / 20.0);
  return betas;
}

double FalsePositiveRate(const BinaryFilterResult& r) {
  const size_t negatives = r.samples - r.positives;
  return negatives ? static_cast<double>(r.false_positives) / static_cast<double>(negatives) : 0;
}

FilterOperatingPoint Evaluate(std::string name, double threshold,
                              const std::vector<FilterSample>& validation,
                              const std::vector<FilterSample>& test,
                              const std::vector<double>& betas) {
  FilterOperatingPoint point{std::move(name), threshold};
  point.validation_false_positive_rate =
      FalsePositiveRate(EvaluateBinaryFilter(validation, threshold, 0));
  for (double beta : betas) point.by_beta.push_back(EvaluateBinaryFilter(test, threshold, beta));
  return point;
}

}  // namespace

double FilterOperatingPoint::offloads_saved() const {
  const BinaryFilterResult& r = counts();
  return r.samples ? 1 - static_cast<double>(r.offloaded) / static_cast<double>(r.samples) : 0;
}

double FilterOperatingPoint::min_cost_reduction() const {
  double low = 1;
  for (const BinaryFilterResult& r : by_beta) low = std::min(low, r.cost_reduction());
  return low;
}

double FilterOperatingPoint::max_cost_reduction() const {
  double high = 0;
  for (const BinaryFilterResult& r : by_beta) high = std::max(high, r.cost_reduction());
  return high;
}

Result<std::vector<FilterSample>> FilterSamples(const Predictions& filter,
                                                const Predictions& remote, const Dataset& data,
                                                const std::vector<int>& positive_classes) {
  if (filter.classes != 2) {
    return Status::InvalidArgument(
        fmt::sprintf("a binary filter gives 2 logits per image, this one %d", filter.classes));
  }
  if (positive_classes.empty()) {
    return Status::InvalidArgument("the filter's card names no positive_classes");
  }
  if (filter.labels.size() != data.size() || remote.labels.size() != data.size()) {
    return Status::InvalidArgument("filter, L-ML and labels cover different numbers of images");
  }
  std::vector<FilterSample> samples;
  samples.reserve(data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    const std::vector<float> p = Softmax(filter.logits.data() + 2 * i, 2);
    const int label = data.labels[i];
    const bool positive = std::find(positive_classes.begin(), positive_classes.end(), label) !=
                          positive_classes.end();
    samples.push_back({p[1], positive, remote.labels[i] == label});
  }
  return samples;
}

Result<FilterStudy> RunFilterStudy(const std::string& filter_name,
                                   const std::vector<int>& positive_classes,
                                   const std::vector<FilterSample>& validation,
                                   const std::vector<FilterSample>& test,
                                   const FilterStudyOptions& options) {
  if (validation.empty() || test.empty()) {
    return Status::InvalidArgument("the filter study needs validation and test samples");
  }
  const std::vector<double> betas = options.betas.empty() ? DefaultBetas() : options.betas;
  for (double beta : betas) {
    if (!(beta >= 0 && beta <= 1)) {
      return Status::InvalidArgument(fmt::sprintf("beta %g is outside [0, 1]", beta));
    }
  }
  FilterStudy study{filter_name, positive_classes, {}};
  study.points.push_back(Evaluate("default", 0.5, validation, test, betas));
  for (double rate : options.false_positive_rates) {
    if (!(rate >= 0 && rate <= 1)) {
      return Status::InvalidArgument(
          fmt::sprintf("false-positive rate %g is outside [0, 1]", rate));
    }
    study.points.push_back(Evaluate(fmt::sprintf("validation FP rate %.1f%%", 100 * rate),
                                    ThresholdForFalsePositiveRate(validation, rate), validation,
                                    test, betas));
  }
  return study;
}

Table FilterStudy::Rows() const {
  Table table({"operating point", "threshold", "offloaded", "false positives", "false negatives",
               "accuracy on the samples of interest", "offloads saved", "cost saved over β"});
  for (const FilterOperatingPoint& p : points) {
    const BinaryFilterResult& r = p.counts();
    table.AddRow({p.name, fmt::sprintf("%.4g", p.threshold), std::to_string(r.offloaded),
                  std::to_string(r.false_positives), std::to_string(r.false_negatives),
                  fmt::sprintf("%.2f%%", 100 * r.accuracy()),
                  fmt::sprintf("%.2f%%", 100 * p.offloads_saved()),
                  fmt::sprintf("%.2f%%-%.2f%%", 100 * p.min_cost_reduction(),
                               100 * p.max_cost_reduction())});
  }
  return table;
}

std::string FilterStudy::ToJson() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const FilterOperatingPoint& p : points) {
    const BinaryFilterResult& r = p.counts();
    nlohmann::json by_beta = nlohmann::json::array();
    for (const BinaryFilterResult& b : p.by_beta) {
      by_beta.push_back({{"beta", b.offload_cost},
                         {"cost", b.cost},
                         {"full_offload_cost", b.full_offload_cost},
                         {"cost_reduction", b.cost_reduction()}});
    }
    rows.push_back({{"name", p.name},
                    {"threshold", p.threshold},
                    {"validation_false_positive_rate", p.validation_false_positive_rate},
                    {"samples", r.samples},
                    {"positives", r.positives},
                    {"offloaded", r.offloaded},
                    {"false_positives", r.false_positives},
                    {"false_negatives", r.false_negatives},
                    {"accuracy", r.accuracy()},
                    {"full_offload_accuracy", r.full_offload_accuracy()},
                    {"offloads_saved", p.offloads_saved()},
                    {"min_cost_reduction", p.min_cost_reduction()},
                    {"max_cost_reduction", p.max_cost_reduction()},
                    {"by_beta", std::move(by_beta)}});
  }
  return nlohmann::json{
             {"filter", filter}, {"positive_classes", positive_classes}, {"points", rows}}
             .dump(2) +
         "\n";
}

std::string FilterStudy::ToMarkdown() const {
  std::string md = fmt::sprintf(
      "## Binary filter at chosen operating points (seed 000, §4)\n\n"
      "Command: `hiedge filter`. The filter `%s` keeps the samples of interest and offloads "
      "them to the L-ML for the fine class; thresholds other than the default are fitted on "
      "the validation split to a false-positive rate (the seed's weak filter offloaded 3,521 "
      "of 9,000 negatives); every count is on the test split. Cost at β: β per offloaded "
      "sample of interest, 1 per offloaded other; saved against full offload, over β in "
      "[0, 1].\n\n",
      filter);
  return md + Rows().ToMarkdown() + "\n";
}

}  // namespace hiedge
