#include "eval/fleet/fleet_devices.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <thread>

#include "hiedge/common/clock.h"

namespace hiedge::fleet {
namespace {

// The S-ML as a device sees it, answering from logits computed before the run. The
// harness selects the image before each Submit. One per device thread.
class ReplayBackend final : public InferenceBackend {
 public:
  ReplayBackend(const ModelInfo& info, const ReplayedStream& stream)
      : info_(info), stream_(stream) {}
  void Select(size_t index) { index_ = index; }

  const ModelInfo& info() const override { return info_; }
  Result<FloatTensor> Infer(const FloatTensor& input) override {
    if (input.shape.empty() || input.shape[0] != 1)
      return Status::InvalidArgument("the replayed S-ML answers one sample at a time");
    const auto classes = static_cast<size_t>(stream_.classes);
    const float* row = stream_.sml_logits.data() + index_ * classes;
    return FloatTensor{{1, stream_.classes}, std::vector<float>(row, row + classes)};
  }

 private:
  ModelInfo info_;
  const ReplayedStream& stream_;
  size_t index_ = 0;
};

Cause CauseOf(const std::string& error) {
  if (error.rfind("OVERLOADED", 0) == 0) return Cause::kRefused;
  if (error.rfind("DEADLINE_EXCEEDED", 0) == 0) return Cause::kDeadline;
  if (error.find("circuit open") != std::string::npos) return Cause::kCircuitOpen;
  return Cause::kOther;
}

void RunDevice(const DeviceSpec& spec, int64_t start_us, int64_t run_end_us, DeviceLog* log) {
  const int64_t end_us =
      spec.leave_us > 0 ? std::min(run_end_us, start_us + spec.leave_us) : run_end_us;
  const ModelInfo& sml_info = *spec.sml_info;
  const double sml_ms = spec.sml_ms;
  const Dataset& images = *spec.stream->images;
  ReplayBackend replay(sml_info, *spec.stream);
  std::unique_ptr<OffloadClient> client = MakeOffloadClient(spec.link);
  DeviceRuntime runtime(&replay, client.get(), spec.options);
  std::mt19937_64 rng(spec.seed);
  std::vector<size_t> order(images.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const double period_us = 1e6 / spec.rate_hz;
  std::exponential_distribution<double> gap(1.0 / period_us);
  std::uniform_real_distribution<double> phase(0, period_us);
  const std::vector<int64_t> shape(sml_info.input_shape.begin(), sml_info.input_shape.end());
  const auto pixels = static_cast<size_t>(images.channels * images.height * images.width);
  std::map<std::string, uint64_t> causes;
  log->samples.reserve(static_cast<size_t>(
      std::max<double>(0, static_cast<double>(end_us - start_us - spec.join_us)) / period_us * 1.1 +
      16));

  double next_us = static_cast<double>(start_us + spec.join_us) + phase(rng);
  for (size_t k = 0;; ++k) {
    const auto arrival_us = static_cast<int64_t>(next_us);
    if (arrival_us >= end_us) break;
    const int64_t now = SteadyMicros();
    if (arrival_us > now) std::this_thread::sleep_for(std::chrono::microseconds(arrival_us - now));
    const size_t index = order[k % order.size()];
    replay.Select(index);
    const TensorView image{{images.images.data() + index * pixels, pixels}, shape};
    auto answers = runtime.Submit(k, image);
    const int64_t answered_us = SteadyMicros();
    if (answers.ok()) {
      for (const DeviceRuntime::Answer& a : *answers) {
        SampleLog s;
        s.arrival_ms = static_cast<float>(static_cast<double>(arrival_us - start_us) / 1000);
        s.latency_ms =
            static_cast<float>(static_cast<double>(answered_us - arrival_us) / 1000 + sml_ms);
        s.device = static_cast<uint16_t>(spec.id);
        s.offloaded = a.record.offloaded;
        s.fallback = a.record.fallback;
        s.correct = a.record.final_prediction == images.labels[index];
        if (a.record.fallback) {
          s.cause = CauseOf(a.record.offload_error);
          ++causes[a.record.offload_error.substr(0, 80)];
        }
        log->samples.push_back(s);
      }
    }
    next_us += spec.poisson ? gap(rng) : period_us;
  }
  log->causes.assign(causes.begin(), causes.end());
  log->ignored_prices = runtime.ignored_prices();
}

}  // namespace

std::vector<DeviceLog> RunDevices(const std::vector<DeviceSpec>& devices, int64_t start_us,
                                  int64_t end_us) {
  std::vector<DeviceLog> logs(devices.size());
  std::vector<std::thread> threads;
  threads.reserve(devices.size());
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back(RunDevice, std::cref(devices[i]), start_us, end_us, &logs[i]);
  }
  for (std::thread& t : threads) t.join();
  return logs;
}

}  // namespace hiedge::fleet
