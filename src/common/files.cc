#include "common/files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hiedge {

Result<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Status WriteTextFile(const std::string& path, const std::string& content) {
  const auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream out(path, std::ios::binary);
  if (!out) return Status::IoError("cannot write " + path);
  out << content;
  return out ? Status::Ok() : Status::IoError("write failed: " + path);
}

}  // namespace hiedge
