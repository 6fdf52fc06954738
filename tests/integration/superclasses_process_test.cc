// `hiedge superclasses --force` over an existing two-level config: the thresholds that
// `twolevel --save-thresholds` calibrated survive when the superclasses come out the same,
// --reset-thresholds clears them, and the printed recipe is the shipped experts' one.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hiedge/decision/two_level_config.h"
#include "testing/run_process.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(SuperclassesProcessTest, ForceKeepsCalibratedThresholdsUnlessAskedAndPrintsTheRecipe) {
  testing::ScopedTempDir dir("hiedge_superclasses");
  const std::string out = (dir.path() / "models").string();
  std::filesystem::create_directories(out);
  // The shipped config, with its calibrated thresholds, copied into place.
  auto shipped = ReadTwoLevelConfig(testing::kShippedModels + "/two_level.json");
  ASSERT_TRUE(shipped.ok()) << shipped.status().ToString();
  TwoLevelConfig config = *shipped;
  config.feature_model = std::filesystem::relative(testing::kShippedModels + "/sml.json", out)
                             .generic_string();
  config.thresholds.accept_top = 0.777;
  ASSERT_TRUE(WriteTwoLevelConfig(config, out + "/two_level.json").ok());

  const std::vector<std::string> args = {HIEDGE_BINARY, "superclasses", "--model",
                                         testing::kShippedModels + "/sml.json", "--k", "4",
                                         "--seed", "1", "--out", out};
  EXPECT_EQ(testing::RunProcess(args, dir.path()), 1) << "refuses to overwrite without --force";
  std::vector<std::string> force = args;
  force.push_back("--force");
  ASSERT_EQ(testing::RunProcess(force, dir.path()), 0) << ReadAll(dir.path() / "stderr.txt");
  auto kept = ReadTwoLevelConfig(out + "/two_level.json");
  ASSERT_TRUE(kept.ok());
  EXPECT_DOUBLE_EQ(kept->thresholds.accept_top, 0.777) << ReadAll(dir.path() / "stderr.txt");
  const std::string printed = ReadAll(dir.path() / "stderr.txt");
  EXPECT_NE(printed.find("kept the calibrated"), std::string::npos) << printed;
  EXPECT_NE(printed.find("--arch expert_deep"), std::string::npos) << printed;
  EXPECT_NE(printed.find("--other-class --teacher models/lml.json"), std::string::npos) << printed;

  force.push_back("--reset-thresholds");
  ASSERT_EQ(testing::RunProcess(force, dir.path()), 0);
  auto reset = ReadTwoLevelConfig(out + "/two_level.json");
  ASSERT_TRUE(reset.ok());
  EXPECT_DOUBLE_EQ(reset->thresholds.accept_top, RoutingThresholds{}.accept_top);
}

}  // namespace
}  // namespace hiedge
