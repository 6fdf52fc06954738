#include "hiedge/decision/statistical_rule.h"

#include <algorithm>
#include <cmath>

#include "common/bounded_json.h"
#include "hiedge/data/vibration.h"

namespace hiedge {
namespace {

std::array<double, kRuleStatistics> StatisticsOf(std::span<const float> window) {
  const VibrationStatistics s = ComputeVibrationStatistics(window);
  return {s.rms, s.kurtosis, s.crest_factor};
}

double Quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(at));
  const size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (at - static_cast<double>(below)) * (values[above] - values[below]);
}

}  // namespace

const std::array<const char*, kRuleStatistics>& RuleStatisticNames() {
  static const std::array<const char*, kRuleStatistics> kNames = {"rms", "kurtosis",
                                                                  "crest_factor"};
  return kNames;
}

Result<StatisticalRule> FitStatisticalRule(const Dataset& windows, double coverage) {
  if (!(coverage > 0 && coverage < 1)) {
    return Status::InvalidArgument("rule coverage must be in (0, 1)");
  }
  if (windows.num_classes < 2) return Status::InvalidArgument("a rule needs two classes or more");
  std::vector<std::array<std::vector<double>, kRuleStatistics>> per_class(
      static_cast<size_t>(windows.num_classes));
  for (size_t i = 0; i < windows.size(); ++i) {
    const std::array<double, kRuleStatistics> stats = StatisticsOf(windows.sample(i).data);
    for (int s = 0; s < kRuleStatistics; ++s) per_class[windows.labels[i]][s].push_back(stats[s]);
  }
  StatisticalRule rule;
  rule.num_classes = windows.num_classes;
  for (int k = 0; k < windows.num_classes; ++k) {
    if (per_class[k][0].empty()) {
      return Status::InvalidArgument("class " + std::to_string(k) + " has no training windows");
    }
    std::array<StatisticBand, kRuleStatistics> bands;
    for (int s = 0; s < kRuleStatistics; ++s) {
      bands[s] = {Quantile(per_class[k][s], (1 - coverage) / 2),
                  Quantile(per_class[k][s], (1 + coverage) / 2), Quantile(per_class[k][s], 0.5)};
    }
    rule.bands.push_back(bands);
  }
  return rule;
}

std::vector<float> ScoreWindow(const StatisticalRule& rule, std::span<const float> window) {
  const std::array<double, kRuleStatistics> stats = StatisticsOf(window);
  std::vector<float> logits(static_cast<size_t>(rule.num_classes));
  for (int k = 0; k < rule.num_classes; ++k) {
    double outside = 0, from_median = 0;
    for (int s = 0; s < kRuleStatistics; ++s) {
      const StatisticBand& b = rule.bands[k][s];
      const double width = std::max(b.high - b.low, 1e-9 * (1 + std::abs(b.median)));
      outside += std::max({0.0, b.low - stats[s], stats[s] - b.high}) / width;
      from_median += std::abs(stats[s] - b.median) / width;
    }
    logits[k] = static_cast<float>(-rule.gain * outside - 0.1 * from_median);
  }
  return logits;
}

std::string StatisticalRule::ToJson() const {
  nlohmann::json j;
  j["format"] = "statistical_rule";
  j["statistics"] = RuleStatisticNames();
  j["num_classes"] = num_classes;
  j["gain"] = gain;
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& class_bands : bands) {
    nlohmann::json c = nlohmann::json::array();
    for (const StatisticBand& b : class_bands) {
      c.push_back({{"low", b.low}, {"high", b.high}, {"median", b.median}});
    }
    classes.push_back(c);
  }
  j["bands"] = classes;
  return j.dump(2) + "\n";
}

Result<StatisticalRule> StatisticalRule::FromJson(const std::string& text) {
  HIEDGE_ASSIGN_OR_RETURN(nlohmann::json j, ParseBoundedJson(text, 8));
  StatisticalRule rule;
  try {
    rule.num_classes = j.at("num_classes").get<int>();
    rule.gain = j.at("gain").get<double>();
    const nlohmann::json& classes = j.at("bands");
    if (rule.num_classes < 2 || rule.num_classes > 1000 || !classes.is_array() ||
        classes.size() != static_cast<size_t>(rule.num_classes)) {
      return Status::InvalidArgument("a rule needs one list of bands per class (2..1000)");
    }
    for (const nlohmann::json& c : classes) {
      if (!c.is_array() || c.size() != kRuleStatistics) {
        return Status::InvalidArgument("each class needs one band per statistic");
      }
      std::array<StatisticBand, kRuleStatistics> bands;
      for (int s = 0; s < kRuleStatistics; ++s) {
        bands[s] = {c[s].at("low").get<double>(), c[s].at("high").get<double>(),
                    c[s].at("median").get<double>()};
        if (!std::isfinite(bands[s].low) || !std::isfinite(bands[s].high) ||
            !std::isfinite(bands[s].median) || bands[s].low > bands[s].high) {
          return Status::InvalidArgument("a band needs finite low <= high");
        }
      }
      rule.bands.push_back(bands);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("bad statistical rule: ") + e.what());
  }
  if (!std::isfinite(rule.gain) || rule.gain <= 0) {
    return Status::InvalidArgument("rule gain must be positive");
  }
  return rule;
}

}  // namespace hiedge
