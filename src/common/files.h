// Whole-file text I/O with Status errors.
#pragma once

#include <string>

#include "hiedge/common/status.h"

namespace hiedge {

Result<std::string> ReadTextFile(const std::string& path);

// Reads `path` and parses its text with `parse` (text -> Result<T>): NotFound when the
// file cannot be read, DataLoss (prefixed with the path) when it does not parse.
template <typename T, typename Parse>
Result<T> ReadAndParse(const std::string& path, Parse parse) {
  HIEDGE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  Result<T> parsed = parse(text);
  // A file that does not parse is corrupt (DataLoss, exit code 4), not a bad argument.
  if (!parsed.ok()) return Status::DataLoss(path + ": " + parsed.status().message());
  return parsed;
}
// Creates missing parent folders. Atomic: written to `path`.tmp, then renamed over `path`.
Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace hiedge
