// DNN partitioning through a real server process: `hiedge serve --partition-tail
// lml:K` serves the L-ML's stages from K on; the device runs the head and sends the
// activation; the answer equals the whole L-ML's. Also the two-level vs partitioning
// study on a few images (every approach answers, every row is filled).
#include <gtest/gtest.h>

#include "eval/two_level/partition_study.h"
#include "hiedge/data/data.h"
#include "hiedge/device/device.h"
#include "testing/server_process.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

using testing::kShippedModels;
using testing::ServerProcess;

TEST(PartitionProcessTest, AServedTailFinishesWhatTheDevicesHeadStarted) {
  testing::ScopedTempDir dir("hiedge_partition_process");
  ServerProcess server(0, -1, (dir.path() / "server.log").string(),
                       {"--models-dir", kShippedModels, "--model", "sml", "--partition-tail",
                        "lml:2", "--partition-tail", "lml:1"});
  int port = 0;
  ASSERT_TRUE(server.WaitServingRest(&port)) << server.Log();
  auto lml = LoadModel(kShippedModels + "/lml.json");
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(lml.ok() && test.ok());
  const Dataset images = Head(*test, 32);
  const FloatTensor batch{{32, 1, 28, 28}, images.images};
  auto whole = (*lml)->Infer(batch);
  ASSERT_TRUE(whole.ok());
  for (int cut : {1, 2}) {
    SCOPED_TRACE(cut);
    auto head = (*lml)->RunStages(batch, 0, cut);
    ASSERT_TRUE(head.ok());
    OffloadOptions o;
    o.port = port;
    o.model = "lml_tail" + std::to_string(cut);
    auto answered = MakeOffloadClient(o)->Infer(*head, std::chrono::seconds(10));
    ASSERT_TRUE(answered.ok()) << answered.status().ToString();
    ASSERT_EQ(answered->shape, whole->shape);
    for (size_t i = 0; i < whole->data.size(); ++i) {
      ASSERT_NEAR(answered->data[i], whole->data[i], 1e-4) << i;
    }
    // The image itself is refused by a tail: its input is the activation.
    auto wrong = MakeOffloadClient(o)->Infer(batch, std::chrono::seconds(10));
    EXPECT_FALSE(wrong.ok());
  }
}

TEST(PartitionProcessTest, BadTailsStopTheServerWithTheirReason) {
  testing::ScopedTempDir dir("hiedge_partition_bad");
  ServerProcess server(
      0, -1, (dir.path() / "server.log").string(),
      {"--models-dir", kShippedModels, "--model", "sml", "--partition-tail", "lml:9"});
  EXPECT_NE(server.WaitExit(std::chrono::seconds(30)), 0);
  EXPECT_NE(server.Log().find("a tail starts at"), std::string::npos) << server.Log();
}

TEST(PartitionStudyTest, TwoLevelAndEveryCutAnswerIdleAndLoaded) {
  auto test = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(test.ok());
  PartitionStudyOptions o;
  o.two_level_config = kShippedModels + "/two_level.json";
  o.large_model = kShippedModels + "/lml.json";
  o.images = 40;
  o.rounds = 2;
  o.load_clients_per_server = 1;
  auto study = RunPartitionStudy(o, *test);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  ASSERT_EQ(study->rows.size(), 4u) << "two-level and the L-ML's three interior cuts";
  EXPECT_EQ(study->rows[0].cut, -1);
  for (const PartitionStudyRow& r : study->rows) {
    SCOPED_TRACE(r.approach);
    EXPECT_EQ(r.fallbacks, 0u);
    EXPECT_GT(r.accuracy, 0.8);
    EXPECT_GT(r.idle_mean_ms, 0);
    EXPECT_GT(r.loaded_mean_ms, 0);
    EXPECT_GT(r.upload_bytes, 0);
  }
  // Partitioning splits the L-ML's MACs between device and server, whatever the cut.
  const double lml_mmacs = study->rows[1].device_mmacs + study->rows[1].server_mmacs;
  for (size_t k = 2; k < study->rows.size(); ++k) {
    EXPECT_NEAR(study->rows[k].device_mmacs + study->rows[k].server_mmacs, lml_mmacs, 1e-6);
    EXPECT_GT(study->rows[k].device_mmacs, study->rows[k - 1].device_mmacs);
  }
  EXPECT_GT(study->load_requests_per_s, 0);
}

}  // namespace
}  // namespace hiedge
