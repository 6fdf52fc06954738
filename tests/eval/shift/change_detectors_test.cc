// ADWIN and Page-Hinkley as the shift benchmark runs them: they see a clear change of
// mean, stay quiet on a stationary stream, and ADWIN's window stays bounded.
#include "eval/shift/change_detectors.h"

#include <gtest/gtest.h>

#include <random>

namespace hiedge {
namespace {

// Index of the first alarm at or after `from`, -1 for none.
template <typename Detector>
int64_t FirstAlarm(Detector& d, std::mt19937_64& rng, int n, double mean_before, double mean_after,
                   int change_at, int* before_change = nullptr) {
  std::normal_distribution<double> noise(0, 0.1);
  int64_t first = -1;
  for (int i = 0; i < n; ++i) {
    const double x = (i < change_at ? mean_before : mean_after) + noise(rng);
    if (!d.Add(x)) continue;
    if (i < change_at) {
      if (before_change) ++*before_change;
    } else if (first < 0) {
      first = i - change_at;
    }
  }
  return first;
}

TEST(AdwinTest, SeesAChangeOfMeanAndDropsTheOldWindow) {
  Adwin adwin;
  std::mt19937_64 rng(1);
  int false_alarms = 0;
  const int64_t delay = FirstAlarm(adwin, rng, 4000, 0.2, 0.5, 2000, &false_alarms);
  EXPECT_EQ(false_alarms, 0);
  ASSERT_GE(delay, 0);
  EXPECT_LT(delay, 100);
  EXPECT_LT(adwin.width(), 2000u);  // The pre-change values were dropped.
}

TEST(AdwinTest, QuietOnAStationaryStreamWithABoundedWindow) {
  Adwin adwin({.max_window = 1000});
  std::mt19937_64 rng(2);
  int alarms = 0;
  FirstAlarm(adwin, rng, 20000, 0.3, 0.3, 20000, &alarms);
  EXPECT_LE(alarms, 1);
  EXPECT_LE(adwin.width(), 1000u);
}

TEST(PageHinkleyTest, RiverDefaultsSeeALargeChangeEitherWay) {
  for (const double after : {1.5, -1.0}) {
    PageHinkley ph;
    std::mt19937_64 rng(3);
    int false_alarms = 0;
    const int64_t delay = FirstAlarm(ph, rng, 3000, 0.2, after, 1000, &false_alarms);
    EXPECT_EQ(false_alarms, 0) << after;
    ASSERT_GE(delay, 0) << after;
    EXPECT_LT(delay, 200) << after;
  }
}

TEST(PageHinkleyTest, ASmallChangeIsBelowItsDefaultThreshold) {
  // λ = 50 on a [0, 1] signal: a shift of 0.02 takes thousands of samples.
  PageHinkley ph;
  std::mt19937_64 rng(4);
  EXPECT_EQ(FirstAlarm(ph, rng, 1500, 0.30, 0.32, 1000), -1);
}

}  // namespace
}  // namespace hiedge
