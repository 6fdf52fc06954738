// JSON parsing with a bound on nesting depth, for every parser that reads untrusted
// text (request and response bodies, configs, cards). Pure: text in, value out.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "hiedge/common/status.h"

namespace hiedge {

// Deep enough for every document hiedge reads (tensors nest at most rank + 2 levels
// below the body); far too shallow to exhaust a stack.
inline constexpr int kDefaultMaxJsonDepth = 64;

// Parses `text` into a JSON value without recursion deeper than `max_depth` arrays or
// objects. InvalidArgument("malformed JSON ...") on a syntax error and
// InvalidArgument("JSON nested deeper than ...") beyond the bound; both stop reading
// at the offending byte, so the work done is linear in the bytes read.
Result<nlohmann::json> ParseBoundedJson(std::string_view text,
                                        int max_depth = kDefaultMaxJsonDepth);

}  // namespace hiedge
