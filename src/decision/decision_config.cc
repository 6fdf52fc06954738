#include "hiedge/decision/decision_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "common/files.h"
#include "common/json_integers.h"
#include "hiedge/decision/offload_policy.h"

namespace hiedge {

using nlohmann::json;

namespace {

json CurveToJson(const std::vector<CostCurvePoint>& curve) {
  json points = json::array();
  for (const CostCurvePoint& p : curve) {
    points.push_back({p.theta, p.offload_fraction, p.error_fraction});
  }
  return {{"columns", {"theta", "offload_fraction", "error_fraction"}}, {"points", points}};
}

json InputReferenceToJson(const InputReference& r) {
  json features = json::array();
  for (const InputFeatureReference& f : r.features) {
    features.push_back({{"name", f.name}, {"edges", f.edges}, {"shares", f.shares}});
  }
  return {{"features", features}, {"class_shares", r.class_shares}};
}

// Bounded: the sizes are checked before any vector is read.
Status ParseInputReference(const json& j, InputReference* r) {
  const json& features = j.at("features");
  if (!features.is_array() || features.size() > static_cast<size_t>(kInputFeatureCount)) {
    return Status::InvalidArgument("decision config: input_reference.features is a short array");
  }
  for (const json& f : features) {
    const json& edges = f.at("edges");
    const json& shares = f.at("shares");
    if (!edges.is_array() || !shares.is_array() || edges.size() > kInputBins ||
        shares.size() > kInputBins) {
      return Status::InvalidArgument("decision config: an input feature has too many bins");
    }
    r->features.push_back({f.at("name").get<std::string>(), edges.get<std::vector<double>>(),
                           shares.get<std::vector<double>>()});
  }
  if (j.contains("class_shares")) {
    const json& classes = j.at("class_shares");
    if (!classes.is_array() || classes.size() > 4096) {
      return Status::InvalidArgument("decision config: input_reference.class_shares too long");
    }
    r->class_shares = classes.get<std::vector<double>>();
  }
  if (const std::string e = CheckInputReference(*r); !e.empty()) {
    return Status::InvalidArgument("decision config: " + e);
  }
  return Status::Ok();
}

}  // namespace

std::string DecisionConfig::ToJson() const {
  json j = {{"version", version},
            {"module", module},
            {"temperature", temperature},
            {"parameters", parameters},
            {"theta", theta},
            {"offload_cost", offload_cost},
            {"objective", objective},
            {"target_accuracy", target_accuracy},
            {"delta", delta},
            {"exit_thresholds", exit_thresholds},
            {"calibration",
             {{"split", "validation"},
              {"validation_seed", validation_seed},
              {"samples", calibration_samples},
              {"accuracy", calibration_accuracy},
              {"offload_fraction", calibration_offload_fraction},
              {"mean_cost", calibration_mean_cost},
              {"confidence_histogram", confidence_histogram},
              {"confidence_accuracy", confidence_accuracy},
              {"offload_disagreement", offload_disagreement},
              {"cost_curve", CurveToJson(cost_curve)}}},
            {"local_model", local_model},
            {"remote_model", remote_model},
            {"local_model_id", local_model_id}};
  if (!input_reference.empty()) {
    j["calibration"]["input_reference"] = InputReferenceToJson(input_reference);
  }
  return j.dump(2) + "\n";
}

namespace {

constexpr size_t kMaxListed = 64;  // Parameters or exits a config may list.

// `key` of `j`, when present, into *out: an array of at most kMaxListed numbers.
Status ReadShortArray(const json& j, const char* key, std::vector<double>* out) {
  if (!j.contains(key)) return Status::Ok();
  const json& values = j.at(key);
  if (!values.is_array() || values.size() > kMaxListed) {
    return Status::InvalidArgument(std::string("decision config: ") + key +
                                   " must be a short array");
  }
  *out = values.get<std::vector<double>>();
  return Status::Ok();
}

Status ParseInto(const json& j, DecisionConfig* c) {
  HIEDGE_ASSIGN_OR_RETURN(const int64_t version, json_integers::GetOr<int64_t>(j, "version", 1));
  if (version < 1 || version > kDecisionConfigVersion) {
    return Status::InvalidArgument("decision config: version " + std::to_string(version) +
                                   " is not supported (this hiedge reads 1 to " +
                                   std::to_string(kDecisionConfigVersion) + ")");
  }
  c->version = static_cast<int>(version);
  c->module = j.value("module", j.value("rule", c->module));  // v1 said "rule".
  c->temperature = j.value("temperature", 1.0);
  if (j.contains("parameters")) {
    const json& params = j.at("parameters");
    if (!params.is_object() || params.size() > kMaxListed) {
      return Status::InvalidArgument("decision config: parameters must be an object of numbers");
    }
    for (const auto& [key, value] : params.items()) c->parameters[key] = value.get<double>();
  }
  c->theta = j.at("theta").get<double>();
  c->offload_cost = j.value("offload_cost", c->offload_cost);
  c->objective = j.value("objective", c->objective);
  c->target_accuracy = j.value("target_accuracy", 0.0);
  c->delta = j.value("delta", 0.0);
  HIEDGE_RETURN_IF_ERROR(ReadShortArray(j, "exit_thresholds", &c->exit_thresholds));
  if (j.contains("calibration")) {
    const json& cal = j["calibration"];
    HIEDGE_ASSIGN_OR_RETURN(c->calibration_samples,
                            json_integers::GetOr<size_t>(cal, "samples", 0));
    HIEDGE_ASSIGN_OR_RETURN(c->validation_seed,
                            json_integers::GetOr<uint64_t>(cal, "validation_seed", 0));
    c->calibration_accuracy = cal.value("accuracy", 0.0);
    c->calibration_offload_fraction = cal.value("offload_fraction", 0.0);
    c->calibration_mean_cost = cal.value("mean_cost", 0.0);
    c->offload_disagreement = cal.value("offload_disagreement", 0.0);
    HIEDGE_RETURN_IF_ERROR(
        ReadShortArray(cal, "confidence_histogram", &c->confidence_histogram));
    HIEDGE_RETURN_IF_ERROR(ReadShortArray(cal, "confidence_accuracy", &c->confidence_accuracy));
    if (cal.contains("input_reference")) {
      HIEDGE_RETURN_IF_ERROR(ParseInputReference(cal.at("input_reference"), &c->input_reference));
    }
    if (cal.contains("cost_curve")) {
      const json& points = cal.at("cost_curve").at("points");
      if (!points.is_array() || points.size() > kMaxCostCurvePoints) {
        return Status::InvalidArgument("decision config: cost_curve holds at most " +
                                       std::to_string(kMaxCostCurvePoints) + " points");
      }
      for (const json& p : points) {
        if (!p.is_array() || p.size() != 3) {
          return Status::InvalidArgument(
              "decision config: a cost_curve point is [theta, offload_fraction, error_fraction]");
        }
        c->cost_curve.push_back({p[0].get<double>(), p[1].get<double>(), p[2].get<double>()});
      }
    }
  }
  c->local_model = j.value("local_model", std::string());
  c->remote_model = j.value("remote_model", std::string());
  c->local_model_id = j.value("local_model_id", std::string());
  return Status::Ok();
}

Status Validate(const DecisionConfig& c) {
  std::vector<double> numbers = {c.theta,
                                 c.temperature,
                                 c.offload_cost,
                                 c.target_accuracy,
                                 c.delta,
                                 c.calibration_accuracy,
                                 c.calibration_offload_fraction,
                                 c.calibration_mean_cost,
                                 c.offload_disagreement};
  numbers.insert(numbers.end(), c.exit_thresholds.begin(), c.exit_thresholds.end());
  numbers.insert(numbers.end(), c.confidence_histogram.begin(), c.confidence_histogram.end());
  numbers.insert(numbers.end(), c.confidence_accuracy.begin(), c.confidence_accuracy.end());
  for (const CostCurvePoint& p : c.cost_curve) {
    numbers.insert(numbers.end(), {p.theta, p.offload_fraction, p.error_fraction});
  }
  for (double v : numbers) {
    if (!std::isfinite(v))
      return Status::InvalidArgument("decision config: a number is not finite");
  }
  if (!(c.temperature > 0))
    return Status::InvalidArgument("decision config: temperature must be > 0");
  for (double t : c.exit_thresholds) {
    if (t < 0) return Status::InvalidArgument("decision config: exit thresholds must be >= 0");
  }
  if (!c.confidence_histogram.empty() &&
      c.confidence_histogram.size() != static_cast<size_t>(kConfidenceHistogramBins)) {
    return Status::InvalidArgument("decision config: confidence_histogram needs " +
                                   std::to_string(kConfidenceHistogramBins) + " bins");
  }
  if (!c.confidence_accuracy.empty() &&
      c.confidence_accuracy.size() != static_cast<size_t>(kConfidenceHistogramBins)) {
    return Status::InvalidArgument("decision config: confidence_accuracy needs " +
                                   std::to_string(kConfidenceHistogramBins) + " bins");
  }
  for (double v : c.confidence_accuracy) {
    if (!(v >= 0 && v <= 1))
      return Status::InvalidArgument("decision config: confidence_accuracy values lie in [0, 1]");
  }
  for (size_t i = 0; i < c.cost_curve.size(); ++i) {
    const CostCurvePoint& p = c.cost_curve[i];
    const bool fractions = p.offload_fraction >= 0 && p.offload_fraction <= 1 &&
                           p.error_fraction >= 0 && p.error_fraction <= 1;
    const bool ordered = i == 0 || (p.theta > c.cost_curve[i - 1].theta &&
                                    p.offload_fraction >= c.cost_curve[i - 1].offload_fraction);
    if (!fractions || !ordered) {
      return Status::InvalidArgument(
          "decision config: cost_curve fractions must lie in [0, 1], theta and offload_fraction "
          "increasing (point " +
          std::to_string(i) + ")");
    }
  }
  // The module exists and takes these parameters.
  HIEDGE_ASSIGN_OR_RETURN(auto policy, OffloadPolicy::FromConfig(c));
  (void)policy;
  return Status::Ok();
}

}  // namespace

Result<DecisionConfig> DecisionConfig::FromJson(const std::string& text) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Status::InvalidArgument("decision config: " + parsed.status().message());
  json j = *std::move(parsed);
  if (!j.is_object()) {
    return Status::InvalidArgument("decision config is not a JSON object");
  }
  DecisionConfig c;
  try {
    HIEDGE_RETURN_IF_ERROR(ParseInto(j, &c));
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("decision config: ") + e.what());
  }
  HIEDGE_RETURN_IF_ERROR(Validate(c));
  return c;
}

Result<DecisionConfig> ReadDecisionConfig(const std::string& path) {
  return ReadAndParse<DecisionConfig>(path, DecisionConfig::FromJson);
}

Status CheckCalibratedFor(const DecisionConfig& config, const std::string& model_id) {
  if (config.local_model_id.empty() || config.local_model_id == model_id) return Status::Ok();
  return Status::InvalidArgument("the decision config was calibrated for model " +
                                 config.local_model_id + " but the device runs " + model_id +
                                 "; recalibrate with `hiedge calibrate`, or pass --force");
}

Status WriteDecisionConfig(const DecisionConfig& config, const std::string& path) {
  return WriteTextFile(path, config.ToJson());
}

Result<CostCurvePoint> PointForOffloadCost(const DecisionConfig& config, double offload_cost) {
  if (!std::isfinite(offload_cost) || offload_cost < 0) {
    return Status::InvalidArgument("offload cost must be a finite number >= 0");
  }
  if (config.cost_curve.empty()) {
    return Status::FailedPrecondition(
        "the decision config has no cost curve to re-choose theta from; rerun hiedge calibrate");
  }
  const CostCurvePoint* best = &config.cost_curve.front();
  auto cost = [offload_cost](const CostCurvePoint& p) {
    return p.error_fraction + offload_cost * p.offload_fraction;
  };
  for (const CostCurvePoint& p : config.cost_curve) {
    if (cost(p) < cost(*best) - 1e-12) best = &p;  // Strictly better: ties keep fewer offloads.
  }
  return *best;
}

}  // namespace hiedge
