#include "hiedge/decision_config.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "common/files.h"
#include "common/json_integers.h"

namespace hiedge {

using nlohmann::json;

std::string DecisionConfig::ToJson() const {
  json j = {{"rule", rule},
            {"theta", theta},
            {"offload_cost", offload_cost},
            {"objective", objective},
            {"target_accuracy", target_accuracy},
            {"calibration",
             {{"split", "validation"},
              {"samples", calibration_samples},
              {"accuracy", calibration_accuracy},
              {"offload_fraction", calibration_offload_fraction},
              {"mean_cost", calibration_mean_cost}}},
            {"local_model", local_model},
            {"remote_model", remote_model},
            {"local_model_id", local_model_id}};
  return j.dump(2) + "\n";
}

Result<DecisionConfig> DecisionConfig::FromJson(const std::string& text) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok()) return Status::InvalidArgument("decision config: " + parsed.status().message());
  json j = *std::move(parsed);
  if (!j.is_object()) {
    return Status::InvalidArgument("decision config is not a JSON object");
  }
  DecisionConfig c;
  try {
    c.rule = j.value("rule", c.rule);
    c.theta = j.at("theta").get<double>();
    c.offload_cost = j.value("offload_cost", c.offload_cost);
    c.objective = j.value("objective", c.objective);
    c.target_accuracy = j.value("target_accuracy", 0.0);
    if (j.contains("calibration")) {
      const json& cal = j["calibration"];
      HIEDGE_ASSIGN_OR_RETURN(c.calibration_samples,
                              json_integers::GetOr<size_t>(cal, "samples", 0));
      c.calibration_accuracy = cal.value("accuracy", 0.0);
      c.calibration_offload_fraction = cal.value("offload_fraction", 0.0);
      c.calibration_mean_cost = cal.value("mean_cost", 0.0);
    }
    c.local_model = j.value("local_model", std::string());
    c.remote_model = j.value("remote_model", std::string());
    c.local_model_id = j.value("local_model_id", std::string());
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("decision config: ") + e.what());
  }
  if (c.rule != "max_softmax") {
    return Status::InvalidArgument("decision config: unknown rule '" + c.rule + "'");
  }
  if (!(c.theta >= 0)) return Status::InvalidArgument("decision config: theta must be >= 0");
  for (double v : {c.theta, c.offload_cost, c.target_accuracy, c.calibration_accuracy,
                   c.calibration_offload_fraction, c.calibration_mean_cost}) {
    if (!std::isfinite(v))
      return Status::InvalidArgument("decision config: a number is not finite");
  }
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

}  // namespace hiedge
