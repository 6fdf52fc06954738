#include "hiedge/decision/circuit_breaker.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndProbesWithDoublingCooldowns) {
  CircuitBreaker breaker({.failures_to_open = 2, .cooldown_us = 100, .max_cooldown_us = 300});
  EXPECT_TRUE(breaker.Allow(0));
  breaker.RecordFailure(0);
  breaker.RecordSuccess();  // A success in between resets the count.
  breaker.RecordFailure(1);
  EXPECT_FALSE(breaker.open());
  breaker.RecordFailure(2);
  EXPECT_TRUE(breaker.open());
  EXPECT_EQ(breaker.times_opened(), 1u);
  EXPECT_FALSE(breaker.Allow(101));
  EXPECT_TRUE(breaker.Allow(102)) << "the probe";
  EXPECT_FALSE(breaker.Allow(103)) << "one probe at a time";
  breaker.RecordFailure(110);  // Cool-down doubles: 200.
  EXPECT_FALSE(breaker.Allow(309));
  EXPECT_TRUE(breaker.Allow(310));
  breaker.RecordFailure(310);  // 400, capped at 300.
  EXPECT_FALSE(breaker.Allow(609));
  EXPECT_TRUE(breaker.Allow(610));
  breaker.RecordSuccess();
  EXPECT_FALSE(breaker.open());
  EXPECT_TRUE(breaker.Allow(611));
  EXPECT_EQ(breaker.times_opened(), 1u);
}

TEST(CircuitBreakerTest, ZeroFailuresToOpenDisablesIt) {
  CircuitBreaker breaker({.failures_to_open = 0});
  for (int i = 0; i < 100; ++i) breaker.RecordFailure(i);
  EXPECT_FALSE(breaker.open());
  EXPECT_TRUE(breaker.Allow(100));
}

}  // namespace
}  // namespace hiedge
