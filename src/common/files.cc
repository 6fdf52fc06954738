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
  // Written beside and renamed over the target: a crash mid-write (a device losing
  // power) leaves the old file or the new one, never half of one.
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) return Status::IoError("cannot write " + path);
    out << content;
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary, ec);
      return Status::IoError("write failed: " + path);
    }
  }
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary, ec);
    return Status::IoError("cannot replace " + path);
  }
  return Status::Ok();
}

}  // namespace hiedge
