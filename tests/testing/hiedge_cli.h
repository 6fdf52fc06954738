// Runs the built `hiedge` executable in a scratch folder for process tests: exit code,
// stderr and the JSON files it wrote there.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/files.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace hiedge::testing {

class HiedgeCli {
 public:
  explicit HiedgeCli(const std::string& prefix) : dir_(prefix) {}

  // `hiedge args...` with stdout and stderr in the scratch folder; its exit code.
  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), HIEDGE_BINARY);
    return RunProcess(args, dir_.path());
  }
  std::string Stderr() const {
    auto text = ReadTextFile((dir_.path() / "stderr.txt").string());
    return text.ok() ? *text : "";
  }
  // A JSON file the command wrote in the scratch folder (null when missing).
  nlohmann::json Json(const std::string& name) const {
    auto text = ReadTextFile((dir_.path() / name).string());
    return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
  }
  const ScopedTempDir& dir() const { return dir_; }

 private:
  ScopedTempDir dir_;
};

}  // namespace hiedge::testing
