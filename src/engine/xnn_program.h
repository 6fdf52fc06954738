// An ONNX graph compiled to XNNPACK operators (the operator API, NHWC): weights packed
// once at compile time, any batch size at run time without recompiling. Internal to
// the engine; XnnpackBackend (xnnpack_backend.cc) is its user.
//
// Layout: spatial values ([C, H, W] per sample) are stored NHWC; flat values ([F]) as
// rows. A Flatten of a spatial value is free: its rows keep HWC order and the Gemm that
// consumes it reads its weights in that order. Run() takes and returns tensors in ONNX
// (NCHW) order whatever the storage.
//
// Thread-safety: none. XNNPACK operators keep the pointers of their last setup, so one
// program serves one caller at a time; XnnpackBackend keeps a pool of programs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/onnx_graph.h"
#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

typedef struct xnn_operator* xnn_operator_t;
typedef struct pthreadpool* pthreadpool_t;

namespace hiedge::engine {

// The ONNX operators the compiler accepts; any other is refused by name.
const std::vector<std::string>& XnnSupportedOperators();

// Elements per sample of any value a model may compute (64 Mi floats = 256 MiB); a
// model beyond it is refused at compile time, before any buffer is allocated.
inline constexpr int64_t kMaxValueElements = int64_t{1} << 26;

struct XnnValue {
  std::string name;
  std::vector<int64_t> dims;        // Per sample, ONNX order: {C, H, W} or {F}.
  std::vector<int64_t> hwc_source;  // Non-empty: flat rows in the HWC order of these {C,H,W}.
  int buffer = -1;                  // Storage; aliases (Flatten, Identity) share one.
  int root = -1;                    // The value whose storage this is (itself if no alias).
  // Quantised (QS8) storage: real = scale * (q - zero_point). Internal to a program:
  // what Run takes and returns is float.
  bool int8 = false;
  float scale = 1;
  int32_t zero_point = 0;
  int64_t elements() const { return FloatTensor::NumElements(dims); }
  bool spatial() const { return dims.size() == 3; }
  // True when storage order differs from ONNX order (NHWC with C > 1 and H*W > 1).
  bool permuted() const;
};

// For each storage position of a value's per-sample data, its ONNX (row-major) index;
// empty when the two orders agree.
std::vector<int64_t> StorageToOnnx(const XnnValue& value);

struct XnnStep;  // xnn_step.h

class XnnProgram {
 public:
  // Compiles `graph` for a batch-free input ([N, ...] with N symbolic or fixed). The
  // threadpool (nullptr = caller's thread) is borrowed and must outlive the program.
  static Result<std::unique_ptr<XnnProgram>> Compile(const OnnxGraph& graph,
                                                     pthreadpool_t threadpool);
  ~XnnProgram();
  XnnProgram(const XnnProgram&) = delete;
  XnnProgram& operator=(const XnnProgram&) = delete;

  // A batch runs through the network in passes of at most this many rows, so one
  // pass's activations stay in the core's cache instead of streaming every layer's
  // output for the whole batch through memory. Measured on the S-ML at batch 256 (AMD
  // EPYC, medians of 3 interleaved runs of hiedge_engine_compare): 16 rows gave 54.9k /
  // 76.1k images/s at 1 / 2 threads, 32 rows 48.0k / 70.5k, 64 rows 52.1k / 65.1k,
  // 128 rows 43.4k / 61.3k, and one pass of 256 rows 44.1k / 64.0k.
  static constexpr size_t kRowsPerPass = 16;

  // Runs what computes `targets` from value `from`, whose data arrives in ONNX order
  // with batch input.shape[0]. Returns each target in ONNX order [N, ...dims].
  Result<std::vector<FloatTensor>> Run(int from, const TensorView& input,
                                       std::span<const int> targets);

  int input_value() const { return input_; }
  int final_output() const { return final_; }
  // Values ending each stage; the last is final_output().
  const std::vector<int>& stage_outputs() const { return stage_outputs_; }
  const std::vector<int>& exit_outputs() const { return exit_outputs_; }
  const std::vector<int>& exit_after_stage() const { return exit_after_stage_; }
  const XnnValue& value(int index) const { return values_[static_cast<size_t>(index)]; }
  // Calls `observer(value, data)` with every value a step computes during the next
  // Run()s (data: batch x elements, storage order); empty to stop. For calibration.
  using Observer = std::function<void(int value, std::span<const float> data)>;
  void SetObserver(Observer observer) { observer_ = std::move(observer); }
  // Multiply-accumulates per sample of the steps from the input to the final output.
  int64_t macs_to_final() const { return macs_to_final_; }
  // Per sample: the MACs of each stage, and of each early-exit head (from its stage's
  // output to its logits).
  const std::vector<int64_t>& stage_macs() const { return stage_macs_; }
  const std::vector<int64_t>& exit_head_macs() const { return exit_head_macs_; }
  // What each step runs, in order ("Conv 'c1' + Relu + QuantizeLinear (int8)").
  std::vector<std::string> StepDescriptions() const;
  // Steps executed since construction (tests count stage executions with it).
  int64_t steps_run() const { return steps_run_; }

 private:
  XnnProgram() = default;
  friend class XnnCompiler;
  // Steps (in order) needed for `targets` given `from`; cached per request shape.
  Result<const std::vector<int>*> PlanFor(int from, std::span<const int> targets);
  void ResizeBuffers(size_t batch);
  // Runs `plan` on `rows` samples of `source` (ONNX order) in the buffers.
  Status RunPass(const std::vector<int>& plan, const XnnValue& source,
                 std::span<const float> rows_data, size_t rows);
  void CountStageMacs();  // Fills stage_macs_ and exit_head_macs_ when it can.
  // MACs per sample of the steps computing `to` from `from`.
  Result<int64_t> MacsBetween(int from, int to);

  std::vector<XnnValue> values_;
  std::vector<std::unique_ptr<XnnStep>> steps_;
  std::vector<int> producer_;             // Per value: producing step, -1 for the input.
  std::vector<int64_t> buffer_elements_;  // Per buffer, per sample.
  std::vector<std::vector<float>> buffers_;
  size_t buffer_batch_ = 0;
  std::map<std::vector<int>, std::vector<int>> plans_;
  pthreadpool_t threadpool_ = nullptr;
  int input_ = -1;
  int final_ = -1;
  std::vector<int> stage_outputs_, exit_outputs_, exit_after_stage_;
  int64_t macs_to_final_ = 0;
  std::vector<int64_t> stage_macs_, exit_head_macs_;
  Observer observer_;
  int64_t steps_run_ = 0;
};

}  // namespace hiedge::engine
