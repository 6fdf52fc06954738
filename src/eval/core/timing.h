// Measured timings for the strategy study: per-job device and offload times over a
// real loopback server, and DNN partitioning of a staged model at every split point.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/links/link_profile.h"
#include "hiedge/data/data.h"
#include "hiedge/decision/schedule.h"
#include "hiedge/engine/model.h"

namespace hiedge {

// Mean S-ML batch-1 time, and mean offload round trip to `remote` served by an
// in-process REST server on loopback, over the first `samples` images of `data`.
Result<JobTimes> MeasureJobTimes(InferenceBackend& local, std::shared_ptr<InferenceBackend> remote,
                                 const Dataset& data, int samples);

// The mean offload round trip over one link: the device's REST request (binary FP32
// tensor, batch 1) through the link emulator to an in-process server and back.
struct LinkRoundTrip {
  std::string link;  // The profile's name (ParseLinkProfile names every profile).
  double offload_ms = 0;
  int samples = 0;
};

// LinkRoundTrip for each of `links` in turn, over the first `samples` images of `data`
// (fewer over slow links: at most what fits in about 10 s of the profile's model time,
// and at least 20). One server and one emulator per link; the first request of each is
// a warm-up, not counted.
Result<std::vector<LinkRoundTrip>> MeasureOffloadOverLinks(
    std::shared_ptr<InferenceBackend> remote, const Dataset& data, int samples,
    const std::vector<eval::LinkProfile>& links);

struct SplitMeasurement {
  int split_after_stage = 0;              // Device runs stages [0, split); server the rest.
  std::vector<int64_t> activation_shape;  // What crosses the link, per sample.
  int64_t activation_bytes = 0;           // float32
  double head_ms = 0;                     // Device part, batch 1.
  double tail_ms = 0;                     // Server part, batch 1.
};

// Splits `model` after every stage (0 = send the image, num_stages = run all on the
// device) and times both parts at batch 1 over `samples` images.
Result<std::vector<SplitMeasurement>> MeasurePartitioning(InferenceBackend& model,
                                                          const Dataset& data, int samples);

}  // namespace hiedge
