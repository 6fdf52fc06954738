// The two-level deployment file (JSON) that `hiedge superclasses` writes and the
// two-level tools read: which first-level model and cut give the features, the
// superclasses, and each superclass's second-level model (expert) card.
// TwoLevelConfig is a value; reading and writing are reentrant and hold no state.
#pragma once

#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/decision/two_level.h"

namespace hiedge {

struct TwoLevelConfig {
  std::string feature_model;  // First-level model card, relative to this file's folder.
  int feature_stages = 2;     // Its stages that run on the device before the cut.
  Superclasses superclasses;
  std::vector<std::string> class_names;  // Of the original classes, for reports.
  // experts[s]: card of superclass s's second-level model, relative to this file's
  // folder; empty until trained.
  std::vector<std::string> experts;
  RoutingThresholds thresholds;  // Alg. 2 thresholds (calibrated on validation).

  std::string ToJson() const;
  // InvalidArgument for malformed JSON, bad superclasses, or experts not one per superclass.
  static Result<TwoLevelConfig> FromJson(const std::string& text);
};

Result<TwoLevelConfig> ReadTwoLevelConfig(const std::string& path);
Status WriteTwoLevelConfig(const TwoLevelConfig& config, const std::string& path);

}  // namespace hiedge
