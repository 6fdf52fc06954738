// The confidence modules and their registry (registry.cc). To add a module: write its
// class in this folder, declare its factory here and list it in registry.cc.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/decision/offload_policy.h"

namespace hiedge::decision_modules {

std::unique_ptr<ConfidenceModule> MakeMaxSoftmax();
std::unique_ptr<ConfidenceModule> MakeMargin();
std::unique_ptr<ConfidenceModule> MakeNegativeEntropy();
std::unique_ptr<ConfidenceModule> MakeLogisticTop2();

// OK when `parameters` holds exactly `expected`, each finite; InvalidArgument naming
// `module` and the offending parameter otherwise.
Status CheckParameterNames(const std::string& module,
                           const std::map<std::string, double>& parameters,
                           const std::vector<std::string>& expected);

}  // namespace hiedge::decision_modules
