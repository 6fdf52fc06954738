// ONNX model files: the reader (ParseOnnxModel) and the XNNPACK compiler on whatever
// parses, then one zero sample through what compiles. Any input must give a Status,
// never a crash, an unbounded allocation or undefined behaviour.
#include <cstddef>
#include <cstdint>

#include "engine/onnx_graph.h"
#include "engine/xnn_program.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto graph = hiedge::engine::ParseOnnxModel({data, size});
  if (!graph.ok()) return 0;
  auto program = hiedge::engine::XnnProgram::Compile(*graph, nullptr);
  if (!program.ok()) return 0;
  const auto& input = (*program)->value((*program)->input_value());
  if (input.elements() > (1 << 16)) return 0;  // Keep each run fast.
  std::vector<float> zeros(static_cast<size_t>(input.elements()));
  std::vector<int64_t> shape = {1};
  shape.insert(shape.end(), input.dims.begin(), input.dims.end());
  const int target = (*program)->final_output();
  (void)(*program)->Run((*program)->input_value(), {zeros, shape}, {&target, 1});
  return 0;
}
