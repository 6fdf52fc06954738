// libFuzzer target for the gRPC-side parsers: protobuf wire bytes of ModelInferRequest
// and ModelInferResponse through the OIP codec, and config.pbtxt text through the
// model repository's config reader. The first byte picks the parser. Run via
// scripts/fuzz.sh.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/grpc_codec.h"
#include "server/model_config_proto.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // Invalid UTF-8 is expected; don't log it.
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const char* bytes = reinterpret_cast<const char*>(data + 1);
  const int length = static_cast<int>(size - 1);
  switch (data[0] % 3) {
    case 0: {
      inference::ModelInferRequest message;
      if (!message.ParseFromArray(bytes, length)) return 0;
      auto request = hiedge::protocol::ParseGrpcInferRequest(message);
      if (request.ok()) {
        // Whatever parses must encode and parse back to the same tensors.
        inference::ModelInferRequest encoded;
        hiedge::protocol::EncodeGrpcInferRequest("m", *request, &encoded);
        auto again = hiedge::protocol::ParseGrpcInferRequest(encoded);
        if (!again.ok() || again->inputs.size() != request->inputs.size()) __builtin_trap();
      }
      break;
    }
    case 1: {
      inference::ModelInferResponse message;
      if (message.ParseFromArray(bytes, length))
        (void)hiedge::protocol::ParseGrpcInferResponse(message);
      break;
    }
    default: {
      auto config =
          hiedge::ParseModelConfigText(std::string_view(bytes, static_cast<size_t>(length)));
      if (config.ok()) (void)hiedge::BatchingFromModelConfig(*config);
      break;
    }
  }
  return 0;
}
