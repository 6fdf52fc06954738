// Whole-file text I/O with Status errors.
#pragma once

#include <string>

#include "hiedge/status.h"

namespace hiedge {

Result<std::string> ReadTextFile(const std::string& path);
// Creates missing parent folders.
Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace hiedge
