// Early-exit inference (EE-HI, seed 001 §5): a model runs stage by stage; after each
// early exit's stage, the samples whose exit confidence reaches that exit's threshold
// stop there and leave the batch, so later stages never run for them.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

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

// Runs `model` on `images` [N, ...input_shape]. `thresholds` has one entry per early
// exit of the model: a sample stops at exit k when its max softmax there is >=
// thresholds[k]; a threshold > 1 disables the exit (its head does not run).
// InvalidArgument when the thresholds do not match the model's exits; the backend's
// error when it cannot run stage by stage (Unimplemented).
Result<EarlyExitRun> RunWithEarlyExits(InferenceBackend& model, const FloatTensor& images,
                                       std::span<const double> thresholds);

// The rows of `batch` [N, ...] listed in `rows` (ascending), as a new batch.
FloatTensor GatherRows(const FloatTensor& batch, std::span<const int64_t> rows);

}  // namespace hiedge
