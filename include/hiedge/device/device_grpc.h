// The device's gRPC offload transport (target hiedge_device_grpc). Links gRPC; devices
// that offload over REST only leave it out (hiedge-device vs hiedge-device-grpc).
// Thread-safety: registration is thread-safe (the transport registry locks); each
// client it makes is owned by its caller and is not for concurrent calls.
#pragma once

namespace hiedge {

// Registers "grpc" with MakeOffloadClient. Idempotent. A program built in hiedge's
// CMake tree that links hiedge_device_grpc is registered already (self_register.cc);
// one built against the installed library calls this before making gRPC clients.
void RegisterGrpcOffloadTransport();

}  // namespace hiedge
