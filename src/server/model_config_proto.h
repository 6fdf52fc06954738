// Triton's ModelConfig and ModelStatistics messages <-> hiedge's plain structs.
// Shared by the gRPC transport (answers) and the model repository (config.pbtxt).
// I/O-free. Internal to src/server.
#pragma once

#include <string>
#include <string_view>

#include "grpc_service.pb.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/server/server.h"
#include "hiedge/common/status.h"

namespace hiedge {

void FillModelConfig(const InferenceService::ServedConfig& config, inference::ModelConfig* out);
void FillModelStatistics(const protocol::ModelStatisticsReport& report,
                         inference::ModelStatistics* out);

// Parses Triton's protobuf text format (config.pbtxt). Fields of Triton's full
// ModelConfig that hiedge does not use are accepted and ignored. InvalidArgument with
// the parser's line/column message on malformed text.
Result<inference::ModelConfig> ParseModelConfigText(std::string_view text);

// The batching policy a config asks for: max_batch_size, dynamic_batching's preferred
// sizes, delay, and default_queue_policy.max_queue_size. Dynamic batching is off
// unless the config has a dynamic_batching block and max_batch_size > 0. The
// instance count is the sum of the KIND_CPU/KIND_AUTO instance_group counts (GPU groups
// are ignored: hiedge runs on CPUs); InvalidArgument beyond kMaxModelInstances.
inline constexpr int kMaxModelInstances = 16;
Result<BatchingConfig> BatchingFromModelConfig(const inference::ModelConfig& config);

}  // namespace hiedge
