// The REST and the gRPC server over one InferenceService, both on free loopback
// ports, and offload clients of either transport. Shared by tests and benchmarks.
#pragma once

#include <memory>
#include <string>

#include "hiedge/device/device.h"
#include "hiedge/server/grpc_server.h"
#include "hiedge/server/http_server.h"

namespace hiedge::testing {

class BothServers {
 public:
  // `http_options` apart from host and port (workers, keep-alive) are kept. The service
  // must outlive the servers.
  explicit BothServers(InferenceService* service, HttpServerOptions http_options = {}) {
    http_options.host = "127.0.0.1";
    http_options.port = 0;
    http_ = std::make_unique<HttpServer>(service, http_options);
    GrpcServerOptions grpc_options;
    grpc_options.port = 0;
    grpc_ = std::make_unique<GrpcServer>(service, grpc_options);
    ok_ = http_->Start().ok() && grpc_->Start().ok();
  }
  ~BothServers() {
    grpc_->Stop(0);
    http_->Stop();
  }
  BothServers(const BothServers&) = delete;
  BothServers& operator=(const BothServers&) = delete;

  bool ok() const { return ok_; }
  int port(const std::string& transport) const {
    return transport == "grpc" ? grpc_->port() : http_->port();
  }
  // Options reaching `model` over `transport` (binary tensors on REST).
  OffloadOptions Link(const std::string& transport, const std::string& model) const {
    OffloadOptions o{"127.0.0.1", port(transport), model, true};
    o.transport = transport;
    return o;
  }
  std::unique_ptr<OffloadClient> Client(const std::string& transport, const std::string& model) const {
    return MakeOffloadClient(Link(transport, model));
  }
  // What the gRPC port's guard saw, for a failure message.
  std::string GuardReport() const {
    const GrpcGuardCounters c = grpc_->guard_counters();
    return "guard: " + std::to_string(c.connections) + " connections, " +
           std::to_string(c.upstream_failures) + " upstream failures, " +
           std::to_string(c.closed_for_resets) + " closed for resets, " +
           std::to_string(c.refused_at_cap) + " refused at the cap, " +
           std::to_string(c.streams) + " streams, " + std::to_string(c.resets) + " resets";
  }

 private:
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<GrpcServer> grpc_;
  bool ok_ = false;
};

// Test-name suffix for a Transport parameter: "Rest" or "Grpc".
template <typename ParamInfo>
std::string TransportTestName(const ParamInfo& info) {
  return info.param == "grpc" ? "Grpc" : "Rest";
}

}  // namespace hiedge::testing
