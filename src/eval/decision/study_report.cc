#include <fmt/printf.h>

#include <nlohmann/json.hpp>

#include "common/files.h"
#include "eval/core/plot.h"
#include "eval/decision/study.h"

namespace hiedge {
namespace {

using nlohmann::json;

json BinsJson(const std::vector<ReliabilityBin>& bins) {
  json out = json::array();
  for (const ReliabilityBin& b : bins) {
    out.push_back({{"lower", b.lower},
                   {"upper", b.upper},
                   {"count", b.count},
                   {"mean_confidence", b.mean_confidence},
                   {"accuracy", b.accuracy}});
  }
  return out;
}

PlotSeries BinsSeries(const std::string& title, const std::vector<ReliabilityBin>& bins) {
  PlotSeries s{title, {}, {}, "linespoints"};
  for (const ReliabilityBin& b : bins) {
    if (b.count == 0) continue;
    s.x.push_back(b.mean_confidence);
    s.y.push_back(b.accuracy);
  }
  return s;
}

}  // namespace

std::string DecisionStudyToText(const DecisionStudy& s) {
  std::string out;
  std::string line;
  line = fmt::sprintf(
      "S-ML test accuracy %.2f%%, L-ML %.2f%%. Temperature %.3f: ECE %.4f -> %.4f (test).\n\n",
      100 * s.local_test_accuracy, 100 * s.remote_test_accuracy, s.calibration.temperature,
      s.calibration.ece_before, s.calibration.ece_after);
  out += line;
  line = fmt::sprintf("%-18s %9s %9s %9s %9s %9s %9s %6s %6s\n", "module", "theta", "accuracy",
                      "offload%", "cost/img", "precision", "recall", "F1", "FN/FP");
  out += line;
  for (const ModuleResult& m : s.modules) {
    line = fmt::sprintf("%-18s %9.4f %8.2f%% %8.2f%% %9.4f %9.3f %9.3f %6.3f %zu/%zu\n",
                        m.name().c_str(), m.theta, 100 * m.accuracy, 100 * m.offload_fraction,
                        m.mean_cost, m.detection.precision(), m.detection.recall(),
                        m.detection.f1(), m.detection.false_negatives, m.detection.false_positives);
    out += line;
  }
  const GuaranteeResult& g = s.guarantee;
  line = fmt::sprintf(
      "\nGuarantee: target %.2f%% at confidence %.0f%%, %d validation resamples of %zu "
      "(certified %.0f%%): no violation on the validation population in %.1f%%, on test "
      "in %.1f%% (test: mean accuracy %.2f%%, min %.2f%%, mean offload %.1f%%).\n",
      100 * g.target_accuracy, 100 * (1 - g.delta), g.resamples, g.resample_size,
      100 * g.certified_rate, 100 * g.met_rate_held_out, 100 * g.met_rate,
      100 * g.mean_test_accuracy, 100 * g.min_test_accuracy, 100 * g.mean_offload_fraction);
  out += line;
  for (const ScheduleResult& r : s.schedules) {
    line = fmt::sprintf("%-20s accuracy %.2f%%, offloaded %zu, makespan %.2f s, %.0f images/s\n",
                        r.strategy.c_str(), 100 * r.accuracy(), r.offloaded, r.makespan_ms / 1000,
                        r.throughput_per_s());
    out += line;
  }
  for (const OnlineResult& o : s.online) {
    if (o.t.empty()) continue;
    line = fmt::sprintf(
        "Online (%s, %.0f samples): regret %.1f (%.4f per sample), final mean theta %.3f\n",
        o.stream.c_str(), o.t.back(), o.regret.back(), o.regret.back() / o.t.back(),
        o.mean_threshold.back());
    out += line;
  }
  return out;
}

Status WriteDecisionStudy(const DecisionStudy& s, const std::string& dir) {
  json modules = json::array();
  std::string csv =
      "module,calibrated,theta,accuracy,offload_fraction,mean_cost,precision,recall,f1,"
      "false_negatives,false_positives\n";
  for (const ModuleResult& m : s.modules) {
    json sweep = json::array();
    for (const BetaSweepRow& r : m.sweep) {
      sweep.push_back({{"beta", r.beta},
                       {"theta", r.theta},
                       {"hi_cost", r.hi_cost},
                       {"offload_fraction", r.offload_fraction}});
    }
    modules.push_back({{"module", m.module},
                       {"calibrated", m.calibrated},
                       {"theta", m.theta},
                       {"accuracy", m.accuracy},
                       {"offload_fraction", m.offload_fraction},
                       {"mean_cost", m.mean_cost},
                       {"precision", m.detection.precision()},
                       {"recall", m.detection.recall()},
                       {"f1", m.detection.f1()},
                       {"false_negatives", m.detection.false_negatives},
                       {"false_positives", m.detection.false_positives},
                       {"beta_sweep", sweep}});
    std::string line;
    line = fmt::sprintf("%s,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%zu,%zu\n", m.module.c_str(),
                        m.calibrated ? 1 : 0, m.theta, m.accuracy, m.offload_fraction, m.mean_cost,
                        m.detection.precision(), m.detection.recall(), m.detection.f1(),
                        m.detection.false_negatives, m.detection.false_positives);
    csv += line;
  }
  json online = json::array();
  for (const OnlineResult& o : s.online) {
    online.push_back({{"stream", o.stream},
                      {"shift_at", o.shift_at},
                      {"t", o.t},
                      {"regret", o.regret},
                      {"learner_loss", o.learner_loss},
                      {"best_fixed_loss", o.best_fixed_loss},
                      {"mean_threshold", o.mean_threshold}});
  }
  const GuaranteeResult& g = s.guarantee;
  json doc = {
      {"local_test_accuracy", s.local_test_accuracy},
      {"remote_test_accuracy", s.remote_test_accuracy},
      {"local_validation_accuracy", s.local_validation_accuracy},
      {"remote_validation_accuracy", s.remote_validation_accuracy},
      {"calibration",
       {{"temperature", s.calibration.temperature},
        {"ece_before", s.calibration.ece_before},
        {"ece_after", s.calibration.ece_after},
        {"reliability_before", BinsJson(s.calibration.before)},
        {"reliability_after", BinsJson(s.calibration.after)}}},
      {"modules", modules},
      {"guarantee",
       {{"target_accuracy", g.target_accuracy},
        {"delta", g.delta},
        {"resamples", g.resamples},
        {"resample_size", g.resample_size},
        {"met_rate", g.met_rate},
        {"certified_rate", g.certified_rate},
        {"met_rate_held_out", g.met_rate_held_out},
        {"mean_test_accuracy", g.mean_test_accuracy},
        {"min_test_accuracy", g.min_test_accuracy},
        {"mean_offload_fraction", g.mean_offload_fraction}}},
      {"online", online},
      {"job_times", {{"local_ms", s.job_times.local_ms}, {"offload_ms", s.job_times.offload_ms}}},
      {"schedules",
       [&] {
         json rows = json::array();
         for (const ScheduleResult& r : s.schedules) {
           rows.push_back({{"strategy", r.strategy},
                           {"accuracy", r.accuracy()},
                           {"offloaded", r.offloaded},
                           {"makespan_ms", r.makespan_ms},
                           {"throughput_per_s", r.throughput_per_s()}});
         }
         return rows;
       }()},
      {"binary_filter",
       [&] {
         json rows = json::array();
         for (const BinaryFilterResult& f : s.filter) {
           rows.push_back({{"beta", f.offload_cost},
                           {"threshold", f.threshold},
                           {"samples", f.samples},
                           {"positives", f.positives},
                           {"offloaded", f.offloaded},
                           {"true_positives", f.true_positives},
                           {"false_positives", f.false_positives},
                           {"false_negatives", f.false_negatives},
                           {"accuracy", f.accuracy()},
                           {"full_offload_accuracy", f.full_offload_accuracy()},
                           {"cost", f.cost},
                           {"full_offload_cost", f.full_offload_cost},
                           {"cost_reduction", f.cost_reduction()}});
         }
         return rows;
       }()},
      {"partitioning",
       [&] {
         json rows = json::array();
         for (const SplitMeasurement& m : s.partitioning) {
           rows.push_back({{"split_after_stage", m.split_after_stage},
                           {"activation_shape", m.activation_shape},
                           {"activation_bytes", m.activation_bytes},
                           {"head_ms", m.head_ms},
                           {"tail_ms", m.tail_ms}});
         }
         return rows;
       }()},
      {"profiled", [&] {
         json rows = json::array();
         for (const ProfiledStrategy& p : s.profiled) {
           rows.push_back(
               {{"strategy", p.strategy},
                {"device", p.device},
                {"accuracy", p.accuracy},
                {"offload_fraction", p.offload_fraction},
                {"latency_ms_modelled", p.cost.latency_ms},
                {"energy_mj_modelled", p.cost.energy_mj ? json(*p.cost.energy_mj) : json()}});
         }
         return rows;
       }()}};
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/study.json", doc.dump(2) + "\n"));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(dir + "/modules.csv", csv));

  PlotSpec curve{"Accuracy against offload fraction (test)",
                 "fraction offloaded",
                 "accuracy",
                 {},
                 false,
                 "set key bottom right"};
  PlotSpec cost{"Cost against offload cost beta (theta* from validation, test)",
                "beta",
                "mean cost per image",
                {},
                false,
                "set key top left"};
  for (const ModuleResult& m : s.modules) {
    curve.series.push_back({m.name(), m.curve_offload, m.curve_accuracy, "lines"});
    if (m.calibrated) continue;
    PlotSeries c{m.name(), {}, {}, "linespoints"};
    for (const BetaSweepRow& r : m.sweep) {
      c.x.push_back(r.beta);
      c.y.push_back(r.hi_cost);
    }
    cost.series.push_back(c);
  }
  if (!s.modules.empty()) {
    PlotSeries full{"full offload", {}, {}, "lines"}, none{"no offload", {}, {}, "lines"};
    for (const BetaSweepRow& r : s.modules.front().sweep) {
      full.x.push_back(r.beta);
      full.y.push_back(r.full_offload_cost);
      none.x.push_back(r.beta);
      none.y.push_back(r.no_offload_cost);
    }
    cost.series.push_back(full);
    cost.series.push_back(none);
  }
  HIEDGE_RETURN_IF_ERROR(RenderPlot(curve, dir + "/accuracy_vs_offload"));
  HIEDGE_RETURN_IF_ERROR(RenderPlot(cost, dir + "/cost_vs_beta"));
  PlotSpec reliability{"Reliability diagram, S-ML on test",
                       "mean confidence",
                       "accuracy",
                       {BinsSeries("before (T = 1)", s.calibration.before),
                        BinsSeries("after temperature scaling", s.calibration.after)},
                       true,
                       "set xrange [0:1]\nset yrange [0:1]\nset key top left"};
  HIEDGE_RETURN_IF_ERROR(RenderPlot(reliability, dir + "/reliability"));
  PlotSpec regret{"Online threshold learning: regret against the best fixed theta",
                  "samples",
                  "regret (cumulative)",
                  {},
                  false,
                  "set key top left"};
  PlotSpec theta{"Online threshold learning: mean threshold",
                 "samples",
                 "mean theta",
                 {},
                 false,
                 "set key bottom right"};
  for (const OnlineResult& o : s.online) {
    regret.series.push_back({o.stream, o.t, o.regret, "lines"});
    theta.series.push_back({o.stream, o.t, o.mean_threshold, "lines"});
  }
  HIEDGE_RETURN_IF_ERROR(RenderPlot(regret, dir + "/regret"));
  PlotSpec cumulative{"Online threshold learning: cumulative cost",
                      "samples",
                      "cumulative cost (beta per offload, 1 per accepted disagreement)",
                      {},
                      false,
                      "set key top left"};
  for (const OnlineResult& o : s.online) {
    cumulative.series.push_back({o.stream + ": learner", o.t, o.learner_loss, "lines"});
    cumulative.series.push_back(
        {o.stream + ": best fixed theta in hindsight", o.t, o.best_fixed_loss, "lines"});
  }
  HIEDGE_RETURN_IF_ERROR(RenderPlot(cumulative, dir + "/online_cost"));
  return RenderPlot(theta, dir + "/online_threshold");
}

}  // namespace hiedge
