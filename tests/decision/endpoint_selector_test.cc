#include "hiedge/decision/endpoint_selector.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

TEST(EndpointSelectorTest, MeasuresEveryEndpointThenPrefersTheFastest) {
  EndpointSelector s(3, {0.5, 1000000, 500000});
  int64_t now = 0;
  EXPECT_EQ(s.Choose(now), 0u);
  s.RecordSuccess(0, 9000, now);
  EXPECT_EQ(s.Choose(now), 1u);
  s.RecordSuccess(1, 2000, now);
  EXPECT_EQ(s.Choose(now), 2u);
  s.RecordSuccess(2, 5000, now);
  for (int i = 0; i < 5; ++i) {
    now += 1000;
    ASSERT_EQ(s.Choose(now), 1u);
    s.RecordSuccess(1, 2000, now);
  }
}

TEST(EndpointSelectorTest, SmoothsRttAndSwitchesWhenTheFavouriteSlowsDown) {
  EndpointSelector s(2, {0.5, 10000000, 500000});
  s.RecordSuccess(0, 1000, 0);
  s.RecordSuccess(1, 3000, 0);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(0), 1000);
  s.RecordSuccess(0, 3000, 1);  // Queueing builds up on server 0.
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(0), 2000);
  EXPECT_EQ(s.Choose(2), 0u);
  s.RecordSuccess(0, 6000, 2);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(0), 4000);
  EXPECT_EQ(s.Choose(3), 1u);
}

TEST(EndpointSelectorTest, AReportedQueueCountsAtOnceWhileRoundTripsAreSmoothed) {
  EndpointSelector s(2, {0.2, 10000000, 500000});
  s.RecordSuccess(0, 1000, 0, /*reported_queue_us=*/0);
  s.RecordSuccess(1, 2000, 0, 0);
  EXPECT_EQ(s.Choose(1), 0u);
  // Server 0's queue grows to 4 ms: smoothing alone would still expect 1.8 ms there
  // (0.8 * 1000 + 0.2 * 5000); the report makes it 1 + 4 ms at once.
  s.RecordSuccess(0, 5000, 2, 4000);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(0), 5000);
  EXPECT_EQ(s.Choose(3), 1u);
  // The queue drains: the next report brings server 0 back at once.
  s.RecordSuccess(0, 1000, 4, 0);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(0), 1000);
  EXPECT_EQ(s.Choose(5), 0u);
  // A report larger than the round trip is capped by it; no report means no queue.
  s.RecordSuccess(1, 2000, 6, 9000);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(1), 0.8 * 2000 + 2000);
  s.RecordSuccess(1, 2000, 7);
  EXPECT_DOUBLE_EQ(s.ExpectedWaitUs(1), 0.8 * 1600 + 0.2 * 2000);
}

TEST(EndpointSelectorTest, AvoidsAFailedEndpointForTheCooldownThenRetriesIt) {
  EndpointSelector s(2, {0.5, 10000000, 500000});
  s.RecordSuccess(0, 1000, 0);
  s.RecordSuccess(1, 5000, 0);
  s.RecordFailure(0, 100);
  EXPECT_TRUE(s.IsDown(0, 200));
  EXPECT_EQ(s.Choose(200), 1u);
  EXPECT_EQ(s.Choose(500099), 1u);
  EXPECT_EQ(s.Choose(500100), 0u) << "cooldown over: the fast server is tried again";
}

TEST(EndpointSelectorTest, ProbesAStaleEndpointSoARecoveredServerIsNoticed) {
  EndpointSelector s(2, {0.5, 1000000, 500000});
  s.RecordSuccess(0, 9000, 0);  // Slow at first.
  s.RecordSuccess(1, 1000, 0);
  int64_t now = 0;
  bool probed = false;
  for (int i = 0; i < 2000 && !probed; ++i) {
    now += 1000;
    const size_t pick = s.Choose(now);
    if (pick == 0) probed = true;
    s.RecordSuccess(pick, pick == 0 ? 500 : 1000, now);
  }
  ASSERT_TRUE(probed);
  EXPECT_GE(now, 1000000) << "not probed before probe_interval";
  EXPECT_EQ(s.Choose(now + 1), 1u) << "one fast probe is smoothed with the old 9 ms";
}

TEST(EndpointSelectorTest, AllDownPicksTheSoonestBack) {
  EndpointSelector s(3, {0.5, 1000000, 500000});
  s.RecordFailure(0, 300);
  s.RecordFailure(1, 100);
  s.RecordFailure(2, 200);
  EXPECT_EQ(s.Choose(400), 1u);
}

}  // namespace
}  // namespace hiedge
