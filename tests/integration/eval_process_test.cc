// `hiedge eval` as a real process writes only under its --out unless told otherwise:
// it used to rewrite the tracked docs/results.md (dropping what other commands had
// appended) and link plots relative to another folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "common/files.h"
#include "testing/data_files.h"
#include "testing/run_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;
const std::string kSource = HIEDGE_SOURCE_DIR;

TEST(EvalProcessTest, WritesOnlyUnderItsOutWithPlotLinksThatResolve) {
  testing::ScopedTempDir dir("hiedge_eval_process");
  const fs::path data = dir / "data";
  fs::create_directories(data);
  testing::WriteIdxPair(data / "train-images-idx3-ubyte", data / "train-labels-idx1-ubyte", 10, 60,
                        1, 28, 28, 1);
  testing::WriteIdxPair(data / "t10k-images-idx3-ubyte", data / "t10k-labels-idx1-ubyte", 10, 20, 1,
                        28, 28, 2);
  // The default used to be docs/results.md under the working directory: run it in a
  // fresh one.
  const fs::path cwd = dir / "cwd";
  fs::create_directories(cwd);
  const fs::path out = dir / "out";
  ASSERT_EQ(testing::RunProcess(
                {HIEDGE_BINARY, "eval", "--local", kSource + "/models/sml.json", "--remote",
                 kSource + "/models/lml.json", "--data", data.string(), "--out", out.string(),
                 "--filter", "", "--profiles", kSource + "/data/device_profiles.json",
                 "--ee-models", kSource + "/models/sml.json"},
                dir.path(), "/dev/null", cwd.string()),
            0)
      << ReadTextFile((dir / "stderr.txt").string()).value();
  EXPECT_TRUE(fs::is_empty(cwd)) << "wrote outside --out";
  auto report = ReadTextFile((out / "results.md").string());
  ASSERT_TRUE(report.ok()) << "the report goes under --out by default";
  const std::regex link(R"(\]\(([^()]+\.(?:svg|png))\))");
  int links = 0;
  for (auto it = std::sregex_iterator(report->begin(), report->end(), link);
       it != std::sregex_iterator(); ++it, ++links) {
    EXPECT_TRUE(fs::exists(out / (*it)[1].str())) << (*it)[1].str();
  }
  EXPECT_GE(links, 5);
}

}  // namespace
}  // namespace hiedge
