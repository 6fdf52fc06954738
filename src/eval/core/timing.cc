#include "eval/core/timing.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "eval/links/link_emulator.h"
#include "hiedge/device/device.h"
#include "hiedge/server/http_server.h"

namespace hiedge {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

FloatTensor OneImage(const Dataset& data, size_t i) {
  FloatTensor t{{1, data.channels, data.height, data.width}, {}};
  t.data.assign(data.image(i), data.image(i) + data.image_elements());
  return t;
}

}  // namespace

Result<JobTimes> MeasureJobTimes(InferenceBackend& local, std::shared_ptr<InferenceBackend> remote,
                                 const Dataset& data, int samples) {
  const size_t n = std::min(data.size(), static_cast<size_t>(std::max(samples, 1)));
  if (n == 0) return Status::InvalidArgument("no images to time");
  InferenceService service;
  HIEDGE_RETURN_IF_ERROR(service.AddModel("remote", std::move(remote)));
  HttpServer server(&service, {"127.0.0.1", 0});
  HIEDGE_RETURN_IF_ERROR(server.Start());
  auto client = MakeOffloadClient({"127.0.0.1", server.port(), "remote", true});
  JobTimes t;
  for (size_t i = 0; i < n; ++i) {
    const FloatTensor x = OneImage(data, i);
    auto start = Clock::now();
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor l, local.Infer(x));
    t.local_ms += Ms(Clock::now() - start);
    start = Clock::now();
    HIEDGE_ASSIGN_OR_RETURN(FloatTensor r, client->Infer(x, std::chrono::seconds(10)));
    t.offload_ms += Ms(Clock::now() - start);
  }
  server.Stop();
  t.local_ms /= static_cast<double>(n);
  t.offload_ms /= static_cast<double>(n);
  return t;
}

Result<std::vector<LinkRoundTrip>> MeasureOffloadOverLinks(
    std::shared_ptr<InferenceBackend> remote, const Dataset& data, int samples,
    const std::vector<eval::LinkProfile>& links) {
  if (data.size() == 0 || samples <= 0) return Status::InvalidArgument("no images to time");
  InferenceService service;
  HIEDGE_RETURN_IF_ERROR(service.AddModel("remote", std::move(remote)));
  HttpServer server(&service, {"127.0.0.1", 0});
  HIEDGE_RETURN_IF_ERROR(server.Start());
  const double request_bytes = static_cast<double>(data.image_elements() * sizeof(float));
  std::vector<LinkRoundTrip> out;
  for (const eval::LinkProfile& link : links) {
    HIEDGE_ASSIGN_OR_RETURN(const std::unique_ptr<eval::LinkEmulator> emulator,
                            eval::EmulateIfShaped(link, server.port()));
    auto client = MakeOffloadClient(
        {"127.0.0.1", emulator ? emulator->port() : server.port(), "remote", true});
    // About 10 s of the profile's own time per link, whatever its speed.
    const double modelled_ms = std::max(eval::RoundTripMs(link, request_bytes, 64), 0.01);
    const int n = std::clamp(static_cast<int>(10000 / modelled_ms), std::min(20, samples), samples);
    LinkRoundTrip trip{link.name, 0, n};
    for (int i = 0; i <= n; ++i) {
      const FloatTensor x = OneImage(data, static_cast<size_t>(i) % data.size());
      const auto start = Clock::now();
      HIEDGE_RETURN_IF_ERROR(client->Infer(x, std::chrono::seconds(30)).status());
      if (i > 0) trip.offload_ms += Ms(Clock::now() - start);  // Request 0 warms up.
    }
    trip.offload_ms /= static_cast<double>(n);
    out.push_back(trip);
  }
  server.Stop();
  return out;
}

Result<std::vector<SplitMeasurement>> MeasurePartitioning(InferenceBackend& model,
                                                          const Dataset& data, int samples) {
  const size_t n = std::min(data.size(), static_cast<size_t>(std::max(samples, 1)));
  if (n == 0) return Status::InvalidArgument("no images to time");
  const int stages = model.info().num_stages;
  std::vector<SplitMeasurement> out;
  for (int split = 0; split <= stages; ++split) {
    SplitMeasurement m;
    m.split_after_stage = split;
    for (size_t i = 0; i < n; ++i) {
      FloatTensor activation = OneImage(data, i);
      auto start = Clock::now();
      if (split > 0) {
        HIEDGE_ASSIGN_OR_RETURN(activation, model.RunStages(activation, 0, split));
      }
      m.head_ms += Ms(Clock::now() - start);
      m.activation_shape.assign(activation.shape.begin() + 1, activation.shape.end());
      m.activation_bytes = static_cast<int64_t>(activation.data.size() * sizeof(float));
      start = Clock::now();
      if (split < stages) {
        HIEDGE_ASSIGN_OR_RETURN(FloatTensor logits, model.RunStages(activation, split, stages));
      }
      m.tail_ms += Ms(Clock::now() - start);
    }
    m.head_ms /= static_cast<double>(n);
    m.tail_ms /= static_cast<double>(n);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace hiedge
