// One executable step of an XnnProgram: XNNPACK operators (owned) or a plain loop,
// computing one value from others. Internal to the engine.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "hiedge/common/status.h"

typedef struct xnn_operator* xnn_operator_t;
typedef struct pthreadpool* pthreadpool_t;

namespace hiedge::engine {

struct XnnStep {
  // Sets up and runs the step on `batch` rows: `in` holds one pointer per input value,
  // `out` the output value's storage. Pointers stay valid for the call only.
  using RunFn = std::function<Status(size_t batch, std::span<const float* const> in, float* out,
                                     pthreadpool_t threadpool)>;

  std::string description;  // e.g. "Conv 'c1' + BatchNormalization + Relu"
  std::vector<int> inputs;  // Value indices.
  int output = -1;
  int64_t macs = 0;                       // Per sample.
  std::vector<xnn_operator_t> operators;  // Owned: deleted with the step.
  RunFn run;

  XnnStep() = default;
  XnnStep(const XnnStep&) = delete;
  XnnStep& operator=(const XnnStep&) = delete;
  ~XnnStep();
};

// "Conv 'c1': XNNPACK status 2" as Internal, or Ok for xnn_status_success.
Status XnnCheck(int xnn_status, const std::string& what);

}  // namespace hiedge::engine
