// A progress bar for long work, on stderr: redrawn in place on a terminal, one plain
// line per 10% otherwise (so logs stay readable). Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hiedge {

class ProgressBar {
 public:
  ProgressBar(int64_t total, std::string label, bool enabled = true);
  ~ProgressBar();
  // Sets progress to `done` of total, with an optional status text (e.g. "loss 0.31").
  void Update(int64_t done, const std::string& status = "");
  // Completes the line; idempotent.
  void Finish();

 private:
  int64_t total_;
  std::string label_;
  bool enabled_;
  bool interactive_;
  int64_t last_decile_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hiedge
