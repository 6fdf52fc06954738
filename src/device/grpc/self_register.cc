// Compiled into every executable that links hiedge_device_grpc (hiedge_self_register in
// cmake/HiedgeModule.cmake): linking the target is what registers the "grpc" transport.
// Programs built against the installed library call RegisterGrpcOffloadTransport().
#include "hiedge/device/device_grpc.h"

namespace {
const bool kGrpcTransportRegistered = [] {
  hiedge::RegisterGrpcOffloadTransport();
  return true;
}();
}  // namespace
