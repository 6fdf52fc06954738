// Integer members of parsed JSON, checked. nlohmann's get<int>() on a JSON float such
// as 1e300 is undefined behaviour (found by the config fuzzer), so the library's JSON
// readers take integers only through these: JSON integers within the type's range,
// InvalidArgument otherwise. Internal to the library (src/), not public API.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge::json_integers {

template <typename Int>
Result<Int> Get(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number_integer()) return Status::InvalidArgument(what + " must be an integer");
  constexpr auto kMin = std::numeric_limits<Int>::min();
  constexpr auto kMax = std::numeric_limits<Int>::max();
  bool in_range = false;
  if (value.is_number_unsigned()) {
    in_range = value.get<uint64_t>() <= static_cast<uint64_t>(kMax);
  } else {
    const int64_t v = value.get<int64_t>();
    in_range = v >= 0 ? static_cast<uint64_t>(v) <= static_cast<uint64_t>(kMax)
                      : std::numeric_limits<Int>::is_signed && v >= static_cast<int64_t>(kMin);
  }
  if (!in_range) return Status::InvalidArgument(what + " is out of range");
  return value.is_number_unsigned() ? static_cast<Int>(value.get<uint64_t>())
                                    : static_cast<Int>(value.get<int64_t>());
}

// `object[key]` when present, else `fallback`.
template <typename Int>
Result<Int> GetOr(const nlohmann::json& object, const char* key, Int fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  return Get<Int>(object[key], key);
}

// An array of integers.
template <typename Int>
Result<std::vector<Int>> GetArray(const nlohmann::json& array, const std::string& what) {
  if (!array.is_array()) return Status::InvalidArgument(what + " must be an array");
  std::vector<Int> out;
  for (const nlohmann::json& v : array) {
    HIEDGE_ASSIGN_OR_RETURN(Int x, Get<Int>(v, what + " entries"));
    out.push_back(x);
  }
  return out;
}

// `object[key]` as an array of integers; absent: empty.
template <typename Int>
Result<std::vector<Int>> GetArrayOr(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return std::vector<Int>{};
  return GetArray<Int>(object[key], key);
}

}  // namespace hiedge::json_integers
