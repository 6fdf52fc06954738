// Linked into every test executable: registers what the full build offers (the libtorch
// backends, the gRPC offload transport) before any test runs, as the `hiedge` tool does.
#include "hiedge/device_grpc.h"
#include "hiedge/train.h"

namespace {
const bool kRegistered = [] {
  hiedge::RegisterTorchBackends();
  hiedge::RegisterGrpcOffloadTransport();
  return true;
}();
}  // namespace
