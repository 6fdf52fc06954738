// libFuzzer target for the JSON files hiedge reads besides requests: model cards,
// decision configs, two-level configs and statistical rules. First byte picks the parser; the rest is
// the text. Whatever parses must write and parse back equal. Run via scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string>

#include "hiedge/decision/decision_config.h"
#include "hiedge/common/model_card.h"
#include "hiedge/decision/statistical_rule.h"
#include "hiedge/decision/two_level_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto card = hiedge::ModelCard::FromJson(text);
      if (card.ok()) {
        auto again = hiedge::ModelCard::FromJson(card->ToJson());
        if (!again.ok() || again->classes != card->classes ||
            again->input_shape != card->input_shape)
          __builtin_trap();
      }
      break;
    }
    case 1: {
      auto config = hiedge::DecisionConfig::FromJson(text);
      if (config.ok() && !hiedge::DecisionConfig::FromJson(config->ToJson()).ok()) __builtin_trap();
      break;
    }
    case 2: {
      auto rule = hiedge::StatisticalRule::FromJson(text);
      if (rule.ok()) {
        auto again = hiedge::StatisticalRule::FromJson(rule->ToJson());
        if (!again.ok() || again->bands.size() != rule->bands.size()) __builtin_trap();
      }
      break;
    }
    default: {
      auto config = hiedge::TwoLevelConfig::FromJson(text);
      if (config.ok()) {
        auto again = hiedge::TwoLevelConfig::FromJson(config->ToJson());
        if (!again.ok() || again->superclasses.of_class != config->superclasses.of_class)
          __builtin_trap();
      }
      break;
    }
  }
  return 0;
}
