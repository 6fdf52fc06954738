// The registry of confidence modules: name -> factory, in the order tables list them.
#include <algorithm>
#include <cmath>

#include "decision/modules/modules.h"

namespace hiedge {
namespace {

struct ModuleEntry {
  const char* name;
  std::unique_ptr<ConfidenceModule> (*make)();
};

const std::vector<ModuleEntry>& Registry() {
  static const std::vector<ModuleEntry> kModules = {
      {"max_softmax", decision_modules::MakeMaxSoftmax},
      {"margin", decision_modules::MakeMargin},
      {"neg_entropy", decision_modules::MakeNegativeEntropy},
      {"logistic_top2", decision_modules::MakeLogisticTop2},
  };
  return kModules;
}

}  // namespace

Status ConfidenceModule::SetParameters(const std::map<std::string, double>& parameters) {
  return decision_modules::CheckParameterNames(name(), parameters, {});
}

std::vector<std::string> ConfidenceModuleNames() {
  std::vector<std::string> names;
  for (const ModuleEntry& m : Registry()) names.emplace_back(m.name);
  return names;
}

Result<std::unique_ptr<ConfidenceModule>> MakeConfidenceModule(const std::string& name) {
  std::string known;
  for (const ModuleEntry& m : Registry()) {
    if (name == m.name) return m.make();
    known += (known.empty() ? "" : ", ") + std::string(m.name);
  }
  return Status::InvalidArgument("unknown decision module '" + name + "' (known: " + known + ")");
}

namespace decision_modules {

Status CheckParameterNames(const std::string& module,
                           const std::map<std::string, double>& parameters,
                           const std::vector<std::string>& expected) {
  for (const auto& [key, value] : parameters) {
    if (std::find(expected.begin(), expected.end(), key) == expected.end()) {
      return Status::InvalidArgument("decision module " + module + " has no parameter '" + key +
                                     "'");
    }
    if (!std::isfinite(value)) {
      return Status::InvalidArgument("decision module " + module + ": parameter '" + key +
                                     "' is not finite");
    }
  }
  for (const std::string& key : expected) {
    if (parameters.count(key) == 0) {
      return Status::InvalidArgument("decision module " + module + " needs parameter '" + key +
                                     "'");
    }
  }
  return Status::Ok();
}

}  // namespace decision_modules
}  // namespace hiedge
