// `hiedge early-exit`: the early-exit HI study alone (seed 001 §5), with the offload
// round trip measured over emulated links as well as loopback, so EE-HI's saving over HI
// is reported per link. `hiedge eval` runs the same study on loopback only.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "eval/core/timing.h"
#include "eval/early_exit/ee_study.h"
#include "eval/links/link_profile.h"
#include "hiedge/data/data_source.h"
#include "hiedge/decision/device_profile.h"

namespace hiedge::cli {
namespace {

struct EarlyExitArgs {
  std::string remote = "models/lml.json";
  std::string data_dir = kFashionMnistDir;
  std::vector<std::string> ee_models = {"models/sml.json", "models/resnet8.json",
                                        "models/resnet20.json"};
  std::string profiles = "data/device_profiles.json";
  std::vector<std::string> links = {"wifi", "ble", "lan100", "cellular"};
  std::string out = "results/early_exit";
  int timing_samples = 200;
  size_t limit = 0;  // Images per split; 0 = all.
  int threads = 1;
};

Status RunEarlyExit(const EarlyExitArgs& a) {
  // Every link is checked before the long work starts.
  std::vector<eval::LinkProfile> links;
  std::vector<std::string> names = {"loopback"};  // The first: the study's own offload time.
  names.insert(names.end(), a.links.begin(), a.links.end());
  for (const std::string& name : names) {
    HIEDGE_ASSIGN_OR_RETURN(eval::LinkProfile link, eval::ParseLinkProfile(name));
    links.push_back(std::move(link));
  }
  EeStudyInputs common;
  HIEDGE_ASSIGN_OR_RETURN(common.profiles, LoadDeviceProfiles(a.profiles));
  HIEDGE_ASSIGN_OR_RETURN(std::shared_ptr<InferenceBackend> remote,
                          LoadModel(a.remote, {"", a.threads}));
  HIEDGE_ASSIGN_OR_RETURN(StudySplits splits, LoadStudySplits(a.data_dir, remote->info()));
  Dataset validation = std::move(splits.validation);
  Dataset test = std::move(splits.test);
  if (a.limit > 0) {
    validation = Head(validation, std::min(a.limit, validation.size()));
    test = Head(test, std::min(a.limit, test.size()));
  }

  std::fprintf(stderr, "offload round trips over %zu links\n", links.size());
  HIEDGE_ASSIGN_OR_RETURN(std::vector<LinkRoundTrip> trips,
                          MeasureOffloadOverLinks(remote, test, a.timing_samples, links));
  common.offload_ms = trips.front().offload_ms;
  common.links.assign(trips.begin() + 1, trips.end());
  common.timing_samples = a.timing_samples;
  HIEDGE_ASSIGN_OR_RETURN(const Predictions remote_validation,
                          Predict(*remote, validation, 500, true));
  HIEDGE_ASSIGN_OR_RETURN(const Predictions remote_test, Predict(*remote, test, 500, true));
  common.validation = &validation;
  common.test = &test;
  common.remote_validation = &remote_validation;
  common.remote_test = &remote_test;
  HIEDGE_ASSIGN_OR_RETURN(
      const std::vector<EeModelStudy> studies,
      RunEeStudies(a.ee_models, common, AccuracyOf(remote_validation, validation)));

  std::filesystem::create_directories(a.out);
  HIEDGE_ASSIGN_OR_RETURN(const std::string markdown, WriteEeStudy(studies, a.out, "."));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/early_exit.md", markdown));
  HIEDGE_RETURN_IF_ERROR(
      WriteTextFile(a.out + "/early_exit.json", EeStudiesToJson(studies).dump(2) + "\n"));
  std::printf("%s", markdown.c_str());
  std::fprintf(stderr, "wrote %s/early_exit.md, early_exit.json and the plots\n", a.out.c_str());
  return Status::Ok();
}

}  // namespace

void AddEarlyExitCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "early-exit",
      "Early-exit HI against HI (seed 001 §5) per device profile and per emulated link");
  auto a = std::make_shared<EarlyExitArgs>();
  cmd->add_option("--remote", a->remote, "L-ML model card")->capture_default_str();
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--ee-models", a->ee_models, "S-ML cards with early exits")
      ->capture_default_str();
  cmd->add_option("--profiles", a->profiles, "Device profiles JSON ('' = none)")
      ->capture_default_str();
  cmd->add_option("--link", a->links,
                  "Emulated links to measure the offload over (repeatable): wifi, ble, lan100, "
                  "cellular, or up=B/s,down=B/s,delay=MS,jitter=MS,loss=P (docs/links.md)")
      ->capture_default_str();
  cmd->add_option("--out", a->out, "Folder for early_exit.md, early_exit.json and plots")
      ->capture_default_str();
  cmd->add_option("--timing-samples", a->timing_samples,
                  "Images timed per stage and per link (fewer over slow links)")
      ->check(CLI::Range(20, 100000))
      ->capture_default_str();
  cmd->add_option("--limit", a->limit, "Images of each split to use (0 = all)")
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "Intra-op threads of the L-ML")
      ->check(Positive())
      ->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunEarlyExit(*a)); });
}

}  // namespace hiedge::cli
