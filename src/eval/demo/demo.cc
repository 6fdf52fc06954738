#include "eval/demo/demo.h"

#include <fmt/printf.h>

#include <cstdio>
#include <memory>

#include "device/offload_link.h"
#include "eval/demo/hi_bench.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/calibrate.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/server/http_server.h"

namespace hiedge {
namespace {

struct Models {
  std::shared_ptr<InferenceBackend> local;
  std::shared_ptr<InferenceBackend> remote;
};

Result<Models> LoadModels(const DemoOptions& o) {
  Models m;
  HIEDGE_ASSIGN_OR_RETURN(m.local, LoadModel(o.local_model, {"", o.threads}));
  HIEDGE_ASSIGN_OR_RETURN(m.remote, LoadModel(o.remote_model, {"", o.threads}));
  return m;
}

std::string Percent(double v) {
  std::string b;
  b = fmt::sprintf("%.2f%%", 100 * v);
  return b;
}

}  // namespace

Result<DemoReport> RunDemo(const DemoOptions& o) {
  HIEDGE_ASSIGN_OR_RETURN(const eval::LinkProfile link, eval::ParseLinkProfile(o.link));
  HIEDGE_ASSIGN_OR_RETURN(Models models, LoadModels(o));
  HIEDGE_ASSIGN_OR_RETURN(Dataset train_full, LoadData(o.data_dir, Split::kTrain));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(o.data_dir, Split::kTest));
  if (o.limit > 0) test = Head(test, o.limit);
  const Dataset validation = SplitForValidation(train_full).validation;

  // Calibration sees only the validation split.
  DemoReport report;
  HIEDGE_ASSIGN_OR_RETURN(Predictions local_val,
                          Predict(*models.local, validation, 256, o.progress));
  HIEDGE_ASSIGN_OR_RETURN(Predictions remote_val,
                          Predict(*models.remote, validation, 256, o.progress));
  const std::vector<SampleOutcome> val = JoinOutcomes(local_val, remote_val, validation);
  report.local_validation_accuracy = AccuracyOf(local_val, validation);
  report.remote_validation_accuracy = AccuracyOf(remote_val, validation);
  report.break_even_beta = BreakEvenOffloadCost(val);
  report.marginal_beta = 1;
  for (int step = 0; step <= 100; ++step) {
    if (OptimalThreshold(val, CostModel{step / 100.0, 1.0}).offload_fraction() < 0.01) {
      report.marginal_beta = step / 100.0;
      break;
    }
  }
  const CostModel cost{o.offload_cost, 1.0};
  const LabelledLogits labelled_val = Labelled(local_val, remote_val, validation.labels);
  HIEDGE_ASSIGN_OR_RETURN(const DecisionConfig min_cost,
                          CalibratePolicy(labelled_val, {.cost = cost}));
  const double target = report.remote_validation_accuracy - o.accuracy_margin;
  HIEDGE_ASSIGN_OR_RETURN(
      const DecisionConfig at_target,
      CalibratePolicy(labelled_val,
                      {.objective = "accuracy_target", .cost = cost, .target_accuracy = target}));

  // The edge server on loopback, over real HTTP, and the device: the HI benchmark's core.
  const std::string hi_name = fmt::sprintf("HI(theta*, beta=%.2f)", o.offload_cost);
  const std::string target_name = fmt::sprintf("HI(accuracy >= %.2f%%)", 100 * target);
  const std::vector<LoopbackStrategy> plans = {
      {"No offload", OffloadPolicy::MaxSoftmax(0)},
      {"Full offload", OffloadPolicy::MaxSoftmax(kAlwaysOffload)},
      {hi_name, OffloadPolicy::MaxSoftmax(min_cost.theta)},
      {target_name, OffloadPolicy::MaxSoftmax(at_target.theta)}};
  HIEDGE_ASSIGN_OR_RETURN(LoopbackRun run,
                          RunStrategiesOnLoopback(models.local, models.remote, test, plans, cost,
                                                  o.offload_deadline, o.progress, link));
  report.strategies = run.results;
  report.offload_request_bytes = run.request_bytes;
  report.fp32_request_bytes = run.fp32_request_bytes;
  report.offload_datatype = run.payload;

  if (!o.edge_model.empty()) {
    CascadeRunOptions tiers;
    tiers.device_model = o.local_model;
    tiers.edge_model = o.edge_model;
    tiers.cloud_model = o.remote_model;
    tiers.device_offload_cost = tiers.edge_offload_cost = o.offload_cost;
    tiers.deadline = o.offload_deadline;
    tiers.threads = o.threads;
    tiers.progress = o.progress;
    HIEDGE_ASSIGN_OR_RETURN(report.three_tier, RunCascadeOnLoopback(tiers, validation, test));
    report.strategies.push_back(report.three_tier.result);
    report.has_three_tier = true;
  }

  if (!o.two_level_config.empty()) {
    TwoLevelLoopbackOptions two_level;
    two_level.config_path = o.two_level_config;
    two_level.deadline = o.offload_deadline;
    two_level.progress = o.progress;
    two_level.link = link;
    HIEDGE_ASSIGN_OR_RETURN(report.two_level,
                            RunTwoLevelOnLoopback(two_level, test, &report.two_level_placement));
    report.has_two_level = true;
  }

  // The β sweep prices recorded predictions of both models on the test set.
  HIEDGE_ASSIGN_OR_RETURN(Predictions local_test, Predict(*models.local, test, 256, false));
  HIEDGE_ASSIGN_OR_RETURN(Predictions remote_test, Predict(*models.remote, test, 256, false));
  report.sweep = SweepOffloadCost(val, JoinOutcomes(local_test, remote_test, test));

  std::string note;
  note = fmt::sprintf(
      "Offloading pays only for small beta: many S-ML errors are also L-ML errors. On "
      "validation, theta* offloads under 1%% of images from beta = %.2f on, and nothing "
      "at all above beta = %.3f (a handful of near-certain fixes).",
      report.marginal_beta, report.break_even_beta);
  report.notes.push_back(note);
  if (link.shaped()) {
    report.notes.push_back("The device offloaded over the emulated '" + link.name + "' link (" +
                           link.source + "); the three-tier run stayed on loopback.");
  }
  report.notes.push_back(
      "Calibration used the validation split (" + std::to_string(validation.size()) +
      " images carved from training); S-ML " + Percent(report.local_validation_accuracy) +
      ", L-ML " + Percent(report.remote_validation_accuracy) + " on it.");
  return report;
}

}  // namespace hiedge
