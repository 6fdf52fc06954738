// HI over an emulated link through the shipped executable: `hiedge hi-bench --link`
// measures over the link (never faster than its delays allow) and gives the same answers
// as on loopback; bad link specs are refused with exit 2 by every command that takes one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "testing/hiedge_cli.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";
const std::string kProfiles = std::string(HIEDGE_SOURCE_DIR) + "/data/device_profiles.json";

class LinkProcessTest : public ::testing::Test {
 protected:
  int Hiedge(std::vector<std::string> args) { return cli_.Run(std::move(args)); }
  std::string Stderr() const { return cli_.Stderr(); }
  nlohmann::json Bench(const std::string& link, const std::string& name) {
    EXPECT_EQ(Hiedge({"hi-bench", "--local", kModels + "/sml.json", "--remote",
                      kModels + "/lml.json", "--profiles", kProfiles, "--limit", "24", "--link",
                      link, "--json", (cli_.dir() / name).string()}),
              0)
        << Stderr();
    return cli_.Json(name);
  }
  testing::HiedgeCli cli_{"hiedge_link"};
};

double MeanMs(const nlohmann::json& bench, int strategy) {
  return bench["strategies"][strategy]["latency_ms"]["mean"]["value"].get<double>();
}

TEST_F(LinkProcessTest, HiBenchOverALinkPaysItsDelaysAndAnswersAsOnLoopback) {
  // 20 ms each way and 100 kB/s: an offload of ~1 KB takes at least 40 + ~10 ms.
  const std::string spec = "up=100k,down=100k,delay=20";
  const nlohmann::json shaped = Bench(spec, "shaped.json");
  const nlohmann::json loopback = Bench("loopback", "loopback.json");
  ASSERT_EQ(shaped["strategies"].size(), 3u);
  EXPECT_EQ(shaped["link"]["name"], spec);
  EXPECT_EQ(shaped["link"]["emulated"], true);
  EXPECT_EQ(loopback["link"]["emulated"], false);
  const double request_bytes = shaped["request_bytes"]["value"].get<double>();
  const double floor_ms = 2 * 20 + 1000 * request_bytes / 100e3;
  // Full offload: every sample crosses the link both ways.
  EXPECT_GE(MeanMs(shaped, 1), floor_ms);
  EXPECT_LT(MeanMs(loopback, 1), floor_ms);
  // HI: only its offloaded share pays it.
  const double hi_share = shaped["strategies"][2]["offload_rate"]["value"].get<double>();
  EXPECT_GE(MeanMs(shaped, 2), hi_share * floor_ms);
  // The link changes when answers come, never what they are.
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(shaped["strategies"][s]["accuracy"]["value"],
              loopback["strategies"][s]["accuracy"]["value"]);
    EXPECT_EQ(shaped["strategies"][s]["offload_rate"]["value"],
              loopback["strategies"][s]["offload_rate"]["value"]);
    EXPECT_EQ(shaped["strategies"][s]["fallbacks"]["value"].get<double>(), 0.0);
  }
}

// `hiedge early-exit` prices EE-HI against HI per link: the offload round trip is
// measured through the emulator (never below the link's two one-way delays), and each
// link adds a comparison per accuracy target beside loopback's.
TEST_F(LinkProcessTest, EarlyExitStudyMeasuresTheOffloadOverEachLink) {
  ASSERT_EQ(Hiedge({"early-exit", "--ee-models", kModels + "/sml.json", "--remote",
                    kModels + "/lml.json", "--profiles", "", "--limit", "400", "--timing-samples",
                    "20", "--link", "delay=5", "--out", (cli_.dir() / "ee").string()}),
            0)
      << Stderr();
  const nlohmann::json studies = cli_.Json("ee/early_exit.json");
  ASSERT_EQ(studies.size(), 1u) << studies.dump();
  const nlohmann::json& sml = studies[0];
  EXPECT_EQ(sml["model"], "sml");
  ASSERT_EQ(sml["links"].size(), 1u);
  EXPECT_EQ(sml["links"][0]["link"], "delay=5");
  EXPECT_GE(sml["links"][0]["offload_ms"].get<double>(), 10.0);
  EXPECT_LT(sml["offload_ms"].get<double>(), sml["links"][0]["offload_ms"].get<double>());
  int loopback = 0, over_link = 0;
  for (const nlohmann::json& c : sml["comparisons"]) {
    if (c["setting"] == "measured here") ++loopback;
    if (c["setting"] == "measured here, over delay=5") ++over_link;
  }
  EXPECT_EQ(loopback, 2) << "two accuracy targets";
  EXPECT_EQ(over_link, loopback);
  EXPECT_EQ(Hiedge({"early-exit", "--link", "carrier-pigeon"}), 2);
  EXPECT_NE(Stderr().find("unknown link 'carrier-pigeon'"), std::string::npos) << Stderr();
}

TEST_F(LinkProcessTest, BadLinksAreRefusedByEveryCommandThatTakesOne) {
  EXPECT_EQ(Hiedge({"link", "--link", "wifi6", "--to", "127.0.0.1:1"}), 2);
  EXPECT_NE(Stderr().find("unknown link 'wifi6'"), std::string::npos) << Stderr();
  EXPECT_EQ(Hiedge({"link", "--link", "up=1M,loss=0.7", "--to", "127.0.0.1:1"}), 2);
  EXPECT_NE(Stderr().find("loss is in [0, 0.5)"), std::string::npos) << Stderr();
  EXPECT_EQ(Hiedge({"hi-bench", "--limit", "4", "--link", "delay=fast"}), 2);
  EXPECT_NE(Stderr().find("'delay' needs a number"), std::string::npos) << Stderr();
  EXPECT_EQ(Hiedge({"partition", "--images", "4", "--link", "bluetooth"}), 2);
  EXPECT_NE(Stderr().find("unknown link 'bluetooth'"), std::string::npos) << Stderr();
}

}  // namespace
}  // namespace hiedge
