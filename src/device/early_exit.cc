#include "hiedge/device/early_exit.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "hiedge/decision/decision.h"

namespace hiedge {

FloatTensor GatherRows(const FloatTensor& batch, std::span<const int64_t> rows) {
  FloatTensor out{batch.shape, {}};
  out.shape[0] = static_cast<int64_t>(rows.size());
  const auto width = static_cast<size_t>(batch.row_size());
  out.data.resize(rows.size() * width);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::memcpy(out.data.data() + i * width, batch.row(rows[i]), width * sizeof(float));
  }
  return out;
}

Result<EarlyExitRun> RunWithEarlyExits(InferenceBackend& model, const FloatTensor& images,
                                       std::span<const double> thresholds) {
  std::vector<OffloadPolicy> exits;
  for (double theta : thresholds) exits.push_back(OffloadPolicy::MaxSoftmax(theta));
  return RunWithEarlyExits(model, images, std::span<const OffloadPolicy>(exits));
}

Result<EarlyExitRun> RunWithEarlyExits(InferenceBackend& model, const FloatTensor& images,
                                       std::span<const OffloadPolicy> exits) {
  const ModelInfo& info = model.info();
  const std::vector<int>& exit_stage = info.early_exit_after_stage;
  if (exits.size() != exit_stage.size()) {
    return Status::InvalidArgument("model " + info.name + " has " +
                                   std::to_string(exit_stage.size()) + " early exit(s) but " +
                                   std::to_string(exits.size()) + " threshold(s) were given");
  }
  if (images.shape.empty() || images.shape[0] < 1) {
    return Status::InvalidArgument("early-exit inference needs a batch of at least one sample");
  }
  const int64_t n = images.shape[0];
  EarlyExitRun run;
  run.exit_of.assign(static_cast<size_t>(n), -1);
  run.rows_per_stage.assign(static_cast<size_t>(info.num_stages), 0);
  run.rows_per_exit_head.assign(exit_stage.size(), 0);
  run.logits = {{n, info.num_classes},
                std::vector<float>(static_cast<size_t>(n * info.num_classes))};
  std::vector<int64_t> alive(static_cast<size_t>(n));  // Original index of each row of x.
  std::iota(alive.begin(), alive.end(), 0);
  auto place = [&](int64_t sample, const float* logits) {
    std::memcpy(run.logits.data.data() + sample * info.num_classes, logits,
                static_cast<size_t>(info.num_classes) * sizeof(float));
  };
  FloatTensor x = images;
  int stage = 0;  // Next stage to run on x.
  for (size_t k = 0; k < exit_stage.size(); ++k) {
    const OffloadPolicy& policy = exits[k];
    // Disabled: no score reaches θ, so its head never runs.
    if (policy.theta() > policy.module().ScoreRange(info.num_classes).second) continue;
    const int last = exit_stage[k] + 1;
    if (last > stage) {
      HIEDGE_ASSIGN_OR_RETURN(x, model.RunStages(x, stage, last));
      for (int s = stage; s < last; ++s) run.rows_per_stage[static_cast<size_t>(s)] += x.rows();
      stage = last;
    }
    HIEDGE_ASSIGN_OR_RETURN(const FloatTensor exit_logits, model.RunExit(x, static_cast<int>(k)));
    run.rows_per_exit_head[k] += x.rows();
    std::vector<int64_t> keep;
    for (int64_t r = 0; r < x.rows(); ++r) {
      const float* row = exit_logits.row(r);
      if (!policy.Decide(std::span<const float>(row, static_cast<size_t>(exit_logits.row_size())))
               .offload) {
        run.exit_of[static_cast<size_t>(alive[static_cast<size_t>(r)])] = static_cast<int>(k);
        place(alive[static_cast<size_t>(r)], row);
      } else {
        keep.push_back(r);
      }
    }
    if (keep.empty()) return run;  // Every sample exited: later stages never run.
    if (static_cast<int64_t>(keep.size()) < x.rows()) {
      x = GatherRows(x, keep);
      std::vector<int64_t> still(keep.size());
      for (size_t i = 0; i < keep.size(); ++i) still[i] = alive[static_cast<size_t>(keep[i])];
      alive = std::move(still);
    }
  }
  if (stage < info.num_stages) {
    HIEDGE_ASSIGN_OR_RETURN(x, model.RunStages(x, stage, info.num_stages));
    for (int s = stage; s < info.num_stages; ++s)
      run.rows_per_stage[static_cast<size_t>(s)] += x.rows();
  }
  for (size_t i = 0; i < alive.size(); ++i) place(alive[i], x.row(static_cast<int64_t>(i)));
  return run;
}

}  // namespace hiedge
