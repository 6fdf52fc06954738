#include <cstdio>
#include <optional>

#include "commands.h"
#include "common/files.h"
#include "device_flags.h"
#include "eval/eval.h"
#include "hiedge/data_source.h"
#include "hiedge/decision_config.h"
#include "hiedge/endpoint_selector.h"
#include "hiedge/model_card.h"

namespace hiedge::cli {
namespace {

struct DeviceArgs {
  DeviceFlags device;
  std::string data_dir = kFashionMnistDir;
  size_t limit = 0;
};

Status RunDeviceCommand(const DeviceArgs& a, std::optional<DriftDetector>* drift) {
  HIEDGE_ASSIGN_OR_RETURN(DeviceSetup setup, SetUpDevice(a.device));
  const ModelInfo& local = setup.local->info();
  HIEDGE_ASSIGN_OR_RETURN(
      Dataset test,
      LoadDataForModel(a.data_dir, Split::kTest, local.input_shape, local.num_classes, local.name));
  if (a.limit > 0) test = Head(test, a.limit);
  DeviceRuntime device(setup.local.get(), setup.client.get(), setup.options);
  double wall = 0;
  HIEDGE_ASSIGN_OR_RETURN(std::vector<SampleRecord> records,
                          RunDevice(device, test, "device", &wall, true, a.device.label_audits));
  const std::vector<StrategyResult> results = {
      Summarize("HI(" + setup.options.policy.Describe() + ")", setup.options.policy.theta(),
                records, test, CostModel{setup.beta, 1.0}, wall)};
  std::printf("%s%s", ResultsToTable(results).c_str(), LearnerSummaryLine(device).c_str());
  if (device.ignored_prices() > 0) {
    std::printf("warning: %llu offload price(s) from the server were nonsense and ignored\n",
                static_cast<unsigned long long>(device.ignored_prices()));
  }
  HIEDGE_RETURN_IF_ERROR(SaveLearnerState(a.device, device));
  if (device.drift() != nullptr) *drift = *device.drift();
  const std::vector<FallbackCause> causes = FallbackCauses(records);
  for (size_t i = 0; i < causes.size() && i < 5; ++i) {
    std::printf("fallback cause: %zu sample(s): %s\n", causes[i].count, causes[i].reason.c_str());
  }
  if (causes.size() > 5)
    std::printf("fallback cause: %zu more reasons in samples.csv\n", causes.size() - 5);
  const std::string& out = a.device.out;
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(out + "/summary.json", ResultsToJson(results)));
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(out + "/samples.csv", RecordsToCsv(records, test)));
  std::fprintf(stderr, "wrote %s/summary.json and %s/samples.csv\n", out.c_str(), out.c_str());
  HIEDGE_RETURN_IF_ERROR(device.offload_stopped());
  return CheckFallbackFraction(results[0].fallbacks, test.size(), a.device.max_fallback_fraction);
}

}  // namespace

void AddDeviceCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "device", "Run the device over the test set, offloading to a running edge server");
  auto a = std::make_shared<DeviceArgs>();
  AddDeviceFlags(cmd, &a->device);
  cli::AddDataOption(cmd, &a->data_dir);
  cmd->add_option("--limit", a->limit, "Test samples (0 = all)")->capture_default_str();
  cmd->callback([a, exit_code] {
    std::optional<DriftDetector> drift;
    const Status status = RunDeviceCommand(*a, &drift);
    *exit_code = ExitCodeWithDrift(status, drift ? &*drift : nullptr);
  });
}

}  // namespace hiedge::cli
