#include "hiedge/decision/schedule.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

// Four jobs (confidence, local right, remote right).
const std::vector<SampleOutcome> kJobs = {
    {0.3f, false, true}, {0.9f, true, true}, {0.4f, false, true}, {0.95f, true, false}};
const JobTimes kTimes{1.0, 5.0};

TEST(ScheduleTest, HiPipelinesOffloadsBehindTheDevice) {
  // Device: 1, 2, 3, 4 ms. Offloads of jobs 0 and 2 start at 1 and max(6, 3) = 6.
  const ScheduleResult r = ScheduleHi(kJobs, 0.5, kTimes);
  EXPECT_EQ(r.offloaded, 2u);
  EXPECT_DOUBLE_EQ(r.makespan_ms, 11.0);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_DOUBLE_EQ(r.throughput_per_s(), 1000.0 * 4 / 11);
}

TEST(ScheduleTest, BaselinesByHand) {
  EXPECT_DOUBLE_EQ(ScheduleNoOffload(kJobs, kTimes).makespan_ms, 4.0);
  EXPECT_EQ(ScheduleNoOffload(kJobs, kTimes).errors, 2u);
  EXPECT_DOUBLE_EQ(ScheduleFullOffload(kJobs, kTimes).makespan_ms, 20.0);
  EXPECT_EQ(ScheduleFullOffload(kJobs, kTimes).errors, 1u);
}

TEST(ScheduleTest, OmaFillsTheDeadlineWithOffloads) {
  // Deadline 11 ms: floor(11 / 5) = 2 offloads, 2 local jobs (2 ms).
  const ScheduleResult worst = ScheduleOma(kJobs, kTimes, 11.0, true, 1);
  EXPECT_EQ(worst.offloaded, 2u);
  EXPECT_DOUBLE_EQ(worst.makespan_ms, 10.0);
  // Worst case offloads the two most confident jobs (1 and 3): job 3's remote is wrong,
  // and the hard jobs 0 and 2 stay local and are wrong.
  EXPECT_EQ(worst.errors, 3u);
  const ScheduleResult random = ScheduleOma(kJobs, kTimes, 11.0, false, 1);
  EXPECT_EQ(random.offloaded, 2u);
  EXPECT_LE(random.errors, worst.errors);
  EXPECT_EQ(ScheduleOma(kJobs, kTimes, 100.0, false, 1).offloaded, 4u);
  EXPECT_EQ(ScheduleOma(kJobs, kTimes, 0.0, false, 1).offloaded, 0u);
}

TEST(ScheduleTest, OmdMinimisesMakespan) {
  // Greedy: d=1, d=2, d=3, then link 5 < d 4? no (5 > 4): device 4. Makespan 4.
  const ScheduleResult r = ScheduleOmd(kJobs, kTimes);
  EXPECT_DOUBLE_EQ(r.makespan_ms, 4.0);
  // With a fast link, OMD uses both resources.
  const ScheduleResult fast = ScheduleOmd(kJobs, JobTimes{1.0, 1.5});
  EXPECT_GT(fast.offloaded, 0u);
  EXPECT_LE(fast.makespan_ms, 3.0);
}

TEST(ScheduleTest, EmptyInput) {
  EXPECT_EQ(ScheduleHi({}, 0.5, kTimes).makespan_ms, 0);
  EXPECT_EQ(ScheduleOmd({}, kTimes).accuracy(), 0);
  EXPECT_EQ(ScheduleOma({}, kTimes, 10, true, 1).offloaded, 0u);
}

}  // namespace
}  // namespace hiedge
