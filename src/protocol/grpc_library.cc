#include "hiedge/protocol/grpc_library.h"

#include <grpc/grpc.h>

namespace hiedge {

GrpcLibraryScope::GrpcLibraryScope() { grpc_init(); }

// If this held the last reference, gRPC's clean-up runs here and joins its threads
// before returning; if other gRPC objects are still alive, the last of them does it.
GrpcLibraryScope::~GrpcLibraryScope() { grpc_shutdown_blocking(); }

}  // namespace hiedge
