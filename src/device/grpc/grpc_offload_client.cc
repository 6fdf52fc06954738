#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <random>

#include "common/files.h"
#include "device/offload_link.h"
#include "grpc_service.grpc.pb.h"
#include "hiedge/device/device.h"
#include "hiedge/device/device_grpc.h"
#include "protocol/grpc_codec.h"

namespace hiedge {
namespace {

using Clock = internal::OffloadClock;

std::shared_ptr<grpc::Channel> MakeChannel(const OffloadOptions& o, std::string* error) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!o.tls_root_cert_file.empty()) {
    auto root = ReadTextFile(o.tls_root_cert_file);
    if (!root.ok()) {
      *error = root.status().message();
      return nullptr;
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *root;
    credentials = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  // Reconnect quickly after a server restart (gRPC's default backoff starts at 1 s
  // and grows to 120 s), so offloading resumes within a fraction of a second.
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is gRPC core's minimum *connect timeout*: it
  // stays at its default (20 s) so a busy server's slow handshake is not abandoned.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, 100);
  // One connection per client, as separate devices would have (gRPC otherwise shares
  // one connection among all channels to the same server in a process).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(o.host + ":" + std::to_string(o.port), credentials, args);
}

// Whether a failed connection's message (gRPC's last error, strerror text) says that
// no server is there: refused, or no route to the host. Those fall back at once.
bool ServerAbsent(const std::string& message) {
  for (const char* absent : {"Connection refused", "No route to host", "Network is unreachable",
                             "Host is down", "Connection timed out"}) {
    if (message.find(absent) != std::string::npos) return true;
  }
  return false;
}

class GrpcOffloadClient final : public OffloadClient {
 public:
  explicit GrpcOffloadClient(const OffloadOptions& options)
      : options_(options), rng_(options.jitter_seed) {
    channel_ = MakeChannel(options_, &setup_error_);
    if (channel_) stub_ = inference::GRPCInferenceService::NewStub(channel_);
  }

  Result<FloatTensor> Infer(const FloatTensor& images,
                            std::chrono::microseconds deadline) override {
    ServerReport ignored;
    return InferReporting(images, deadline, &ignored);
  }

  Result<FloatTensor> InferReporting(const FloatTensor& images, std::chrono::microseconds deadline,
                                     ServerReport* report) override {
    if (!stub_) return Status::Unavailable("gRPC channel not set up: " + setup_error_);
    const protocol::InferRequest request = internal::LogitsRequest(images, false, options_.payload);
    inference::ModelInferRequest message;
    protocol::EncodeGrpcInferRequest(options_.model, request, &message);
    return internal::CallWithRetries(
        [&](Clock::time_point give_up) { return Attempt(message, give_up, report); },
        Clock::now() + deadline, options_, rng_);
  }

 private:
  // One RPC within what is left of the deadline. ResourceExhausted = retryable;
  // Overloaded = refused by admission control.
  Result<FloatTensor> Attempt(const inference::ModelInferRequest& message,
                              Clock::time_point give_up, ServerReport* report) {
    if (Clock::now() >= give_up) return Status::DeadlineExceeded("offload deadline passed");
    grpc::ClientContext context;
    // Fail fast: an RPC waits while the channel is connecting (a slow handshake is
    // fine), but a refused connection (TRANSIENT_FAILURE) ends it at once, before the
    // first answer as after it, so a dead server costs no deadline.
    // After a connection that failed for another reason than an absent server, the
    // next try waits for the channel's reconnect (100-500 ms), within the deadline.
    context.set_wait_for_ready(wait_for_reconnect_);
    context.set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(give_up - Clock::now()));
    *report = {};
    if (!options_.bearer_token.empty())
      context.AddMetadata("authorization", "Bearer " + options_.bearer_token);
    if (!options_.client_id.empty())
      context.AddMetadata(protocol::kClientIdHeader, options_.client_id);
    inference::ModelInferResponse reply;
    const grpc::Status status = stub_->ModelInfer(&context, message, &reply);
    if (!status.ok()) {
      const std::string what = "offload to " + options_.host + ":" + std::to_string(options_.port) +
                               " failed: gRPC " + std::to_string(status.error_code()) + ": " +
                               status.error_message();
      switch (status.error_code()) {
        case grpc::StatusCode::DEADLINE_EXCEEDED:
          return Status::DeadlineExceeded(what);
        case grpc::StatusCode::RESOURCE_EXHAUSTED: {
          // Refused by admission control: retrying does not help; fall back at once.
          const auto& trailer = context.GetServerTrailingMetadata();
          if (auto it = trailer.find(protocol::kOffloadPriceHeader); it != trailer.end())
            internal::ReadPrice(std::string_view(it->second.data(), it->second.size()), report);
          return Status::Overloaded(what);
        }
        case grpc::StatusCode::UNAUTHENTICATED:  // Permanent: the device stops offloading.
        case grpc::StatusCode::PERMISSION_DENIED:
          return Status::Unauthenticated(what);
        case grpc::StatusCode::INVALID_ARGUMENT:  // The request itself: the server is healthy.
        case grpc::StatusCode::NOT_FOUND:
          return Status::InvalidArgument(what);
        case grpc::StatusCode::UNAVAILABLE:
          // A channel that cannot connect because nothing listens there (or the host
          // is unreachable) means the server is down: fall back at once. Any other
          // failed connection is retried once, waiting for the reconnect: one closed
          // or reset during the handshake, and the spurious failures of Debian's gRPC
          // 1.51, whose TCP client reads errno after calls that overwrite it and so
          // reports an in-progress connect as failed ("connect: No such file or
          // directory"; fixed upstream by grpc/grpc#35064; 64 clients connecting at
          // once on 2 busy cores hit it about once in 20 runs). A call the server shed
          // or dropped on a live channel is retried as well.
          if (channel_->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE) {
            if (wait_for_reconnect_ || ServerAbsent(status.error_message())) {
              wait_for_reconnect_ = false;
              return Status::Unavailable(what);
            }
            wait_for_reconnect_ = true;
          }
          return Status::ResourceExhausted(what);
        default:
          return Status::Unavailable(what);
      }
    }
    wait_for_reconnect_ = false;
    HIEDGE_ASSIGN_OR_RETURN(protocol::InferResponse response,
                            protocol::ParseGrpcInferResponse(reply));
    return internal::LogitsOf(std::move(response), report);
  }

  // Whether a connect failed with the server not known to be absent; the next try
  // waits for the reconnect instead of failing fast.
  bool wait_for_reconnect_ = false;
  OffloadOptions options_;
  std::string setup_error_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
  std::mt19937_64 rng_;
};

}  // namespace

void RegisterGrpcOffloadTransport() {
  // A well-formed name and a factory: registration cannot fail; if it ever did, say so.
  const Status registered = RegisterOffloadTransport("grpc", [](const OffloadOptions& options) {
    return std::unique_ptr<OffloadClient>(std::make_unique<GrpcOffloadClient>(options));
  });
  if (!registered.ok()) std::fprintf(stderr, "%s\n", registered.ToString().c_str());
}

}  // namespace hiedge
