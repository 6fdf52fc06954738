// The XNNPACK backend: ONNX models compiled by XnnProgram, a pool of compiled programs
// for concurrent callers, one pthreadpool per model.
//
// How a call uses the threads: a small batch runs on one program whose layers each
// split their work over the pool (the latency of batch 1). A batch of at least
// XnnProgram::kRowsPerPass rows per thread is cut into one contiguous share of rows per
// thread instead, each share running through a single-threaded program of its own: the
// threads then meet once per call rather than once per layer.
#include <pthreadpool.h>

#include <mutex>

#include "engine/backends.h"
#include "engine/xnn_program.h"

namespace hiedge::engine {
namespace {

class XnnpackBackend final : public InferenceBackend {
 public:
  XnnpackBackend(OnnxGraph graph, ModelInfo info, pthreadpool_t threadpool)
      : graph_(std::move(graph)),
        info_(std::move(info)),
        threadpool_(threadpool),
        threads_(threadpool == nullptr ? 1 : pthreadpool_get_threads_count(threadpool)) {}
  ~XnnpackBackend() override {
    idle_.clear();
    idle_single_.clear();
    if (threadpool_ != nullptr) pthreadpool_destroy(threadpool_);
  }

  // Compiles the first program and completes `info_` from it.
  Status Init() {
    HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<XnnProgram> program,
                            XnnProgram::Compile(graph_, threadpool_));
    info_.num_stages = static_cast<int>(program->stage_outputs().size());
    info_.early_exit_after_stage = program->exit_after_stage();
    info_.stage_macs = program->stage_macs();
    info_.exit_head_macs = program->exit_head_macs();
    if (info_.macs_per_sample == 0) info_.macs_per_sample = program->macs_to_final();
    std::vector<int64_t> dims = program->value(program->input_value()).dims;
    if (dims != info_.input_shape) {
      return Status::DataLoss("the ONNX model takes " + ShapeToString(dims) +
                              " per sample; its card declares " + ShapeToString(info_.input_shape));
    }
    idle_.push_back(std::move(program));
    return Status::Ok();
  }

  const ModelInfo& info() const override { return info_; }

  Result<FloatTensor> Infer(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckInputBatch(input, info_));
    HIEDGE_ASSIGN_OR_RETURN(auto outputs, Run(input, -1, [](const XnnProgram& p) {
                              return std::vector<int>{p.final_output()};
                            }));
    return std::move(outputs[0]);
  }

  Result<std::vector<FloatTensor>> InferAllExits(const FloatTensor& input) override {
    HIEDGE_RETURN_IF_ERROR(CheckInputBatch(input, info_));
    return Run(input, -1, [](const XnnProgram& p) {
      std::vector<int> targets = p.exit_outputs();
      targets.push_back(p.final_output());
      return targets;
    });
  }

  Result<FloatTensor> RunStages(const FloatTensor& input, int first, int last) override {
    HIEDGE_RETURN_IF_ERROR(CheckStageRange(info_, first, last));
    if (first == 0) HIEDGE_RETURN_IF_ERROR(CheckInputBatch(input, info_));
    HIEDGE_ASSIGN_OR_RETURN(
        auto outputs, Run(input, first, [last](const XnnProgram& p) {
          return std::vector<int>{p.stage_outputs()[static_cast<size_t>(last - 1)]};
        }));
    return std::move(outputs[0]);
  }

  Result<FloatTensor> RunExit(const FloatTensor& stage_output, int exit) override {
    HIEDGE_RETURN_IF_ERROR(CheckExitIndex(info_, exit));
    const int after = info_.early_exit_after_stage[static_cast<size_t>(exit)];
    HIEDGE_ASSIGN_OR_RETURN(auto outputs, Run(stage_output, after + 1, [exit](const XnnProgram& p) {
                              return std::vector<int>{p.exit_outputs()[static_cast<size_t>(exit)]};
                            }));
    return std::move(outputs[0]);
  }

 private:
  // Runs on an idle program (compiling another when all are busy) from stage `first`
  // (-1 or 0: the model input) to the targets `pick` names.
  template <typename Pick>
  Result<std::vector<FloatTensor>> Run(const FloatTensor& input, int first, Pick pick) {
    if (threads_ > 1 && !input.shape.empty() &&
        input.shape[0] >= static_cast<int64_t>(threads_ * XnnProgram::kRowsPerPass)) {
      return RunSplit(input, first, pick);
    }
    std::unique_ptr<XnnProgram> program;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        program = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!program) {
      HIEDGE_ASSIGN_OR_RETURN(program, XnnProgram::Compile(graph_, threadpool_));
    }
    const int from = first <= 0 ? program->input_value()
                                : program->stage_outputs()[static_cast<size_t>(first - 1)];
    const std::vector<int> targets = pick(*program);
    auto outputs = program->Run(from, TensorView{input.data, input.shape}, targets);
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(program));
    return outputs;
  }

  // One share of a split batch: its rows, the program that runs them, what it returned.
  struct Share {
    XnnProgram* program = nullptr;
    int from = 0;
    std::vector<int> targets;
    TensorView rows;
    Result<std::vector<FloatTensor>> outputs = Status::Internal("share not run");
  };

  static void RunShare(void* shares, size_t index) {
    Share& share = (*static_cast<std::vector<Share>*>(shares))[index];
    share.outputs = share.program->Run(share.from, share.rows, share.targets);
  }

  // Runs the rows of `input` in threads_ contiguous shares at once, each on a
  // single-threaded program, and joins the outputs in row order.
  template <typename Pick>
  Result<std::vector<FloatTensor>> RunSplit(const FloatTensor& input, int first, Pick pick) {
    std::vector<std::unique_ptr<XnnProgram>> programs;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (programs.size() < threads_ && !idle_single_.empty()) {
        programs.push_back(std::move(idle_single_.back()));
        idle_single_.pop_back();
      }
    }
    while (programs.size() < threads_) {
      auto compiled = XnnProgram::Compile(graph_, nullptr);
      if (!compiled.ok()) {
        ReturnSingles(programs);
        return compiled.status();
      }
      programs.push_back(std::move(*compiled));
    }
    const int64_t rows = input.shape[0];
    const size_t per_row = input.data.size() / static_cast<size_t>(rows);
    std::vector<Share> shares(threads_);
    for (size_t i = 0; i < threads_; ++i) {
      const int64_t begin = rows * static_cast<int64_t>(i) / static_cast<int64_t>(threads_);
      const int64_t end = rows * static_cast<int64_t>(i + 1) / static_cast<int64_t>(threads_);
      XnnProgram& program = *programs[i];
      shares[i].program = &program;
      shares[i].from = first <= 0 ? program.input_value()
                                  : program.stage_outputs()[static_cast<size_t>(first - 1)];
      shares[i].targets = pick(program);
      std::vector<int64_t> shape = input.shape;
      shape[0] = end - begin;
      shares[i].rows = TensorView{std::span<const float>(input.data).subspan(
                                      static_cast<size_t>(begin) * per_row,
                                      static_cast<size_t>(end - begin) * per_row),
                                  std::move(shape)};
    }
    pthreadpool_parallelize_1d(threadpool_, &XnnpackBackend::RunShare, &shares, threads_, 0);
    ReturnSingles(programs);
    for (const Share& share : shares) HIEDGE_RETURN_IF_ERROR(share.outputs.status());
    std::vector<FloatTensor> joined = std::move(*shares[0].outputs);
    for (size_t t = 0; t < joined.size(); ++t) {
      joined[t].shape[0] = rows;
      for (size_t i = 1; i < threads_; ++i) {
        const std::vector<float>& part = (*shares[i].outputs)[t].data;
        joined[t].data.insert(joined[t].data.end(), part.begin(), part.end());
      }
    }
    return joined;
  }

  void ReturnSingles(std::vector<std::unique_ptr<XnnProgram>>& programs) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& p : programs) idle_single_.push_back(std::move(p));
    programs.clear();
  }

  const OnnxGraph graph_;
  ModelInfo info_;
  pthreadpool_t threadpool_;
  const size_t threads_;  // The pool's threads (1 without a pool).
  std::mutex mutex_;
  std::vector<std::unique_ptr<XnnProgram>> idle_;         // Guarded by mutex_.
  std::vector<std::unique_ptr<XnnProgram>> idle_single_;  // Single-threaded; guarded by mutex_.
};

}  // namespace

BackendInfo XnnpackBackendInfo() { return {"xnnpack", "onnx", 100}; }

Result<std::unique_ptr<InferenceBackend>> LoadXnnpackBackend(const ModelCard& card,
                                                             const std::string& weights_path,
                                                             const LoadOptions& options) {
  HIEDGE_ASSIGN_OR_RETURN(OnnxGraph graph, ReadOnnxModel(weights_path));
  pthreadpool_t pool =
      options.threads > 1 ? pthreadpool_create(static_cast<size_t>(options.threads)) : nullptr;
  auto backend = std::make_unique<XnnpackBackend>(std::move(graph), InfoFromCard(card), pool);
  const Status init = backend->Init();
  if (!init.ok()) {
    return Status(init.code() == StatusCode::kInternal ? StatusCode::kDataLoss : init.code(),
                  weights_path + ": " + init.message());
  }
  return std::unique_ptr<InferenceBackend>(std::move(backend));
}

}  // namespace hiedge::engine
