#include "hiedge/device/device_summary.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hiedge {
namespace {

TEST(LatencyHistogramTest, PercentilesAreWithinOnePercent) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(50), 0);
  for (int ms = 1; ms <= 1000; ++ms) h.Add(ms);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.Percentile(50), 500, 5.01);
  EXPECT_GE(h.Percentile(50), 500);
  EXPECT_NEAR(h.Percentile(99), 990, 9.91);
  EXPECT_EQ(h.Percentile(100), 1000);
  EXPECT_DOUBLE_EQ(h.Mean(), 500.5);
  h.Add(0);    // Below the range: counted in the first bucket.
  h.Add(1e9);  // Above: the last bucket, and the max.
  EXPECT_EQ(h.Max(), 1e9);
  EXPECT_EQ(h.count(), 1002u);
}

SampleRecord Record(int local, int final_answer, bool offloaded, bool fallback,
                    const std::string& error = "") {
  SampleRecord r;
  r.local_prediction = local;
  r.final_prediction = final_answer;
  r.offloaded = offloaded;
  r.fallback = fallback;
  r.remote_prediction = offloaded && !fallback ? final_answer : -1;
  r.offload_error = error;
  r.local_ms = 0.02;
  r.offload_ms = offloaded ? 1.0 : 0;
  return r;
}

TEST(DeviceSummaryTest, CountsAccuracyCostAndFallbackCauses) {
  DeviceSummary s;
  s.Add(Record(1, 1, false, false), 1);                      // Right, local.
  s.Add(Record(2, 3, true, false), 3);                       // Offloaded, the server corrected it.
  s.Add(Record(4, 4, true, true, "connection refused"), 5);  // Fell back, wrong.
  s.Add(Record(7, 7, false, false), -1);                     // Unlabelled.
  EXPECT_EQ(s.samples, 4u);
  EXPECT_EQ(s.labelled, 3u);
  EXPECT_EQ(s.correct, 2u);
  EXPECT_EQ(s.local_correct, 1u);
  EXPECT_EQ(s.offloaded, 2u);
  EXPECT_EQ(s.remote_answers, 1u);
  EXPECT_EQ(s.fallbacks, 1u);
  EXPECT_DOUBLE_EQ(s.accuracy(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.cost(0.5), (1 + 0.5 * 2) / 3.0);
  EXPECT_EQ(s.fallback_causes.at("connection refused"), 1u);
  const auto j = nlohmann::json::parse(s.ToJson(0.5));
  EXPECT_EQ(j["samples"], 4);
  EXPECT_EQ(j["fallback_causes"]["connection refused"], 1);
  EXPECT_NE(s.ToText(0.5).find("fallback cause: 1 sample(s): connection refused"),
            std::string::npos);
}

TEST(DeviceSummaryTest, CausesStayBoundedWhateverTheErrors) {
  DeviceSummary s;
  for (int i = 0; i < 1000; ++i) {
    s.Add(Record(0, 0, true, true, "error #" + std::to_string(i)), 0);
  }
  EXPECT_EQ(s.fallback_causes.size(), DeviceSummary::kMaxCauses + 1);
  EXPECT_EQ(s.fallback_causes.at("(other reasons)"), 1000u - DeviceSummary::kMaxCauses);
}

}  // namespace
}  // namespace hiedge
