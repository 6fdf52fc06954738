// Conversion between the Open Inference Protocol's gRPC messages (generated from
// proto/grpc_service.proto) and hiedge's protocol structs. I/O-free. Internal: the
// public API never exposes generated protobuf types.
#pragma once

#include "grpc_service.pb.h"
#include "hiedge/protocol/protocol.h"
#include "hiedge/common/status.h"

namespace hiedge::protocol {

// Request parameter "timeout" (microseconds) and output parameter "classification"
// (top-k) are honoured as in REST. Tensor data may come as raw_input_contents (one
// entry per input, in order) or as typed contents, never both. Errors are
// InvalidArgument with a message fit for a client.
Result<InferRequest> ParseGrpcInferRequest(const inference::ModelInferRequest& message);
// Every output goes as raw_output_contents (numbers as FP32, BYTES length-prefixed),
// as Triton does.
void EncodeGrpcInferResponse(const InferResponse& response, inference::ModelInferResponse* out);

// Client side: inputs as raw_input_contents.
void EncodeGrpcInferRequest(const std::string& model, const InferRequest& request,
                            inference::ModelInferRequest* out);
Result<InferResponse> ParseGrpcInferResponse(const inference::ModelInferResponse& message);

void EncodeGrpcModelMetadata(const ModelMetadata& metadata, inference::ModelMetadataResponse* out);

}  // namespace hiedge::protocol
