// The offload transport registry behind MakeOffloadClient. REST is built in.
#include <charconv>
#include <map>
#include <mutex>

#include "device/http_offload_client.h"
#include "hiedge/device/device.h"

namespace hiedge {
namespace {

// A transport this program did not register: every call fails, with the reason.
class UnavailableClient final : public OffloadClient {
 public:
  Result<FloatTensor> Infer(const FloatTensor&, std::chrono::microseconds) override {
    return Status::FailedPrecondition(
        "this program has no gRPC offload client (link hiedge_device_grpc and call "
        "RegisterGrpcOffloadTransport, or use hiedge-device-grpc)");
  }
};

struct Registry {
  std::mutex mutex;
  std::map<Transport, OffloadClientFactory> factories;
};

Registry& GlobalRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry();
    r->factories[Transport::kRest] = MakeHttpOffloadClient;
    return r;
  }();
  return *registry;
}

}  // namespace

void RegisterOffloadTransport(Transport transport, OffloadClientFactory factory) {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[transport] = std::move(factory);
}

bool OffloadTransportAvailable(Transport transport) {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.factories.count(transport) > 0;
}

std::unique_ptr<OffloadClient> MakeOffloadClient(const OffloadOptions& options) {
  OffloadClientFactory factory;
  {
    Registry& r = GlobalRegistry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.factories.find(options.transport);
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) return std::make_unique<UnavailableClient>();
  return factory(options);
}

Result<Transport> ParseTransport(const std::string& name) {
  if (name == "rest") return Transport::kRest;
  if (name == "grpc") return Transport::kGrpc;
  return Status::InvalidArgument("unknown transport '" + name + "' (expected rest or grpc)");
}

Result<Payload> ParsePayload(const std::string& name) {
  for (Payload p : {Payload::kFp32, Payload::kFp16, Payload::kUint8Pixels}) {
    if (name == PayloadName(p)) return p;
  }
  return Status::InvalidArgument("unknown payload '" + name + "' (expected fp32, fp16 or uint8)");
}

const char* PayloadName(Payload payload) {
  switch (payload) {
    case Payload::kFp16:
      return "fp16";
    case Payload::kUint8Pixels:
      return "uint8";
    case Payload::kFp32:
      break;
  }
  return "fp32";
}

Status ParseHostPort(const std::string& endpoint, OffloadOptions* options) {
  const size_t colon = endpoint.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      std::from_chars(endpoint.data() + colon + 1, endpoint.data() + endpoint.size(), port).ec !=
          std::errc() ||
      port < 1 || port > 65535) {
    return Status::InvalidArgument("'" + endpoint + "' is not host:port");
  }
  options->host = endpoint.substr(0, colon);
  options->port = port;
  return Status::Ok();
}

}  // namespace hiedge
