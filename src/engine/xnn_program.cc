#include "engine/xnn_program.h"

#include <xnnpack.h>

#include <algorithm>
#include <cstring>
#include <functional>

#include "engine/xnn_compiler.h"
#include "engine/xnn_step.h"

namespace hiedge::engine {

std::vector<int64_t> StorageToOnnx(const XnnValue& v) {
  const std::vector<int64_t>& dims = v.permuted() ? v.dims : v.hwc_source;
  if (dims.empty()) return {};
  const int64_t c = dims[0], pixels = dims[1] * dims[2];
  std::vector<int64_t> map(static_cast<size_t>(c * pixels));
  for (int64_t ci = 0; ci < c; ++ci) {
    for (int64_t p = 0; p < pixels; ++p) map[static_cast<size_t>(p * c + ci)] = ci * pixels + p;
  }
  return map;
}

Result<std::unique_ptr<XnnProgram>> XnnProgram::Compile(const OnnxGraph& graph,
                                                        pthreadpool_t threadpool) {
  static const xnn_status initialized = xnn_initialize(nullptr);
  HIEDGE_RETURN_IF_ERROR(XnnCheck(initialized, "xnn_initialize (is this CPU supported?)"));
  std::unique_ptr<XnnProgram> program(new XnnProgram());
  program->threadpool_ = threadpool;
  XnnCompiler compiler(graph, *program);
  HIEDGE_RETURN_IF_ERROR(compiler.Compile());
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int>* plan,
                          program->PlanFor(program->input_, std::vector<int>{program->final_}));
  for (int s : *plan) program->macs_to_final_ += program->steps_[static_cast<size_t>(s)]->macs;
  program->CountStageMacs();
  return program;
}

XnnProgram::~XnnProgram() = default;

void XnnProgram::CountStageMacs() {
  // Best effort: a quantised model's stage boundaries may not be separable (its plans
  // from a stage output fail); it then reports no per-stage MACs.
  std::vector<int64_t> stages, heads;
  int from = input_;
  for (int stage_output : stage_outputs_) {
    const Result<int64_t> macs = MacsBetween(from, stage_output);
    if (!macs.ok()) return;
    stages.push_back(*macs);
    from = stage_output;
  }
  for (size_t e = 0; e < exit_outputs_.size(); ++e) {
    const Result<int64_t> macs =
        MacsBetween(stage_outputs_[static_cast<size_t>(exit_after_stage_[e])], exit_outputs_[e]);
    if (!macs.ok()) return;
    heads.push_back(*macs);
  }
  stage_macs_ = std::move(stages);
  exit_head_macs_ = std::move(heads);
}

Result<int64_t> XnnProgram::MacsBetween(int from, int to) {
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int>* plan, PlanFor(from, std::vector<int>{to}));
  int64_t macs = 0;
  for (int s : *plan) macs += steps_[static_cast<size_t>(s)]->macs;
  return macs;
}

std::vector<std::string> XnnProgram::StepDescriptions() const {
  std::vector<std::string> out;
  for (const auto& step : steps_) out.push_back(step->description);
  return out;
}

Result<const std::vector<int>*> XnnProgram::PlanFor(int from, std::span<const int> targets) {
  std::vector<int> key = {from};
  key.insert(key.end(), targets.begin(), targets.end());
  if (auto it = plans_.find(key); it != plans_.end()) return &it->second;
  std::vector<bool> needed(steps_.size(), false);
  std::vector<bool> visited(values_.size(), false);
  std::function<Status(int)> require = [&](int v) -> Status {
    if (visited[static_cast<size_t>(v)]) return Status::Ok();
    visited[static_cast<size_t>(v)] = true;
    const int step = producer_[static_cast<size_t>(v)];
    // Aliases share storage (and its order): importing `from` provides them all.
    if (values_[static_cast<size_t>(v)].root == values_[static_cast<size_t>(from)].root) {
      return Status::Ok();
    }
    if (step < 0) {
      return Status::InvalidArgument("'" + values_[static_cast<size_t>(v)].name +
                                     "' cannot be computed from '" +
                                     values_[static_cast<size_t>(from)].name + "'");
    }
    needed[static_cast<size_t>(step)] = true;
    for (int in : steps_[static_cast<size_t>(step)]->inputs) HIEDGE_RETURN_IF_ERROR(require(in));
    return Status::Ok();
  };
  for (int t : targets) HIEDGE_RETURN_IF_ERROR(require(t));
  std::vector<int> plan;
  for (size_t s = 0; s < steps_.size(); ++s) {
    if (needed[s]) plan.push_back(static_cast<int>(s));
  }
  return &plans_.emplace(std::move(key), std::move(plan)).first->second;
}

void XnnProgram::ResizeBuffers(size_t batch) {
  if (batch <= buffer_batch_) return;  // Grow only: stable pointers keep setups cheap.
  buffers_.resize(buffer_elements_.size());
  for (size_t b = 0; b < buffers_.size(); ++b) {
    // XNNPACK may read XNN_EXTRA_BYTES past the end of an input.
    buffers_[b].assign(
        batch * static_cast<size_t>(buffer_elements_[b]) + XNN_EXTRA_BYTES / sizeof(float) + 1,
        0.0f);
  }
  buffer_batch_ = batch;
}

Status XnnProgram::RunPass(const std::vector<int>& plan, const XnnValue& source,
                           std::span<const float> rows_data, size_t rows) {
  const auto per_sample = static_cast<size_t>(source.elements());
  float* dst = buffers_[static_cast<size_t>(source.buffer)].data();
  const std::vector<int64_t> in_order = StorageToOnnx(source);
  if (in_order.empty()) {
    std::memcpy(dst, rows_data.data(), rows_data.size() * sizeof(float));
  } else {
    for (size_t n = 0; n < rows; ++n) {
      const float* row = rows_data.data() + n * per_sample;
      for (size_t s = 0; s < per_sample; ++s) dst[n * per_sample + s] = row[in_order[s]];
    }
  }
  std::vector<const float*> ins;
  for (int s : plan) {
    XnnStep& step = *steps_[static_cast<size_t>(s)];
    ins.clear();
    for (int v : step.inputs) {
      ins.push_back(buffers_[static_cast<size_t>(values_[static_cast<size_t>(v)].buffer)].data());
    }
    float* out =
        buffers_[static_cast<size_t>(values_[static_cast<size_t>(step.output)].buffer)].data();
    const Status status = step.run(rows, ins, out, threadpool_);
    if (!status.ok()) return Status::Internal(step.description + ": " + status.message());
    ++steps_run_;
    if (observer_) {
      const XnnValue& v = values_[static_cast<size_t>(step.output)];
      if (!v.int8) observer_(step.output, {out, rows * static_cast<size_t>(v.elements())});
    }
  }
  return Status::Ok();
}

Result<std::vector<FloatTensor>> XnnProgram::Run(int from, const TensorView& input,
                                                 std::span<const int> targets) {
  const XnnValue& source = values_[static_cast<size_t>(from)];
  for (int t : targets) {
    if (source.int8 || values_[static_cast<size_t>(t)].int8) {
      return Status::InvalidArgument("'" + values_[static_cast<size_t>(t)].name +
                                     "' is quantised inside the model; only float values "
                                     "enter and leave it");
    }
  }
  if (input.shape.empty() || input.shape[0] < 1) {
    return Status::InvalidArgument("a batch needs at least one row");
  }
  const auto batch = static_cast<size_t>(input.shape[0]);
  const auto per_sample = static_cast<size_t>(source.elements());
  if (input.data.size() != batch * per_sample) {
    return Status::InvalidArgument("'" + source.name + "' takes " + std::to_string(per_sample) +
                                   " values per sample; got " + std::to_string(input.data.size()) +
                                   " for " + std::to_string(batch) + " samples");
  }
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<int>* plan, PlanFor(from, targets));
  std::vector<FloatTensor> outputs;
  for (int t : targets) {
    const XnnValue& v = values_[static_cast<size_t>(t)];
    FloatTensor out;
    out.shape = {static_cast<int64_t>(batch)};
    out.shape.insert(out.shape.end(), v.dims.begin(), v.dims.end());
    out.data.resize(batch * static_cast<size_t>(v.elements()));
    outputs.push_back(std::move(out));
  }
  const size_t pass_rows = std::min(batch, kRowsPerPass);
  ResizeBuffers(pass_rows);
  for (size_t first = 0; first < batch; first += pass_rows) {
    const size_t rows = std::min(pass_rows, batch - first);
    HIEDGE_RETURN_IF_ERROR(
        RunPass(*plan, source, input.data.subspan(first * per_sample, rows * per_sample), rows));
    for (size_t i = 0; i < targets.size(); ++i) {
      const XnnValue& v = values_[static_cast<size_t>(targets[i])];
      const auto elements = static_cast<size_t>(v.elements());
      const float* src = buffers_[static_cast<size_t>(v.buffer)].data();
      float* dst = outputs[i].data.data() + first * elements;
      const std::vector<int64_t> order = StorageToOnnx(v);
      if (order.empty()) {
        std::memcpy(dst, src, rows * elements * sizeof(float));
        continue;
      }
      for (size_t n = 0; n < rows; ++n) {
        for (size_t s = 0; s < elements; ++s) {
          dst[n * elements + static_cast<size_t>(order[s])] = src[n * elements + s];
        }
      }
    }
  }
  return outputs;
}

}  // namespace hiedge::engine
