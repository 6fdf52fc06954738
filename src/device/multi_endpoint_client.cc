#include <algorithm>
#include <chrono>

#include "hiedge/common/clock.h"
#include "hiedge/device/device.h"
#include "hiedge/decision/endpoint_selector.h"

namespace hiedge {
namespace {

class MultiEndpointClient final : public OffloadClient {
 public:
  MultiEndpointClient(std::vector<std::unique_ptr<OffloadClient>> endpoints,
                      EndpointSelectorOptions options, MicrosClock clock)
      : endpoints_(std::move(endpoints)),
        selector_(endpoints_.size(), options),
        clock_(clock ? std::move(clock) : MicrosClock(SteadyMicros)) {}

  Result<FloatTensor> Infer(const FloatTensor& images,
                            std::chrono::microseconds deadline) override {
    ServerReport ignored;
    return InferReporting(images, deadline, &ignored);
  }

  // The report is the answering endpoint's; its queue wait also feeds the selector.
  Result<FloatTensor> InferReporting(const FloatTensor& images, std::chrono::microseconds deadline,
                                     ServerReport* report) override {
    if (endpoints_.empty()) return Status::Unavailable("no edge server endpoints configured");
    const int64_t give_up = clock_() + deadline.count();
    std::vector<bool> tried(endpoints_.size(), false);
    Status last = Status::Unavailable("no endpoint tried");
    for (size_t attempt = 0; attempt < endpoints_.size(); ++attempt) {
      const int64_t start = clock_();
      if (start >= give_up) break;
      size_t pick = selector_.Choose(start);
      if (tried[pick]) {  // The selector's favourite failed already: take any untried.
        pick = static_cast<size_t>(std::find(tried.begin(), tried.end(), false) - tried.begin());
      }
      tried[pick] = true;
      Result<FloatTensor> result = endpoints_[pick]->InferReporting(
          images, std::chrono::microseconds(give_up - start), report);
      const int64_t end = clock_();
      if (result.ok()) {
        selector_.RecordSuccess(pick, static_cast<double>(end - start), end,
                                static_cast<double>(report->queue_us));
        return result;
      }
      selector_.RecordFailure(pick, end);
      last = result.status();
    }
    return last;
  }

 private:
  std::vector<std::unique_ptr<OffloadClient>> endpoints_;
  EndpointSelector selector_;
  MicrosClock clock_;
};

}  // namespace

std::unique_ptr<OffloadClient> MakeMultiEndpointClient(
    std::vector<std::unique_ptr<OffloadClient>> endpoints, EndpointSelectorOptions options,
    MicrosClock clock) {
  return std::make_unique<MultiEndpointClient>(std::move(endpoints), options, std::move(clock));
}

}  // namespace hiedge
