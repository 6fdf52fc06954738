#include "hiedge/decision/qos_plan.h"

#include <gtest/gtest.h>

namespace hiedge {
namespace {

std::vector<PlanCandidate> Candidates() {
  return {{"S-ML on device", 0.91, 0.90, 1.0, 2.0},
          {"L-ML on device", 0.95, 0.94, 30.0, 60.0},
          {"HI", 0.93, 0.93, 2.0, 5.0},
          {"EE-HI", 0.93, 0.925, 1.5, std::nullopt},
          {"remote", 0.95, 0.94, 10.0, 15.0}};
}

TEST(QosPlanTest, PicksTheFastestStrategyMeetingEveryTarget) {
  EXPECT_EQ(ChooseStrategy(Candidates(), {0.90}).chosen, 0);  // The S-ML suffices.
  EXPECT_EQ(ChooseStrategy(Candidates(), {0.93}).chosen, 3);  // EE-HI beats HI.
  // An energy budget rules out EE-HI, whose energy is unknown: HI.
  EXPECT_EQ(ChooseStrategy(Candidates(), {0.93, std::nullopt, 10.0}).chosen, 2);
  // The L-ML's accuracy within 12 ms: remote.
  const PlanChoice remote = ChooseStrategy(Candidates(), {0.95, 12.0});
  EXPECT_EQ(remote.chosen, 4);
  EXPECT_NE(remote.reason.find("remote"), std::string::npos);
}

TEST(QosPlanTest, SaysWhyNothingFits) {
  EXPECT_NE(ChooseStrategy(Candidates(), {0.99}).reason.find("no strategy reaches"),
            std::string::npos);
  const PlanChoice slow = ChooseStrategy(Candidates(), {0.95, 5.0});
  EXPECT_EQ(slow.chosen, -1);
  EXPECT_NE(slow.reason.find("none within 5 ms"), std::string::npos) << slow.reason;
  std::vector<PlanCandidate> unreachable = Candidates();
  unreachable[3].reachable = false;
  unreachable[3].validation_accuracy = 1.0;  // Ignored: it cannot reach the target.
  EXPECT_EQ(ChooseStrategy(unreachable, {0.93}).chosen, 2);
}

}  // namespace
}  // namespace hiedge
