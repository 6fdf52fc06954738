// The offload transport registry behind MakeOffloadClient. REST is built in.
#include <algorithm>
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
  explicit UnavailableClient(std::string message) : message_(std::move(message)) {}
  Result<FloatTensor> Infer(const FloatTensor&, std::chrono::microseconds) override {
    return Status::FailedPrecondition(message_);
  }

 private:
  std::string message_;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, OffloadClientFactory> factories;  // Guarded by mutex.
};

Registry& GlobalRegistry() {
  static Registry* registry = [] {
    auto* r = new Registry();
    r->factories["rest"] = MakeHttpOffloadClient;
    return r;
  }();
  return *registry;
}

bool WellFormedName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

std::string Unregistered(const std::string& name) {
  std::string known;
  for (const std::string& n : RegisteredOffloadTransports())
    known += (known.empty() ? "" : ", ") + n;
  std::string message = "unknown transport '" + name + "' (this program has: " + known + ")";
  if (name == "grpc") {
    message +=
        "; link hiedge_device_grpc (the installed library: call "
        "RegisterGrpcOffloadTransport), or use hiedge-device-grpc";
  }
  return message;
}

}  // namespace

Status RegisterOffloadTransport(const std::string& name, OffloadClientFactory factory) {
  if (!WellFormedName(name)) {
    return Status::InvalidArgument("transport name '" + name + "': 1-32 characters of [a-z0-9_-]");
  }
  if (!factory) return Status::InvalidArgument("transport '" + name + "': no factory");
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.factories[name] = std::move(factory);
  return Status::Ok();
}

bool OffloadTransportAvailable(const std::string& name) {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  return r.factories.count(name) > 0;
}

std::vector<std::string> RegisteredOffloadTransports() {
  Registry& r = GlobalRegistry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, factory] : r.factories) names.push_back(name);
  return names;  // std::map: sorted.
}

std::unique_ptr<OffloadClient> MakeOffloadClient(const OffloadOptions& options) {
  OffloadClientFactory factory;
  {
    Registry& r = GlobalRegistry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.factories.find(options.transport);
    if (it != r.factories.end()) factory = it->second;
  }
  if (!factory) return std::make_unique<UnavailableClient>(Unregistered(options.transport));
  return factory(options);
}

Result<std::string> ParseTransport(const std::string& name) {
  if (!OffloadTransportAvailable(name)) return Status::InvalidArgument(Unregistered(name));
  return name;
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
