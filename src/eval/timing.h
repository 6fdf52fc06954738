// Measured timings for the strategy study: per-job device and offload times over a
// real loopback server, and DNN partitioning of a staged model at every split point.
#pragma once

#include <cstdint>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"
#include "hiedge/decision/schedule.h"

namespace hiedge {

// Mean S-ML batch-1 time, and mean offload round trip to `remote` served by an
// in-process REST server on loopback, over the first `samples` images of `data`.
Result<JobTimes> MeasureJobTimes(InferenceBackend& local, std::shared_ptr<InferenceBackend> remote,
                                 const Dataset& data, int samples);

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
