#include "hiedge/decision/device_profile.h"

#include <gtest/gtest.h>

#include "common/files.h"

namespace hiedge {
namespace {

TEST(DeviceProfileTest, ShippedProfilesParseAndCarrySources) {
  auto text = ReadTextFile(std::string(HIEDGE_SOURCE_DIR) + "/data/device_profiles.json");
  ASSERT_TRUE(text.ok());
  auto profiles = ParseDeviceProfiles(*text);
  ASSERT_TRUE(profiles.ok()) << profiles.status().ToString();
  EXPECT_EQ(profiles->size(), 6u);
  for (const DeviceProfile& p : *profiles) {
    EXPECT_NE(p.source.find("seed 001"), std::string::npos) << p.name;
    EXPECT_GT(p.local_latency_ms, 0) << p.name;
  }
  EXPECT_EQ((*profiles)[0].name, "coral_micro");
  EXPECT_DOUBLE_EQ(*(*profiles)[0].offload_energy_mj, 14.61);
  EXPECT_FALSE((*profiles)[4].local_energy_mj.has_value());  // Arduino: no energy figure.
}

TEST(DeviceProfileTest, ModelsLatencyAndEnergyByHand) {
  DeviceProfile p{"d", "m", 2.0, 3.0, 10.0, 20.0, "test"};
  const ModelledCost hi = ModelPerInference(p, true, 0.25);
  EXPECT_DOUBLE_EQ(hi.latency_ms, 2.0 + 2.5);
  EXPECT_DOUBLE_EQ(*hi.energy_mj, 3.0 + 5.0);
  const ModelledCost full = ModelPerInference(p, false, 1.0);
  EXPECT_DOUBLE_EQ(full.latency_ms, 10.0);
  EXPECT_DOUBLE_EQ(*full.energy_mj, 20.0);
  p.offload_energy_mj.reset();
  EXPECT_FALSE(ModelPerInference(p, true, 0.1).energy_mj.has_value());
  EXPECT_TRUE(ModelPerInference(p, true, 0.0).energy_mj.has_value());  // No offload needed.
}

TEST(DeviceProfileTest, RejectsBadProfiles) {
  EXPECT_FALSE(ParseDeviceProfiles("[]").ok());
  EXPECT_FALSE(ParseDeviceProfiles(R"({"profiles":[{"name":"a"}]})").ok());  // No source.
  EXPECT_FALSE(
      ParseDeviceProfiles(
          R"({"profiles":[{"name":"a","source":7,"local_latency_ms":1,"offload_latency_ms":1}]})")
          .ok());
  EXPECT_FALSE(
      ParseDeviceProfiles(
          R"({"profiles":[{"name":"a","source":"s","local_latency_ms":-1,"offload_latency_ms":1}]})")
          .ok());
  EXPECT_FALSE(
      ParseDeviceProfiles(
          R"({"profiles":[{"name":"a","source":"s","local_latency_ms":1,"offload_latency_ms":1},
                      {"name":"a","source":"s","local_latency_ms":1,"offload_latency_ms":1}]})")
          .ok());
  EXPECT_FALSE(
      ParseDeviceProfiles(R"({"profiles":[{"name":"a","source":"s","local_latency_ms":1}]})").ok());
}

}  // namespace
}  // namespace hiedge
