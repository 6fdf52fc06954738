#include "eval/fleet/loadgen.h"

#include <fmt/printf.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "eval/core/eval.h"

namespace hiedge {
namespace {

using Clock = std::chrono::steady_clock;

struct Window {
  size_t requests = 0;  // Sent: answered + failed.
  size_t failures = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

// Closed loop: `concurrency` clients each send a request as soon as the last returns,
// or, after a failure, after a backoff (1 ms doubling to 100 ms, jittered; reset by a
// success), so a dead or shedding server is not hammered in a tight loop.
Window Measure(const LoadgenOptions& o, const Dataset& images, int concurrency) {
  Window w;
  std::mutex mu;
  std::atomic<size_t> next{0};
  const auto end = Clock::now() + o.window;
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < concurrency; ++c) {
    clients.emplace_back([&] {
      auto client = MakeOffloadClient(o.server);
      std::vector<double> mine;
      size_t failures = 0;
      std::chrono::microseconds backoff{0};
      std::minstd_rand jitter(static_cast<unsigned>(next.load() + 1));
      while (Clock::now() < end) {
        const size_t i = next.fetch_add(1) % images.size();
        FloatTensor x{
            {1, images.channels, images.height, images.width},
            std::vector<float>(images.image(i), images.image(i) + images.image_elements())};
        const auto t0 = Clock::now();
        const bool ok = client->Infer(x, o.deadline).ok();
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (ok) {
          mine.push_back(ms);
          backoff = std::chrono::microseconds(0);
        } else {
          ++failures;
          backoff = std::clamp(2 * backoff, std::chrono::microseconds(1000),
                               std::chrono::microseconds(100'000));
          const auto wait = std::chrono::microseconds(
              std::uniform_int_distribution<int64_t>(backoff.count() / 2, backoff.count())(jitter));
          std::this_thread::sleep_until(std::min(end, Clock::now() + wait));
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      w.latencies_ms.insert(w.latencies_ms.end(), mine.begin(), mine.end());
      w.failures += failures;
    });
  }
  for (auto& t : clients) t.join();
  w.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  w.requests = w.latencies_ms.size() + w.failures;
  return w;
}

bool Within(double a, double b, double tolerance) {
  return std::abs(a - b) <= tolerance * std::max(std::abs(a), std::abs(b));
}

}  // namespace

Result<std::vector<LoadLevel>> RunLoad(const LoadgenOptions& o, const Dataset& images) {
  if (images.size() == 0) return Status::InvalidArgument("no images to send");
  std::vector<LoadLevel> levels;
  for (int concurrency : o.concurrency) {
    if (concurrency < 1) return Status::InvalidArgument("concurrency must be >= 1");
    LoadLevel level;
    level.concurrency = concurrency;
    Window previous = Measure(o, images, concurrency);
    level.windows = 1;
    Window current;
    while (level.windows < o.max_windows) {
      current = Measure(o, images, concurrency);
      ++level.windows;
      const double tp_prev = previous.latencies_ms.size() / previous.seconds,
                   tp_now = current.latencies_ms.size() / current.seconds;
      if (Within(tp_prev, tp_now, o.stability) &&
          Within(Percentile(previous.latencies_ms, 0.5), Percentile(current.latencies_ms, 0.5),
                 o.stability)) {
        level.stable = true;
        break;
      }
      previous = std::move(current);
    }
    // Stable: report the two agreeing windows together; otherwise the last window.
    std::vector<double> all = previous.latencies_ms;
    double seconds = previous.seconds;
    level.failures = previous.failures;
    if (level.stable) {
      all.insert(all.end(), current.latencies_ms.begin(), current.latencies_ms.end());
      seconds += current.seconds;
      level.failures += current.failures;
    }
    level.requests = all.size() + level.failures;
    level.throughput_per_s = seconds > 0 ? static_cast<double>(all.size()) / seconds : 0;
    level.p50_ms = Percentile(all, 0.50);
    level.p90_ms = Percentile(all, 0.90);
    level.p99_ms = Percentile(all, 0.99);
    levels.push_back(level);
  }
  return levels;
}

std::string LoadLevelsToJson(const std::vector<LoadLevel>& levels) {
  nlohmann::json out = nlohmann::json::array();
  for (const LoadLevel& l : levels) {
    out.push_back({{"concurrency", l.concurrency},
                   {"windows", l.windows},
                   {"stable", l.stable},
                   {"requests", l.requests},
                   {"failures", l.failures},
                   {"throughput_per_s", l.throughput_per_s},
                   {"p50_ms", l.p50_ms},
                   {"p90_ms", l.p90_ms},
                   {"p99_ms", l.p99_ms}});
  }
  return out.dump(2) + "\n";
}

std::string LoadLevelsToTable(const std::vector<LoadLevel>& levels) {
  std::string out = "concurrency  throughput/s    p50 ms    p90 ms    p99 ms  failures  windows\n";
  std::string line;
  for (const LoadLevel& l : levels) {
    line = fmt::sprintf("%11d %13.1f %9.3f %9.3f %9.3f %9zu %6d%s\n", l.concurrency,
                        l.throughput_per_s, l.p50_ms, l.p90_ms, l.p99_ms, l.failures, l.windows,
                        l.stable ? "" : " (unstable)");
    out += line;
  }
  return out;
}

}  // namespace hiedge
