#include "hiedge/decision/two_level_config.h"

#include <nlohmann/json.hpp>

#include "common/bounded_json.h"
#include "common/files.h"
#include "common/json_integers.h"

namespace hiedge {

using nlohmann::json;

std::string TwoLevelConfig::ToJson() const {
  json thresholds_json = {{"accept_top", thresholds.accept_top},
                          {"consider", thresholds.consider},
                          {"recall_below", thresholds.recall_below},
                          {"max_parallel", thresholds.max_parallel},
                          {"accept_locally", thresholds.accept_locally}};
  json j = {{"feature_model", feature_model},
            {"feature_stages", feature_stages},
            {"superclasses", superclasses.members},
            {"class_names", class_names},
            {"experts", experts},
            {"thresholds", thresholds_json}};
  return j.dump(2) + "\n";
}

Result<TwoLevelConfig> TwoLevelConfig::FromJson(const std::string& text) {
  auto parsed = ParseBoundedJson(text);
  if (!parsed.ok())
    return Status::InvalidArgument("two-level config: " + parsed.status().message());
  json j = *std::move(parsed);
  if (!j.is_object()) {
    return Status::InvalidArgument("two-level config is not a JSON object");
  }
  TwoLevelConfig c;
  std::vector<std::vector<int>> members;
  try {
    c.feature_model = j.at("feature_model").get<std::string>();
    HIEDGE_ASSIGN_OR_RETURN(c.feature_stages,
                            json_integers::Get<int>(j.at("feature_stages"), "feature_stages"));
    const json& lists = j.at("superclasses");
    if (!lists.is_array()) return Status::InvalidArgument("two-level config: superclasses");
    for (const json& list : lists) {
      HIEDGE_ASSIGN_OR_RETURN(auto classes, json_integers::GetArray<int>(list, "superclasses"));
      members.push_back(std::move(classes));
    }
    c.class_names = j.value("class_names", std::vector<std::string>{});
    c.experts = j.value("experts", std::vector<std::string>{});
    if (j.contains("thresholds")) {
      const json& t = j.at("thresholds");
      c.thresholds.accept_top = t.value("accept_top", c.thresholds.accept_top);
      c.thresholds.consider = t.value("consider", c.thresholds.consider);
      c.thresholds.recall_below = t.value("recall_below", c.thresholds.recall_below);
      HIEDGE_ASSIGN_OR_RETURN(
          c.thresholds.max_parallel,
          json_integers::GetOr<int>(t, "max_parallel", c.thresholds.max_parallel));
      c.thresholds.accept_locally = t.value("accept_locally", c.thresholds.accept_locally);
    }
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("two-level config: ") + e.what());
  }
  if (c.feature_stages < 1) {
    return Status::InvalidArgument("two-level config: feature_stages must be >= 1");
  }
  // Superclass lists -> superclass of each class; every class in exactly one.
  std::vector<int> of_class;
  for (size_t s = 0; s < members.size(); ++s) {
    for (int cls : members[s]) {
      if (cls < 0 || cls > 100000) {
        return Status::InvalidArgument("two-level config: bad class id " + std::to_string(cls));
      }
      if (static_cast<size_t>(cls) >= of_class.size()) of_class.resize(cls + 1, -1);
      if (of_class[static_cast<size_t>(cls)] != -1) {
        return Status::InvalidArgument("two-level config: class " + std::to_string(cls) +
                                       " is in two superclasses");
      }
      of_class[static_cast<size_t>(cls)] = static_cast<int>(s);
    }
  }
  for (size_t cls = 0; cls < of_class.size(); ++cls) {
    if (of_class[cls] == -1) {
      return Status::InvalidArgument("two-level config: class " + std::to_string(cls) +
                                     " is in no superclass");
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(c.superclasses, MakeSuperclasses(std::move(of_class)));
  if (c.superclasses.count() != static_cast<int>(members.size())) {
    return Status::InvalidArgument("two-level config: an empty superclass");
  }
  if (!c.experts.empty() && c.experts.size() != members.size()) {
    return Status::InvalidArgument("two-level config: " + std::to_string(c.experts.size()) +
                                   " experts for " + std::to_string(members.size()) +
                                   " superclasses");
  }
  const RoutingThresholds& t = c.thresholds;
  if (!(t.consider >= 0 && t.consider <= 1 && t.accept_top >= 0 && t.accept_top <= 1 &&
        t.recall_below >= 0 && t.recall_below <= 1 && t.max_parallel >= 1 &&
        t.accept_locally >= 0 && t.accept_locally <= 2)) {
    return Status::InvalidArgument("two-level config: thresholds out of range");
  }
  return c;
}

Result<TwoLevelConfig> ReadTwoLevelConfig(const std::string& path) {
  return ReadAndParse<TwoLevelConfig>(path, TwoLevelConfig::FromJson);
}

Status WriteTwoLevelConfig(const TwoLevelConfig& config, const std::string& path) {
  return WriteTextFile(path, config.ToJson());
}

}  // namespace hiedge
