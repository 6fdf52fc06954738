// Linked into every test executable: registers what the full build offers (the libtorch
// backends, the gRPC offload transport, the cascade backend) before any test runs, as the `hiedge`
// tool does.
#include "hiedge/cascade/cascade.h"
#include "hiedge/device/device_grpc.h"
#include "hiedge/torch/train.h"

namespace {
const bool kRegistered = [] {
  hiedge::RegisterTorchBackends();
  hiedge::RegisterGrpcOffloadTransport();
  hiedge::RegisterCascadeBackend();
  return true;
}();
}  // namespace
