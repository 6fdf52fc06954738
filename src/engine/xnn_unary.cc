// XnnCompiler's one-input element-wise functions. XNNPACK's own operators run Sigmoid,
// LeakyRelu and HardSwish. Debian's 2022 XNNPACK has no Tanh, Erf or Gelu, so those
// and HardSigmoid run as loops on the calling thread. None of them depends on element
// order, so the output keeps the input's storage layout.
#include <xnnpack.h>

#include <cmath>
#include <functional>

#include "engine/xnn_compiler.h"

namespace hiedge::engine {
namespace {

using Create = enum xnn_status (*)(size_t, size_t, size_t, uint32_t, xnn_operator_t*);
using Setup = enum xnn_status (*)(xnn_operator_t, size_t, const float*, float*, pthreadpool_t);

// ONNX Gelu (opset 20): approximate "none" is x * Phi(x), "tanh" the tanh formula.
float GeluExact(float x) { return 0.5f * x * (1.0f + std::erf(x * static_cast<float>(M_SQRT1_2))); }
float GeluTanh(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

}  // namespace

Status XnnCompiler::Unary(size_t i) {
  const OnnxNode& n = graph_.nodes[i];
  HIEDGE_ASSIGN_OR_RETURN(const int x, ValueOf(n.inputs[0], n));
  const XnnValue xv = program_.value(x);
  const auto elements = static_cast<size_t>(xv.elements());
  const std::string& op = n.op_type;

  // XNNPACK's operators over rows of one sample's elements.
  auto xnn = [&](xnn_operator_t created, Setup setup) {
    const int y = AddValue(n.outputs[0], xv.dims, xv.hwc_source);
    XnnStep& step = AddStep(n.Describe(), {x}, y);
    step.operators.push_back(created);
    step.run = [created, setup, what = op](size_t batch, std::span<const float* const> in,
                                           float* o, pthreadpool_t pool) -> Status {
      HIEDGE_RETURN_IF_ERROR(XnnCheck(setup(created, batch, in[0], o, pool), what + " setup"));
      return XnnCheck(xnn_run_operator(created, pool), what);
    };
    return Status::Ok();
  };
  auto create = [&](Create f) -> Result<xnn_operator_t> {
    xnn_operator_t created = nullptr;
    HIEDGE_RETURN_IF_ERROR(XnnCheck(f(elements, elements, elements, 0, &created), n.Describe()));
    return created;
  };
  if (op == "Sigmoid") {
    HIEDGE_ASSIGN_OR_RETURN(xnn_operator_t created, create(&xnn_create_sigmoid_nc_f32));
    return xnn(created, &xnn_setup_sigmoid_nc_f32);
  }
  if (op == "HardSwish") {
    HIEDGE_ASSIGN_OR_RETURN(xnn_operator_t created, create(&xnn_create_hardswish_nc_f32));
    return xnn(created, &xnn_setup_hardswish_nc_f32);
  }
  if (op == "LeakyRelu") {
    xnn_operator_t created = nullptr;
    HIEDGE_RETURN_IF_ERROR(XnnCheck(xnn_create_leaky_relu_nc_f32(elements, elements, elements,
                                                                 n.Float("alpha", 0.01f), 0,
                                                                 &created),
                                    n.Describe()));
    return xnn(created, &xnn_setup_leaky_relu_nc_f32);
  }

  // The rest: a function applied to each element.
  std::function<float(float)> f;
  if (op == "Tanh") {
    f = [](float v) { return std::tanh(v); };
  } else if (op == "Erf") {
    f = [](float v) { return std::erf(v); };
  } else if (op == "HardSigmoid") {
    const float alpha = n.Float("alpha", 0.2f), beta = n.Float("beta", 0.5f);
    f = [alpha, beta](float v) { return std::fmin(1.0f, std::fmax(0.0f, alpha * v + beta)); };
  } else if (op == "Gelu") {
    const std::string approximate = n.String("approximate", "none");
    if (approximate == "none") {
      f = GeluExact;
    } else if (approximate == "tanh") {
      f = GeluTanh;
    } else {
      return Status::DataLoss(n.Describe() + ": approximate must be none or tanh, not '" +
                              approximate + "'");
    }
  } else {
    return Status::Internal(n.Describe() + " is not a unary operator");
  }
  const int y = AddValue(n.outputs[0], xv.dims, xv.hwc_source);
  XnnStep& step = AddStep(n.Describe(), {x}, y);
  step.run = [f, elements](size_t batch, std::span<const float* const> in, float* o,
                           pthreadpool_t) -> Status {
    const float* v = in[0];
    for (size_t k = 0; k < batch * elements; ++k) o[k] = f(v[k]);
    return Status::Ok();
  };
  return Status::Ok();
}

}  // namespace hiedge::engine
