// Makespan models of the edge-inference strategies compared in seed 000, §5: HI,
// tinyML (no offload), full offload, OMA (random and worst case) and OMD.
// Pure functions: per-job times in, schedules out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/decision/decision.h"

namespace hiedge {

// Measured (or profiled) per-job times, in milliseconds.
struct JobTimes {
  double local_ms = 0;    // S-ML inference on the device.
  double offload_ms = 0;  // Offload round trip incl. L-ML inference; one at a time.
};

struct ScheduleResult {
  std::string strategy;
  size_t jobs = 0;
  size_t offloaded = 0;
  size_t errors = 0;
  double makespan_ms = 0;
  double accuracy() const { return jobs ? 1.0 - double(errors) / jobs : 0; }
  double throughput_per_s() const { return makespan_ms > 0 ? 1000.0 * jobs / makespan_ms : 0; }
};

// HI: the device runs the S-ML on every job in order and hands offloaded jobs to the
// link, which serves them one at a time while the device goes on.
ScheduleResult ScheduleHi(const std::vector<SampleOutcome>& jobs, double theta, const JobTimes& t);
ScheduleResult ScheduleNoOffload(const std::vector<SampleOutcome>& jobs, const JobTimes& t);
ScheduleResult ScheduleFullOffload(const std::vector<SampleOutcome>& jobs, const JobTimes& t);

// OMA: offloads as many jobs as fit in `deadline_ms` (S-ML skipped for them), the rest
// run locally. worst_case offloads the simplest jobs (highest confidence); otherwise a
// seeded random choice.
ScheduleResult ScheduleOma(const std::vector<SampleOutcome>& jobs, const JobTimes& t,
                           double deadline_ms, bool worst_case, uint64_t seed);

// OMD: work-conserving list schedule; each job goes to whichever of device and link
// finishes it first.
ScheduleResult ScheduleOmd(const std::vector<SampleOutcome>& jobs, const JobTimes& t);

}  // namespace hiedge
