// A progress bar for long work, on stderr, redrawn in place. Shown only when stderr
// is a terminal (never in logs or pipes), progress is allowed process-wide, and the
// caller enables it. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace hiedge {

// Process-wide switch (`hiedge --no-progress` turns it off). Thread-safe.
void SetProgressAllowed(bool allowed);

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
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace hiedge
