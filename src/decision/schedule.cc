#include "hiedge/decision/schedule.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace hiedge {
namespace {

ScheduleResult Start(const char* name, const std::vector<SampleOutcome>& jobs) {
  ScheduleResult r;
  r.strategy = name;
  r.jobs = jobs.size();
  return r;
}

}  // namespace

ScheduleResult ScheduleHi(const std::vector<SampleOutcome>& jobs, double theta, const JobTimes& t) {
  ScheduleResult r = Start("HI", jobs);
  double device = 0, link = 0;
  for (const SampleOutcome& j : jobs) {
    device += t.local_ms;
    if (ShouldOffload(j.confidence, theta)) {
      ++r.offloaded;
      link = std::max(link, device) + t.offload_ms;
      r.errors += j.remote_correct ? 0 : 1;
    } else {
      r.errors += j.local_correct ? 0 : 1;
    }
  }
  r.makespan_ms = std::max(device, link);
  return r;
}

ScheduleResult ScheduleNoOffload(const std::vector<SampleOutcome>& jobs, const JobTimes& t) {
  ScheduleResult r = Start("No offload (tinyML)", jobs);
  for (const SampleOutcome& j : jobs) r.errors += j.local_correct ? 0 : 1;
  r.makespan_ms = static_cast<double>(jobs.size()) * t.local_ms;
  return r;
}

ScheduleResult ScheduleFullOffload(const std::vector<SampleOutcome>& jobs, const JobTimes& t) {
  ScheduleResult r = Start("Full offload", jobs);
  for (const SampleOutcome& j : jobs) r.errors += j.remote_correct ? 0 : 1;
  r.offloaded = jobs.size();
  r.makespan_ms = static_cast<double>(jobs.size()) * t.offload_ms;
  return r;
}

ScheduleResult ScheduleOma(const std::vector<SampleOutcome>& jobs, const JobTimes& t,
                           double deadline_ms, bool worst_case, uint64_t seed) {
  ScheduleResult r = Start(worst_case ? "OMA (worst case)" : "OMA (random)", jobs);
  const size_t n = jobs.size();
  // Device and link work in parallel: makespan = max(local * t_l, offloaded * t_o).
  // More offloads means more accuracy, so take as many as the deadline allows.
  size_t k =
      t.offload_ms > 0 ? static_cast<size_t>(std::floor(deadline_ms / t.offload_ms + 1e-9)) : n;
  k = std::min(k, n);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  if (worst_case) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return jobs[a].confidence > jobs[b].confidence; });
  } else {
    std::mt19937_64 rng(seed);
    for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  }
  for (size_t i = 0; i < n; ++i) {
    const SampleOutcome& j = jobs[order[i]];
    r.errors += (i < k ? j.remote_correct : j.local_correct) ? 0 : 1;
  }
  r.offloaded = k;
  r.makespan_ms =
      std::max(static_cast<double>(n - k) * t.local_ms, static_cast<double>(k) * t.offload_ms);
  return r;
}

ScheduleResult ScheduleOmd(const std::vector<SampleOutcome>& jobs, const JobTimes& t) {
  ScheduleResult r = Start("OMD", jobs);
  double device = 0, link = 0;
  for (const SampleOutcome& j : jobs) {
    if (link + t.offload_ms < device + t.local_ms) {
      link += t.offload_ms;
      ++r.offloaded;
      r.errors += j.remote_correct ? 0 : 1;
    } else {
      device += t.local_ms;
      r.errors += j.local_correct ? 0 : 1;
    }
  }
  r.makespan_ms = std::max(device, link);
  return r;
}

}  // namespace hiedge
