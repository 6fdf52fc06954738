#include "device/http_offload_client.h"

#include <httplib.h>

#include <chrono>
#include <random>

#include "device/offload_link.h"
#include "hiedge/device/device.h"
#include "hiedge/protocol/protocol.h"

namespace hiedge {
namespace {

// httplib's error names ("Connection", "Read") as a person would say them.
std::string Describe(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "connection refused or host unreachable";
    case httplib::Error::ConnectionTimeout:
      return "connecting timed out";
    case httplib::Error::Read:
      return "connection closed or timed out before the answer";
    case httplib::Error::Write:
      return "connection closed while sending the request";
    default:
      return httplib::to_string(error);
  }
}

class HttpOffloadClient final : public OffloadClient {
 public:
  explicit HttpOffloadClient(const OffloadOptions& options)
      : options_(options),
        client_(options.host, options.port),
        path_("/v2/models/" + options.model + "/infer"),
        rng_(options.jitter_seed) {
    client_.set_keep_alive(true);
    client_.set_tcp_nodelay(true);
  }

  Result<FloatTensor> Infer(const FloatTensor& images,
                            std::chrono::microseconds deadline) override {
    ServerReport ignored;
    return InferReporting(images, deadline, &ignored);
  }

  Result<FloatTensor> InferReporting(const FloatTensor& images, std::chrono::microseconds deadline,
                                     ServerReport* report) override {
    const protocol::InferRequest request =
        internal::LogitsRequest(images, options_.binary, options_.payload);
    const protocol::EncodedBody body = protocol::EncodeInferRequest(request, options_.binary);
    return internal::CallWithRetries(
        [&](Clock::time_point give_up) { return Attempt(body, give_up, report); },
        Clock::now() + deadline, options_, rng_);
  }

 private:
  using Clock = internal::OffloadClock;

  // One request within what is left of the deadline. ResourceExhausted means HTTP 503.
  Result<FloatTensor> Attempt(const protocol::EncodedBody& body, Clock::time_point give_up,
                              ServerReport* report) {
    *report = {};
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(give_up - Clock::now());
    if (left.count() <= 0) return Status::DeadlineExceeded("offload deadline passed");
    const auto seconds = static_cast<time_t>(left.count() / 1000000);
    const auto micros = static_cast<time_t>(left.count() % 1000000);
    client_.set_connection_timeout(seconds, micros);
    client_.set_read_timeout(seconds, micros);
    client_.set_write_timeout(seconds, micros);
    httplib::Headers headers;
    if (!options_.bearer_token.empty()) {
      headers.emplace("Authorization", "Bearer " + options_.bearer_token);
    }
    if (!options_.client_id.empty()) headers.emplace(protocol::kClientIdHeader, options_.client_id);
    if (body.header_length) {
      headers.emplace(protocol::kHeaderLengthHeader, std::to_string(*body.header_length));
    }
    const char* content_type = body.header_length ? "application/octet-stream" : "application/json";
    const auto start = Clock::now();
    httplib::Result res = client_.Post(path_.c_str(), headers, body.body, content_type);
    // A kept-alive connection the server has just closed fails on first use; inference
    // is idempotent, so one immediate retry on a fresh connection is safe.
    if (!res && (res.error() == httplib::Error::Read || res.error() == httplib::Error::Write) &&
        Clock::now() - start < (give_up - start) / 2) {
      res = client_.Post(path_.c_str(), headers, body.body, content_type);
    }
    if (!res) {
      const auto error = res.error();
      const std::string what = "offload to " + options_.host + ":" + std::to_string(options_.port) +
                               " failed: " + Describe(error);
      if (Clock::now() >= give_up) return Status::DeadlineExceeded(what);
      // Failed before an answer and with time left: retryable like a 503 (inference is
      // idempotent). A refused connection means the server is down: no retry.
      if (error == httplib::Error::Read || error == httplib::Error::Write) {
        return Status::ResourceExhausted(what);
      }
      return Status::Unavailable(what);
    }
    if (res->status != 200) {
      const std::string what =
          "server answered HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
      if (res->status == 503 && res->has_header(protocol::kOffloadPriceHeader)) {
        // Refused by admission control: retrying does not help; fall back at once.
        internal::ReadPrice(res->get_header_value(protocol::kOffloadPriceHeader), report);
        return Status::Overloaded(what);
      }
      switch (res->status) {
        case 503:  // Shedding load: retried.
          return Status::ResourceExhausted(what);
        case 401:  // Refused credentials: permanent (the device stops offloading).
        case 403:
          return Status::Unauthenticated(what);
        case 400:
        case 404:
        case 413:  // The request itself: the server is healthy.
          return Status::InvalidArgument(what);
        default:
          return Status::Unavailable(what);
      }
    }
    const std::string length_text = res->get_header_value(protocol::kHeaderLengthHeader);
    const auto header_length =
        protocol::ParseHeaderLength(res->has_header(protocol::kHeaderLengthHeader)
                                        ? std::optional<std::string_view>(length_text)
                                        : std::nullopt);
    if (!header_length.ok()) {
      return Status::Internal("server reply: " + header_length.status().message());
    }
    HIEDGE_ASSIGN_OR_RETURN(protocol::InferResponse response,
                            protocol::ParseInferResponse(res->body, *header_length));
    return internal::LogitsOf(std::move(response), report);
  }

  OffloadOptions options_;
  httplib::Client client_;
  std::string path_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<OffloadClient> MakeHttpOffloadClient(const OffloadOptions& options) {
  return std::make_unique<HttpOffloadClient>(options);
}

}  // namespace hiedge
