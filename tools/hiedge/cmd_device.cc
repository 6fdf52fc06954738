#include <fmt/printf.h>

#include <cstdio>

#include "commands.h"
#include "hiedge/decision_config.h"
#include "hiedge/endpoint_selector.h"
#include "eval/eval.h"
#include "common/files.h"
#include "hiedge/model_card.h"

namespace hiedge::cli {
namespace {

struct DeviceArgs {
  std::string local = "models/sml.json";
  std::string decision;  // Decision config; overrides --theta.
  double theta = 0.9;
  double beta = 0.1;
  OffloadOptions server;
  std::vector<std::string> endpoints = {"127.0.0.1:8000"};
  std::string transport = "rest";
  std::string data_dir = kFashionMnistDir;
  size_t limit = 0;
  int deadline_ms = 500;
  size_t offload_batch = 1;
  double offload_batch_delay_ms = 2;
  double max_fallback_fraction = 0.01;
  bool force = false;
  std::string out = "results/device";
};

Status RunDeviceCommand(DeviceArgs a) {
  if (!a.decision.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(DecisionConfig config, ReadDecisionConfig(a.decision));
    HIEDGE_ASSIGN_OR_RETURN(const std::string model_id, ModelIdentity(a.local));
    if (Status fits = CheckCalibratedFor(config, model_id); !fits.ok()) {
      if (!a.force) return fits;
      std::fprintf(stderr, "warning (--force): %s\n", fits.message().c_str());
    }
    a.theta = config.theta;
    a.beta = config.offload_cost;
  }
  HIEDGE_ASSIGN_OR_RETURN(auto local, LoadModel(a.local));
  HIEDGE_ASSIGN_OR_RETURN(Dataset test, LoadFashionMnist(a.data_dir, Split::kTest));
  if (a.limit > 0) test = Head(test, a.limit);
  HIEDGE_ASSIGN_OR_RETURN(a.server.transport, ParseTransport(a.transport));
  std::vector<std::unique_ptr<OffloadClient>> links;
  for (const std::string& endpoint : a.endpoints) {
    OffloadOptions o = a.server;
    HIEDGE_RETURN_IF_ERROR(ParseHostPort(endpoint, &o));
    links.push_back(MakeOffloadClient(o));
  }
  std::unique_ptr<OffloadClient> client =
      links.size() == 1 ? std::move(links[0]) : MakeMultiEndpointClient(std::move(links));
  DeviceOptions options;
  options.theta = a.theta;
  options.offload_deadline = std::chrono::milliseconds(a.deadline_ms);
  options.offload_batch = a.offload_batch;
  options.offload_batch_delay =
      std::chrono::microseconds(static_cast<int64_t>(a.offload_batch_delay_ms * 1000));
  DeviceRuntime device(local.get(), client.get(), options);
  double wall = 0;
  HIEDGE_ASSIGN_OR_RETURN(std::vector<SampleRecord> records,
                          RunDevice(device, test, "device", &wall));
  const std::vector<StrategyResult> results = {
      Summarize("HI(theta)", a.theta, records, test, CostModel{a.beta, 1.0}, wall)};
  std::printf("%s", ResultsToTable(results).c_str());
  const std::vector<FallbackCause> causes = FallbackCauses(records);
  for (size_t i = 0; i < causes.size() && i < 5; ++i) {
    std::printf("fallback cause: %zu sample(s): %s\n", causes[i].count, causes[i].reason.c_str());
  }
  if (causes.size() > 5)
    std::printf("fallback cause: %zu more reasons in samples.csv\n", causes.size() - 5);
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/summary.json", ResultsToJson(results)));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(a.out + "/samples.csv", RecordsToCsv(records, test)));
  std::fprintf(stderr, "wrote %s/summary.json and %s/samples.csv\n", a.out.c_str(), a.out.c_str());
  const double fallback_fraction = test.size() == 0 ? 0
                                                    : static_cast<double>(results[0].fallbacks) /
                                                          static_cast<double>(test.size());
  if (fallback_fraction > a.max_fallback_fraction) {
    return Status::Unavailable(fmt::sprintf(
        "%.2f%% of samples fell back to the local answer (%zu of %zu), more than "
        "--max-fallback-fraction %.2f%%; causes above",
        100 * fallback_fraction, results[0].fallbacks, test.size(), 100 * a.max_fallback_fraction));
  }
  return Status::Ok();
}

}  // namespace

void AddDeviceCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "device", "Run the device over the test set, offloading to a running edge server");
  auto a = std::make_shared<DeviceArgs>();
  cmd->add_option("--local", a->local, "S-ML model card")->capture_default_str();
  cmd->add_option("--decision", a->decision, "Decision config from `hiedge calibrate`");
  cmd->add_flag("--force", a->force,
                "Use a decision config calibrated for another model than --local");
  cmd->add_option("--theta", a->theta, "Offload iff max softmax < theta (without --decision)")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--beta", a->beta, "Offload cost for the cost column")->capture_default_str();
  cmd->add_option("--server", a->endpoints,
                  "Edge server host:port; repeat for several, chosen per request by measured "
                  "round-trip time with failover")
      ->capture_default_str();
  cmd->add_option("--transport", a->transport,
                  "Offload protocol: rest or grpc (the server's gRPC port)")
      ->check(CLI::IsMember({"rest", "grpc"}))
      ->capture_default_str();
  cmd->add_option("--tls-root-cert", a->server.tls_root_cert_file,
                  "gRPC over TLS, trusting this PEM root")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", a->server.model, "Remote model name")->capture_default_str();
  cmd->add_option("--auth-token", a->server.bearer_token, "Bearer token for the edge server");
  cmd->add_option("--binary", a->server.binary, "REST: use the binary tensor data extension")
      ->capture_default_str();
  cmd->add_option("--deadline-ms", a->deadline_ms, "Offload deadline")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--offload-batch", a->offload_batch,
                  "Unsure samples sent per request (1 = each at once)")
      ->check(Positive())
      ->capture_default_str();
  cmd->add_option("--offload-batch-delay-ms", a->offload_batch_delay_ms,
                  "Longest an unsure sample waits for a fuller offload batch")
      ->check(NonNegative())
      ->capture_default_str();
  cmd->add_option("--max-fallback-fraction", a->max_fallback_fraction,
                  "Exit 5 when more than this fraction of samples fell back to the local answer "
                  "(server unreachable, errors, missed deadlines)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--data", a->data_dir, "Fashion-MNIST folder (idx files)")->capture_default_str();
  cmd->add_option("--limit", a->limit, "Test samples (0 = all)")->capture_default_str();
  cmd->add_option("--out", a->out, "Results folder")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunDeviceCommand(*a)); });
}

}  // namespace hiedge::cli
