#include <cstdio>
#include <filesystem>
#include <numeric>

#include "commands.h"
#include "common/files.h"
#include "eval/decision/study.h"
#include "eval/early_exit/ee_study.h"
#include "eval/shift/drift_study.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/corruptions.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/calibrate.h"

namespace hiedge::cli {
namespace {

struct EvalArgs {
  std::string local = "models/sml.json";
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::string out = "docs/results";
  // Written under --out unless told otherwise; '' = none.
  std::string markdown = "<out>/results.md";
  std::string profiles = "data/device_profiles.json";
  std::string filter = "models/footwear.json";
  std::vector<std::string> ee_models = {"models/sml.json", "models/resnet8.json",
                                        "models/resnet20.json"};
  StudyOptions study;
  int threads = 1;  // Per model; batch-1 job times are a single-threaded device's.
  int severity = kDefaultCorruptionSeverity;  // Of the shifted streams (drift, learning).
  double audit_rate = 0.02;                   // Of the field learner.
};

Result<SplitPredictions> PredictSplit(InferenceBackend& local, InferenceBackend& remote,
                                      const Dataset& data) {
  SplitPredictions s;
  HIEDGE_ASSIGN_OR_RETURN(s.local, Predict(local, data, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(s.remote, Predict(remote, data, 500, true));
  s.labels = data.labels;
  return s;
}

Status Eval(const EvalArgs& a) {
  StudyOptions options = a.study;
  HIEDGE_ASSIGN_OR_RETURN(options.profiles, LoadDeviceProfiles(a.profiles));
  HIEDGE_ASSIGN_OR_RETURN(auto local, LoadModel(a.local, {"", a.threads}));
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> remote,
                          LoadModel(a.remote, {"", a.threads}));
  HIEDGE_ASSIGN_OR_RETURN(const StudySplits splits, LoadStudySplits(a.data_dir, local->info()));
  const Dataset& validation = splits.validation;
  const Dataset& test = splits.test;
  // The shifted stream: clean first half, corrupted second half of the test set.
  Dataset stream = Head(test, test.size() / 2);
  const Dataset tail = Corrupt(Subset(test,
                                      [&] {
                                        std::vector<size_t> idx;
                                        for (size_t i = test.size() / 2; i < test.size(); ++i)
                                          idx.push_back(i);
                                        return idx;
                                      }()),
                               0.25f, 0.5f, a.study.seed);
  stream.images.insert(stream.images.end(), tail.images.begin(), tail.images.end());
  stream.labels.insert(stream.labels.end(), tail.labels.begin(), tail.labels.end());

  // Measured timings, batch 1, before the heavy batched work.
  HIEDGE_ASSIGN_OR_RETURN(options.job_times, MeasureJobTimes(*local, remote, test, 300));
  HIEDGE_ASSIGN_OR_RETURN(options.partitioning, MeasurePartitioning(*remote, test, 200));
  HIEDGE_ASSIGN_OR_RETURN(SplitPredictions val, PredictSplit(*local, *remote, validation));
  HIEDGE_ASSIGN_OR_RETURN(SplitPredictions tst, PredictSplit(*local, *remote, test));
  HIEDGE_ASSIGN_OR_RETURN(SplitPredictions shifted, PredictSplit(*local, *remote, stream));
  if (!a.filter.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(ModelCard card, ReadModelCard(a.filter));
    HIEDGE_ASSIGN_OR_RETURN(auto filter, LoadModel(a.filter, {"", a.threads}));
    HIEDGE_ASSIGN_OR_RETURN(Predictions fp, Predict(*filter, test, 500, true));
    if (fp.classes != 2 || card.positive_classes.empty()) {
      return Status::InvalidArgument(a.filter + " is not a binary filter (no positive_classes)");
    }
    options.filter_classes = card.positive_classes;
    const Dataset binary = RelabelBinary(test, card.positive_classes);
    for (size_t i = 0; i < test.size(); ++i) {
      const std::vector<float> p = Softmax(fp.logits.data() + 2 * i, 2);
      options.filter.push_back(
          {p[1], binary.labels[i] == 1, tst.remote.labels[i] == test.labels[i]});
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(DecisionStudy study, RunDecisionStudy(val, tst, shifted, options));
  std::printf("%s", DecisionStudyToText(study).c_str());
  HIEDGE_RETURN_IF_ERROR(WriteDecisionStudy(study, a.out));

  // Early-exit HI on every S-ML with exits.
  EeStudyInputs ee_inputs;
  ee_inputs.validation = &validation;
  ee_inputs.test = &test;
  ee_inputs.remote_validation = &val.remote;
  ee_inputs.remote_test = &tst.remote;
  ee_inputs.offload_ms = options.job_times.offload_ms;
  ee_inputs.profiles = options.profiles;
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<EeModelStudy> ee,
                          RunEeStudies(a.ee_models, ee_inputs, study.remote_validation_accuracy));
  // The report links the plots relative to where it is written.
  const std::string markdown_path =
      a.markdown == "<out>/results.md" ? a.out + "/results.md" : a.markdown;
  const std::string plots_link =
      markdown_path.empty()
          ? a.out
          : std::filesystem::absolute(a.out)
                .lexically_normal()
                .lexically_proximate(
                    std::filesystem::absolute(markdown_path).parent_path().lexically_normal())
                .string();
  HIEDGE_ASSIGN_OR_RETURN(const std::string ee_markdown, WriteEeStudy(ee, a.out, plots_link));

  // Drift: the device's default policy and detector over clean-then-shifted streams.
  HIEDGE_ASSIGN_OR_RETURN(const DecisionConfig policy_config,
                          CalibratePolicy(Labelled(val.local, val.remote, val.labels),
                                          {.cost = CostModel{options.offload_cost, 1.0}}));
  const size_t half = test.size() / 2;
  std::vector<size_t> first_half(half), second_half(test.size() - half);
  std::iota(first_half.begin(), first_half.end(), 0);
  std::iota(second_half.begin(), second_half.end(), half);
  const Dataset prefix = Subset(test, first_half), suffix = Subset(test, second_half);
  HIEDGE_ASSIGN_OR_RETURN(SplitPredictions prefix_predictions,
                          PredictSplit(*local, *remote, prefix));
  DriftInputs drift_in;
  drift_in.config = policy_config;
  drift_in.corruptions = CorruptionNames();
  drift_in.prefix_local = &prefix_predictions.local;
  drift_in.prefix_remote = &prefix_predictions.remote;
  drift_in.prefix_labels = &prefix.labels;
  drift_in.shifted_labels = &suffix.labels;
  drift_in.test_local = &tst.local;
  drift_in.test_remote = &tst.remote;
  drift_in.seed = a.study.seed;
  drift_in.severity = a.severity;
  drift_in.audit_rate = a.audit_rate;
  for (const std::string& name : drift_in.corruptions) {
    HIEDGE_ASSIGN_OR_RETURN(Dataset shifted_images,
                            ApplyCorruption(suffix, name, a.severity, a.study.seed));
    HIEDGE_ASSIGN_OR_RETURN(SplitPredictions p, PredictSplit(*local, *remote, shifted_images));
    drift_in.shifted_local.push_back(std::move(p.local));
    drift_in.shifted_remote.push_back(std::move(p.remote));
  }
  HIEDGE_ASSIGN_OR_RETURN(const DriftStudy drift, RunDriftStudy(drift_in));
  const std::string drift_markdown = DriftStudyToMarkdown(drift);
  std::printf("%s", drift_markdown.c_str());
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/early_exit.md", ee_markdown));
  if (!markdown_path.empty()) {
    HIEDGE_RETURN_IF_ERROR(WriteTextFile(
        markdown_path, DecisionStudyToMarkdown(study, plots_link, "./scripts/results.sh") +
                           ee_markdown + drift_markdown));
  }
  std::fprintf(stderr, "wrote %s/ (study.json, modules.csv, plots)%s%s\n", a.out.c_str(),
               markdown_path.empty() ? "" : " and ", markdown_path.c_str());
  return Status::Ok();
}

}  // namespace

void AddEvalCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "eval", "Compare every decision module (validation-fitted, test-evaluated), with plots");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("--local", a->local, "S-ML model card")->capture_default_str();
  cmd->add_option("--remote", a->remote, "L-ML model card")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--out", a->out, "Folder for JSON, CSV and plots")->capture_default_str();
  cmd->add_option("--markdown", a->markdown,
                  "Markdown report to write, its plot links relative to it ('' = none)")
      ->capture_default_str();
  cmd->add_option("--filter", a->filter, "Binary-filter S-ML card ('' = skip)")
      ->capture_default_str();
  cmd->add_option("--ee-models", a->ee_models,
                  "S-ML cards with early exits for the EE-HI study (none: skip it)")
      ->capture_default_str();
  cmd->add_option("--profiles", a->profiles, "Device profiles JSON ('' = none)")
      ->capture_default_str();
  cmd->add_option("--beta", a->study.offload_cost, "Offload cost β")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--delta", a->study.delta, "Guarantee: 1 - confidence")
      ->check(CLI::Range(0.001, 0.5))
      ->capture_default_str();
  cmd->add_option("--resamples", a->study.resamples, "Guarantee: validation resamples")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--seed", a->study.seed)->capture_default_str();
  cmd->add_option("--severity", a->severity,
                  "Corruption severity of the shifted streams (1 mildest .. 5 harshest)")
      ->check(CLI::Range(kMinCorruptionSeverity, kMaxCorruptionSeverity))
      ->capture_default_str();
  cmd->add_option("--audit-rate", a->audit_rate, "Field learner: fraction of samples audited")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads")
      ->check(Positive())
      ->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(Eval(*a)); });
}

}  // namespace hiedge::cli
