// ONNX export of hiedge's built-in networks. Internal to hiedge_torch.
#pragma once

#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "networks.h"

namespace hiedge::models {

// Serialised ONNX ModelProto (opset 13) of `net` in eval mode: input "input"
// [N, ...input_shape], outputs "logits" then "exit0", "exit1", ... ([N, num_classes]),
// stage boundaries "stage0".."stage{S-2}" named in the metadata (engine/xnn_program.h).
Result<std::string> ExportOnnx(StagedNet& net, const std::vector<int64_t>& input_shape,
                               int num_classes, const std::string& model_name);
Status ExportOnnxFile(StagedNet& net, const std::vector<int64_t>& input_shape, int num_classes,
                      const std::string& model_name, const std::string& path);

}  // namespace hiedge::models
