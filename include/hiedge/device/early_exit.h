// Early-exit inference (EE-HI, seed 001 §5): a model runs stage by stage; after each
// early exit's stage, the samples whose exit confidence reaches that exit's threshold
// stop there and leave the batch, so later stages never run for them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hiedge/decision/offload_policy.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

namespace hiedge {

struct EarlyExitRun {
  // Per sample: the early exit that answered it (an index into
  // info().early_exit_after_stage), or -1 when it reached the final exit.
  std::vector<int> exit_of;
  FloatTensor logits;  // [N, classes]: the logits of the exit that answered each sample.
  // Rows each stage ran on, and each early-exit head: the work the exits saved.
  std::vector<int64_t> rows_per_stage;
  std::vector<int64_t> rows_per_exit_head;
};

// Runs `model` on `images` [N, ...input_shape]. `exits` has one OffloadPolicy per early
// exit of the model: a sample stops at exit k when exits[k] would not offload it (its
// module's score there reaches θ_k), so any confidence module, at any temperature,
// decides at the exits as at the final output. An exit whose θ lies above its module's
// score range is disabled (its head does not run). InvalidArgument when the policies do
// not match the model's exits; the backend's error when it cannot run stage by stage
// (Unimplemented).
Result<EarlyExitRun> RunWithEarlyExits(InferenceBackend& model, const FloatTensor& images,
                                       std::span<const OffloadPolicy> exits);
// The same with max softmax at every exit: a sample stops at exit k when its max
// probability there is >= thresholds[k]; a threshold > 1 disables the exit.
Result<EarlyExitRun> RunWithEarlyExits(InferenceBackend& model, const FloatTensor& images,
                                       std::span<const double> thresholds);

// The rows of `batch` [N, ...] listed in `rows` (ascending), as a new batch.
FloatTensor GatherRows(const FloatTensor& batch, std::span<const int64_t> rows);

}  // namespace hiedge
