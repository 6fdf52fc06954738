// The device's gRPC offload transport (target hiedge_device_grpc). Links gRPC; devices
// that offload over REST only leave it out (hiedge-device vs hiedge-device-grpc).
#pragma once

namespace hiedge {

// Registers "grpc" with MakeOffloadClient. Idempotent; call before making
// gRPC clients.
void RegisterGrpcOffloadTransport();

}  // namespace hiedge
