#include "common/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace hiedge {
namespace {

std::atomic<bool> g_progress_allowed{true};

}  // namespace

void SetProgressAllowed(bool allowed) { g_progress_allowed.store(allowed); }

ProgressBar::ProgressBar(int64_t total, std::string label, bool enabled)
    : total_(total > 0 ? total : 1),
      label_(std::move(label)),
      enabled_(enabled && g_progress_allowed.load() && isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t done, const std::string& status) {
  if (!enabled_ || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) {
    return;
  }
  last_draw_ = now;
  constexpr int kWidth = 30;
  const double fraction = static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %lld/%lld %.0fs<%.0fs %s\033[K", label_.c_str(),
               bar.c_str(), fraction * 100, static_cast<long long>(done),
               static_cast<long long>(total_), elapsed, eta, status.c_str());
  std::fflush(stderr);
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fputc('\n', stderr);
}

}  // namespace hiedge
