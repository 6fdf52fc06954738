#include "eval/decision/study.h"

#include <fmt/printf.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "eval/core/plot.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

// Synthetic split: 4 classes; the S-ML's logits are 3x overconfident (true
// temperature 3), the L-ML is right 95% of the time.
SplitPredictions Synthetic(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1.5);
  std::uniform_real_distribution<double> u(0, 1);
  SplitPredictions s;
  s.local.classes = s.remote.classes = 4;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> z(4);
    for (float& v : z) v = normal(rng);
    // The label follows softmax(z); the S-ML reports 3z.
    double total = 0;
    std::vector<double> p(4);
    for (int k = 0; k < 4; ++k) total += p[k] = std::exp(z[k]);
    double r = u(rng) * total, c = 0;
    int label = 3;
    for (int k = 0; k < 4; ++k) {
      if (r < (c += p[k])) {
        label = k;
        break;
      }
    }
    s.labels.push_back(label);
    int top = 0;
    for (int k = 0; k < 4; ++k) {
      s.local.logits.push_back(3 * z[k]);
      if (z[k] > z[top]) top = k;
    }
    double pmax = 0, psum = 0;
    for (int k = 0; k < 4; ++k) psum += std::exp(3 * z[k]);
    pmax = std::exp(3 * z[top]) / psum;
    s.local.labels.push_back(top);
    s.local.confidences.push_back(static_cast<float>(pmax));
    s.remote.labels.push_back(u(rng) < 0.95 ? label : (label + 1) % 4);
    s.remote.confidences.push_back(0.9f);
  }
  return s;
}

// Structural faults a generated markdown document must not have: a heading glued to
// text, a paragraph printed twice, a sentence cut off. Returns what it found.
std::vector<std::string> MarkdownFaults(const std::string& md) {
  std::vector<std::string> faults;
  std::vector<std::string> paragraphs;
  size_t start = 0;
  while (start < md.size()) {
    size_t end = md.find("\n\n", start);
    if (end == std::string::npos) end = md.size();
    std::string p = md.substr(start, end - start);
    while (!p.empty() && p.front() == '\n') p.erase(0, 1);
    if (!p.empty()) paragraphs.push_back(p);
    start = end + 2;
  }
  std::set<std::string> seen;
  for (const std::string& p : paragraphs) {
    if (!seen.insert(p).second) faults.push_back("paragraph twice: " + p.substr(0, 80));
    if (p[0] == '#') {
      if (p.find('\n') != std::string::npos)
        faults.push_back("heading not alone: " + p.substr(0, 80));
      continue;
    }
    if (p[0] == '|' || p[0] == '!' || p.rfind("```", 0) == 0 || p[0] == '-') continue;
    if (p.find("#") != std::string::npos && p.find("\n#") != std::string::npos) {
      faults.push_back("heading inside a paragraph: " + p.substr(0, 80));
    }
    const char last = p.back();
    if (last != '.' && last != ':' && last != ')' && last != '`' && last != '*') {
      faults.push_back("paragraph does not end a sentence: ..." +
                       p.substr(p.size() > 60 ? p.size() - 60 : 0));
    }
  }
  return faults;
}

TEST(DecisionStudyTest, EveryModuleCalibrationGuaranteeAndOnline) {
  const SplitPredictions validation = Synthetic(6000, 1), test = Synthetic(6000, 2);
  StudyOptions options;
  options.offload_cost = 0.2;
  options.resamples = 30;
  options.resample_size = 3000;
  options.accuracy_margin = 0.05;
  options.profiles.push_back({"dev", "m", 2.0, 3.0, 10.0, 20.0, "test"});
  options.job_times = {1.0, 8.0};
  options.filter = {
      {0.9f, true, true}, {0.2f, true, true}, {0.7f, false, true}, {0.1f, false, true}};
  options.filter_classes = {5, 7, 9};
  auto study = RunDecisionStudy(validation, test, test, options);
  ASSERT_TRUE(study.ok()) << study.status().ToString();
  ASSERT_EQ(study->modules.size(), 8u);  // 4 modules x {raw, calibrated}
  for (const ModuleResult& m : study->modules) {
    EXPECT_GE(m.accuracy, study->local_test_accuracy - 1e-9) << m.name();  // Offloading helps here.
    EXPECT_GT(m.detection.f1(), 0.2) << m.name();
    EXPECT_FALSE(m.curve_offload.empty());
    EXPECT_EQ(m.sweep.size(), 21u);
  }
  EXPECT_NEAR(study->calibration.temperature, 3.0, 0.4);
  EXPECT_LT(study->calibration.ece_after, study->calibration.ece_before / 2);
  EXPECT_GE(study->guarantee.met_rate, 0.8);
  EXPECT_GE(study->guarantee.met_rate_held_out, 0.8);
  ASSERT_EQ(study->online.size(), 2u);
  EXPECT_EQ(study->online[0].t.back(), 4 * 6000.0);
  EXPECT_LT(study->online[0].regret.back() / study->online[0].t.back(), 0.05);
  EXPECT_EQ(study->online[1].shift_at, 3000u);
  ASSERT_EQ(study->schedules.size(), 6u);  // HI, none, full, OMA x2, OMD
  const ScheduleResult& hi = study->schedules[0];
  EXPECT_EQ(hi.offloaded, static_cast<size_t>(study->modules[0].offload_fraction * 6000 + 0.5));
  EXPECT_LE(study->schedules[3].makespan_ms, hi.makespan_ms + 1e-9);  // OMA meets HI's deadline.
  EXPECT_GE(study->schedules[3].accuracy(), study->schedules[4].accuracy());  // random >= worst
  EXPECT_LE(study->schedules[5].makespan_ms, hi.makespan_ms);  // OMD minimises makespan.
  EXPECT_NE(DecisionStudyToMarkdown(*study, "r", "c").find("| OMD |"), std::string::npos);
  ASSERT_EQ(study->filter.size(), 5u);
  EXPECT_EQ(study->filter[1].false_negatives, 1u);
  EXPECT_EQ(study->filter[1].false_positives, 1u);
  EXPECT_NE(DecisionStudyToMarkdown(*study, "r", "c").find("Binary-filter"), std::string::npos);
  ASSERT_EQ(study->profiled.size(), 6u);  // none, full, 4 raw HI modules
  EXPECT_DOUBLE_EQ(study->profiled[0].cost.latency_ms, 2.0);
  EXPECT_DOUBLE_EQ(*study->profiled[1].cost.energy_mj, 20.0);
  for (size_t i = 2; i < 6; ++i) {
    const ProfiledStrategy& hi = study->profiled[i];
    EXPECT_DOUBLE_EQ(hi.cost.latency_ms, 2.0 + 10.0 * hi.offload_fraction) << hi.strategy;
  }
  EXPECT_NE(DecisionStudyToText(*study).find("logistic_top2"), std::string::npos);
  EXPECT_NE(DecisionStudyToMarkdown(*study, "results", "cmd").find("| logistic_top2+T |"),
            std::string::npos);
  const std::string md = DecisionStudyToMarkdown(*study, "results", "cmd");
  for (const std::string& fault : MarkdownFaults(md)) ADD_FAILURE() << fault;
  // Sentences about the data are computed from it, not written in.
  EXPECT_NE(md.find(fmt::sprintf("%.2f%% / %.2f%% there", 100 * study->local_validation_accuracy,
                                 100 * study->remote_validation_accuracy)),
            std::string::npos);
}

TEST(DecisionStudyTest, MarkdownCheckCatchesTheFaultsItLooksFor) {
  EXPECT_EQ(MarkdownFaults("# T\n\nA sentence.\n\n| a |\n").size(), 0u);
  EXPECT_EQ(MarkdownFaults("# T\n\nA sentence.\n\nA sentence.\n\n").size(), 1u);
  EXPECT_EQ(MarkdownFaults("# T\n\nA sentence cut o\n\n").size(), 1u);
  EXPECT_EQ(MarkdownFaults("# T\nglued text.\n\n").size(), 1u);
}

// The shipped docs/results.md is generated by scripts/results.sh; it must be whole.
TEST(DecisionStudyTest, ShippedResultsDocumentIsWellFormed) {
  std::ifstream in(std::string(HIEDGE_SOURCE_DIR) + "/docs/results.md");
  ASSERT_TRUE(in);
  const std::string md((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& fault : MarkdownFaults(md)) ADD_FAILURE() << fault;
}

TEST(DecisionStudyTest, EmptyInputIsRejected) {
  EXPECT_EQ(RunDecisionStudy({}, {}, {}, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(PlotTest, RendersPngAndSvgWithData) {
  const testing::ScopedTempDir temp("hiedge_plot_test");
  const auto dir = temp.path();
  std::filesystem::create_directories(dir);
  PlotSpec spec{"t", "x", "y", {{"it's a line", {0, 1, 2}, {1, 3, 2}, "lines"}}, true, ""};
  const std::string stem = (dir / "p").string();
  const Status status = RenderPlot(spec, stem);
  ASSERT_TRUE(status.ok()) << status.ToString();
  for (const char* ext : {".png", ".svg", ".csv", ".gp"}) {
    EXPECT_GT(std::filesystem::file_size(stem + ext), 0u) << ext;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hiedge
