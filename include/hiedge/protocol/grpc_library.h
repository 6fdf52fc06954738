// Process-lifetime ownership of the gRPC library (targets hiedge_server and
// hiedge_device_grpc), for programs that serve or offload over gRPC.
#pragma once

namespace hiedge {

// Holds a reference on the gRPC library from construction to destruction, and on
// destruction shuts gRPC down *blocking*: gRPC's own threads are joined on this thread.
//
// Why: without it, gRPC shuts down when its last object goes, possibly on one of its
// own threads, and then asynchronously on a detached one. Those threads can still be
// exiting while the process runs its exit handlers; OpenSSL 3 frees its global state in
// one of them, and a late thread's TLS clean-up then corrupts the heap ("double free",
// "malloc_consolidate(): unaligned fastbin chunk") after the program's work is done
// (grpc/grpc#38539). Declare one at the top of main(), before any server, client or
// channel, so it is destroyed after all of them.
//
// Not copyable. Several may coexist (the library is reference-counted).
class GrpcLibraryScope {
 public:
  GrpcLibraryScope();
  ~GrpcLibraryScope();
  GrpcLibraryScope(const GrpcLibraryScope&) = delete;
  GrpcLibraryScope& operator=(const GrpcLibraryScope&) = delete;
};

}  // namespace hiedge
