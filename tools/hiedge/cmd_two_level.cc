// `hiedge superclasses` and `hiedge twolevel`: seed 004's two-level architecture.
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "common/files.h"
#include "eval/two_level/two_level_eval.h"
#include "hiedge/common/model_card.h"
#include "hiedge/data/corruptions.h"
#include "hiedge/data/data_source.h"
#include "hiedge/device/two_level_device.h"

namespace hiedge::cli {
namespace {

struct SuperclassArgs {
  std::string model = "models/sml.json";
  int stages = 2;
  int k = 4;
  uint64_t seed = 1;
  std::string data_dir = kFashionMnistDir;
  std::string out = "models";  // Writes <out>/two_level.json.
  bool force = false;
  bool reset_thresholds = false;
  std::string teacher = "models/lml.json";  // For the printed expert recipe.
};

std::string Join(const std::vector<int>& values, const char* separator) {
  std::string s;
  for (size_t i = 0; i < values.size(); ++i) {
    s += (i ? separator : "") + std::to_string(values[i]);
  }
  return s;
}

Status BuildSuperclasses(const SuperclassArgs& a) {
  const std::string out = a.out + "/two_level.json";
  HIEDGE_RETURN_IF_ERROR(RefuseToOverwrite(out, a.force));
  HIEDGE_ASSIGN_OR_RETURN(auto model, LoadModel(a.model));
  HIEDGE_ASSIGN_OR_RETURN(Dataset full, LoadData(a.data_dir, Split::kTrain));
  const Dataset train = SplitForValidation(full).train;
  std::fprintf(stderr, "superclasses: features of %s after stage %d on %zu training images\n",
               a.model.c_str(), a.stages, train.size());
  HIEDGE_ASSIGN_OR_RETURN(Superclasses superclasses,
                          SuperclassesFromFeatures(*model, a.stages, train, a.k, a.seed));
  const std::string& folder = a.out;
  TwoLevelConfig config;
  config.feature_model = std::filesystem::relative(a.model, folder).generic_string();
  config.feature_stages = a.stages;
  config.superclasses = superclasses;
  config.class_names = FashionMnistClassNames();
  for (int s = 0; s < superclasses.count(); ++s) {
    config.experts.push_back("expert" + std::to_string(s) + ".json");
  }
  // Overwriting a config with the same superclasses keeps what `twolevel
  // --save-thresholds` calibrated for them, unless asked to reset.
  std::error_code exists_error;
  if (std::filesystem::exists(out, exists_error)) {
    Result<TwoLevelConfig> previous = ReadTwoLevelConfig(out);
    const bool same = previous.ok() && previous->superclasses.members == superclasses.members &&
                      previous->feature_stages == config.feature_stages &&
                      previous->feature_model == config.feature_model;
    if (same && !a.reset_thresholds) {
      config.thresholds = previous->thresholds;
      config.experts = previous->experts;
      std::fprintf(stderr,
                   "kept the calibrated Alg. 2 thresholds and experts of %s (same superclasses; "
                   "--reset-thresholds clears them)\n",
                   out.c_str());
    } else if (previous.ok()) {
      std::fprintf(stderr,
                   "%s: Alg. 2 thresholds reset to the defaults (%s); recalibrate with "
                   "`hiedge twolevel --save-thresholds`\n",
                   out.c_str(), same ? "--reset-thresholds" : "the superclasses changed");
    }
  }
  HIEDGE_RETURN_IF_ERROR(WriteTwoLevelConfig(config, out));
  std::printf("%s", config.ToJson().c_str());
  // The recipe the shipped experts were trained with (README, "Two-level architecture"):
  // distilled from the L-ML, with an "other" output; larger superclasses gain from
  // augmented copies of their images.
  std::fprintf(stderr, "wrote %s; train its experts with:\n", out.c_str());
  for (int s = 0; s < superclasses.count(); ++s) {
    const auto& members = superclasses.members[static_cast<size_t>(s)];
    std::string names;
    for (int c : members) names += " " + config.class_names[static_cast<size_t>(c)];
    std::fprintf(stderr, "  # superclass %d:%s\n", s, names.c_str());
    if (members.size() < 2) {
      std::fprintf(stderr, "  (one class: no expert needed, but the file must exist)\n");
    }
    std::fprintf(stderr,
                 "  ./build/hiedge train --arch expert_deep --features-from %s --feature-stages %d "
                 "--classes %s --other-class --teacher %s --label-smoothing 0 --augment false "
                 "--epochs %s --name expert%d --out %s\n",
                 a.model.c_str(), a.stages, Join(members, " ").c_str(), a.teacher.c_str(),
                 members.size() > 2 ? "30" : "10 --augmented-copies 4", s, folder.c_str());
  }
  return Status::Ok();
}

}  // namespace

void AddSuperclassesCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "superclasses",
      "Group classes into superclasses by k-means over the class medians of a model's "
      "mid-layer features (seed 004), and write a two-level config");
  auto a = std::make_shared<SuperclassArgs>();
  cmd->add_option("--model", a->model, "First-level model card")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cmd->add_option("--stages", a->stages, "Stages that run on the device before the cut")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--k", a->k, "Number of superclasses")
      ->check(CLI::Range(1, 10))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the k-means restarts")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--out", a->out, "Folder to write two_level.json in (beside the experts)")
      ->capture_default_str();
  cmd->add_flag("--force", a->force,
                "Overwrite an existing two_level.json (its calibrated thresholds and experts are "
                "kept when the superclasses come out the same)");
  cmd->add_flag("--reset-thresholds", a->reset_thresholds,
                "With --force: reset the Alg. 2 thresholds to the defaults even when the "
                "superclasses are unchanged");
  cmd->add_option("--teacher", a->teacher, "L-ML card named in the printed expert recipe")
      ->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(BuildSuperclasses(*a)); });
}

void AddTwoLevelCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "twolevel",
      "Evaluate the two-level architecture (seed 004): calibrate Alg. 2 thresholds on "
      "validation, score on test against the first-level and large models, place experts "
      "(Alg. 1)");
  auto o = std::make_shared<TwoLevelStudyOptions>();
  auto json_out = std::make_shared<std::string>();
  auto save = std::make_shared<bool>(false);
  auto markdown = std::make_shared<std::string>();
  auto title = std::make_shared<std::string>();
  cmd->add_option("--config", o->config_path, "Two-level config (from `hiedge superclasses`)")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cmd->add_option("--large", o->large_model, "Large model for the full-offload row ('' = none)")
      ->capture_default_str();
  cli::AddDataOption(cmd, &o->data_dir);
  cmd->add_option("--max-queries", o->max_mean_queries,
                  "Budget: mean expert inferences per sample when calibrating")
      ->check(CLI::Range(1.0, 10.0))
      ->capture_default_str();
  cmd->add_option("--clusters", o->clusters, "Clusters (edge servers) in the Alg. 1 scenario")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--experts-per-server", o->experts_per_server,
                  "Memory of each server, in expert models")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the scenario's demand")->capture_default_str();
  cmd->add_option("--json", *json_out, "Also write the results as JSON here");
  cmd->add_flag("--save-thresholds", *save, "Write the calibrated thresholds into --config");
  cmd->add_option("--markdown-append", *markdown,
                  "Append this run's section to a results document (e.g. docs/results.md)");
  cmd->add_option("--title", *title, "Heading of the appended section (default: the config)");
  cmd->callback([o, json_out, save, markdown, title, exit_code] {
    auto study = RunTwoLevelStudy(*o);
    if (!study.ok()) {
      *exit_code = ExitCodeFor(study.status());
      return;
    }
    std::printf("%s", study->ToTable().c_str());
    Status written;
    if (!json_out->empty()) written = WriteTextFile(*json_out, study->ToJson());
    if (written.ok() && *save) written = WriteTwoLevelConfig(study->config, o->config_path);
    if (written.ok() && !markdown->empty()) {
      written = AppendMarkdown(
          *markdown, study->ToMarkdown(title->empty() ? "Two-level: " + o->config_path : *title));
    }
    *exit_code = ExitCodeFor(written);
  });
}

namespace {

struct TwoLevelDeviceArgs {
  std::string config = "models/two_level.json";
  // "host:port=s1,s2,..": a server and the superclasses whose experts it serves (as
  // models "expert<s>"); the first is the device's own cluster.
  std::vector<std::string> servers;
  std::string transport = "rest";
  std::string payload = "fp32";
  int deadline_ms = 500;
  std::string data_dir = kFashionMnistDir;
  size_t limit = 0;
  double expert_budget = 0;  // Expert calls per image; 0 = unlimited.
  std::string corruption;    // Shifted test set ("" = clean).
  int severity = kDefaultCorruptionSeverity;
  std::string out = "results/twolevel_device";
};

Status RunTwoLevelDeviceCommand(const TwoLevelDeviceArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(TwoLevelConfig config, ReadTwoLevelConfig(a.config));
  HIEDGE_ASSIGN_OR_RETURN(auto first,
                          LoadModel(CardDirectory(a.config) + "/" + config.feature_model));
  HIEDGE_ASSIGN_OR_RETURN(const std::string transport, ParseTransport(a.transport));
  HIEDGE_ASSIGN_OR_RETURN(const Payload payload, ParsePayload(a.payload));
  if (payload == Payload::kUint8Pixels) {
    return Status::InvalidArgument("--payload uint8 is for images; experts take features");
  }
  const auto superclasses = static_cast<size_t>(config.superclasses.count());
  std::vector<std::unique_ptr<OffloadClient>> owned;
  std::vector<std::vector<OffloadClient*>> clients;
  for (const std::string& spec : a.servers) {
    const size_t equals = spec.find('=');
    OffloadOptions o;
    o.transport = transport;
    o.payload = payload;
    HIEDGE_RETURN_IF_ERROR(ParseHostPort(spec.substr(0, equals), &o));
    if (equals == std::string::npos) {
      return Status::InvalidArgument("--server '" + spec + "' lists no superclasses (=s1,s2)");
    }
    clients.emplace_back(superclasses, nullptr);
    std::string list = spec.substr(equals + 1);
    for (size_t at = 0; at <= list.size();) {
      const size_t comma = std::min(list.find(',', at), list.size());
      const std::string item = list.substr(at, comma - at);
      int s = -1;
      if (std::from_chars(item.data(), item.data() + item.size(), s).ec != std::errc() || s < 0 ||
          static_cast<size_t>(s) >= superclasses) {
        return Status::InvalidArgument("--server '" + spec + "': '" + item +
                                       "' is not a superclass (0.." +
                                       std::to_string(superclasses - 1) + ")");
      }
      o.model = ExpertModelName(s);
      owned.push_back(MakeOffloadClient(o));
      clients.back()[static_cast<size_t>(s)] = owned.back().get();
      at = comma + 1;
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadData(a.data_dir, Split::kTest));
  if (a.limit > 0) test = Head(test, a.limit);
  if (!a.corruption.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(test, ApplyCorruption(test, a.corruption, a.severity, /*seed=*/1));
  }
  TwoLevelDevice device(first.get(), config, clients, 0, std::chrono::milliseconds(a.deadline_ms),
                        nullptr, a.expert_budget);
  double wall = 0;
  HIEDGE_ASSIGN_OR_RETURN(auto records, RunTwoLevelDevice(device, test, &wall, true));
  const TwoLevelRunSummary summary = SummarizeTwoLevelRun(records, test, wall);
  std::printf("%s", summary.ToTable().c_str());
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/summary.json", summary.ToJson()));
  std::fprintf(stderr, "wrote %s/summary.json\n", a.out.c_str());
  return Status::Ok();
}

}  // namespace

void AddTwoLevelDeviceCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "twolevel-device",
      "Run the two-level device (seed 004) over the test set: first level here, mid-layer "
      "features to expert models on running edge servers");
  auto a = std::make_shared<TwoLevelDeviceArgs>();
  cmd->add_option("--config", a->config, "Two-level config")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  cmd->add_option("--server", a->servers,
                  "host:port=s1,s2,...: a server holding the experts of these superclasses "
                  "(served as models expert<s>); the first is this device's cluster")
      ->required();
  cmd->add_option("--corruption", a->corruption,
                  "Run a shifted test set: noise, blur, rotation, contrast or occlusion (seeded)")
      ->check(CLI::IsMember(CorruptionNames()));
  cmd->add_option("--severity", a->severity, "Corruption severity 1..5")
      ->check(CLI::Range(1, 5))
      ->capture_default_str();
  cmd->add_option("--transport", a->transport, "rest or grpc")
      ->check(RegisteredTransport())
      ->capture_default_str();
  cmd->add_option("--payload", a->payload,
                  "Feature datatype on the wire: fp32, or fp16 (half the bytes, rounded)")
      ->check(CLI::IsMember({"fp32", "fp16"}))
      ->capture_default_str();
  cmd->add_option("--deadline-ms", a->deadline_ms, "Deadline of each expert request")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--expert-budget", a->expert_budget,
                  "Expert calls per image, at most, over the run (0 = unlimited); samples "
                  "beyond it skip recall and parallel experts, flagged")
      ->check(NonNegative())
      ->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--limit", a->limit, "Test samples (0 = all)")->capture_default_str();
  cmd->add_option("--out", a->out, "Results folder")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunTwoLevelDeviceCommand(*a)); });
}

}  // namespace hiedge::cli
