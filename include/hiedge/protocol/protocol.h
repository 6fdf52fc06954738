// Open Inference Protocol v2 (KServe v2 / Triton) messages and their REST encoding,
// including the binary tensor data extension. I/O-free: bytes in, structs out.
// Messages are values that own their tensors; the codecs are reentrant, borrow their
// input for the call only and hold no state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

namespace hiedge::protocol {

// Tensor names every hiedge model exposes over the protocol.
inline constexpr const char* kInputName = "input";
inline constexpr const char* kLogitsName = "logits";

// HTTP header carrying the JSON part's length when binary tensor data follows it.
inline constexpr const char* kHeaderLengthHeader = "Inference-Header-Content-Length";

// A named tensor. Values of numeric datatypes are carried as float (only FP32 is
// bit-exact; other numeric types are converted). BYTES tensors carry `strings`.
struct Tensor {
  std::string name;
  std::string datatype = "FP32";
  std::vector<int64_t> shape;
  std::vector<float> data;
  std::vector<std::string> strings;  // For datatype BYTES.
};

struct RequestedOutput {
  std::string name;
  bool binary_data = false;
  int classification = 0;  // > 0: return the top-k classes as BYTES "score:index".
};

struct InferRequest {
  std::string id;
  std::vector<Tensor> inputs;
  std::vector<RequestedOutput> outputs;  // Empty: all outputs, as JSON.
  bool binary_data_output = false;       // Request-level default for outputs.
  int64_t timeout_us = 0;                // Request "timeout" parameter; 0 = none.
  // Who sent it, for admission quotas: set by the transport from the client-id header
  // (kClientIdHeader), never from the body; "" = anonymous.
  std::string client_id;
  // When the transport had the whole request (SteadyMicros), set by the transport; the
  // wait for a worker before the service sees it counts against a latency objective.
  // 0 = unknown (counted from Infer's start).
  int64_t received_us = 0;
};

// HTTP header and gRPC metadata key naming the sending client (a device) for the
// server's per-client quotas: 1-64 characters of [A-Za-z0-9._:-].
inline constexpr const char* kClientIdHeader = "hiedge-client-id";
// InvalidArgument unless `id` is a valid client id (above).
Status CheckClientId(std::string_view id);

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<Tensor> outputs;
  // OIP response parameters with integer values, and with string values (when parsing,
  // other values are kept as their JSON text, at most 64 bytes).
  std::map<std::string, int64_t> parameters;
  std::map<std::string, std::string> string_parameters;
};

// Response parameter: how many of the request's rows a fallback answered (a cascade
// tier whose next tier failed or was late answers them itself). Absent when none.
inline constexpr const char* kFallbackRowsParameter = "hiedge_fallback_rows";
// Response parameter of a composite model (a cascade tier): who answered each row, in
// order, comma-separated: "here", "forwarded" (its next tier) or "fallback". A tier
// whose β follows the measured round trip moves θ with load, so the same input may be
// answered by another tier at another time; this says which did.
inline constexpr const char* kRowSourcesParameter = "hiedge_row_sources";
// Response parameter of batched models: the request's wait in the batch queue (us).
inline constexpr const char* kQueueParameter = "hiedge_queue_us";
// Response parameter of a model served under a latency objective: the server's offload
// price, β × 10^6 (hiedge/server/admission.h). A refusal carries it as the HTTP header or
// gRPC trailing metadata kOffloadPriceHeader.
inline constexpr const char* kOffloadPriceParameter = "hiedge_offload_price_ppm";
inline constexpr const char* kOffloadPriceHeader = "hiedge-offload-price-ppm";

// An encoded HTTP body; header_length is set when binary data follows the JSON.
struct EncodedBody {
  std::string body;
  std::optional<size_t> header_length;
};

// The value of an Inference-Header-Content-Length header (nullopt when the header is
// absent); InvalidArgument unless it is a whole non-negative integer.
Result<std::optional<size_t>> ParseHeaderLength(std::optional<std::string_view> value);

// Known datatypes and their element sizes in bytes (BYTES: 0, variable).
bool IsKnownDatatype(std::string_view datatype);
// IEEE 754 half precision, what an FP16 tensor carries: every half is a float exactly;
// a float rounds to the nearest half, ties to even (too large: Inf; NaN stays NaN).
float HalfToFloat(uint16_t half);
uint16_t FloatToHalf(float value);
size_t DatatypeSize(std::string_view datatype);

// Parses a request body. `header_length` is the Inference-Header-Content-Length value,
// if the header was present. Errors are InvalidArgument with a message fit for a client.
Result<InferRequest> ParseInferRequest(std::string_view body, std::optional<size_t> header_length);
// `binary` sends every input as binary data.
EncodedBody EncodeInferRequest(const InferRequest& request, bool binary);

Result<InferResponse> ParseInferResponse(std::string_view body,
                                         std::optional<size_t> header_length);
// Outputs named in `binary_outputs` go as binary data.
EncodedBody EncodeInferResponse(const InferResponse& response,
                                const std::vector<std::string>& binary_outputs);

// {"error": "<message>"}
std::string ErrorJson(std::string_view message);

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // -1 for a variable (batch) dimension.
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

std::string EncodeModelMetadata(const ModelMetadata& metadata);

// Triton's model statistics JSON ({"model_stats": [...]}), durations in ns.
// Durations in microseconds; request, queue and compute cover successful requests.
struct StatisticsFigures {
  uint64_t request_success, request_failure, inference_count, execution_count;
  uint64_t request_duration_us, failure_duration_us, queue_duration_us, compute_duration_us;
};
// The statistics as Triton reports them, shared by the REST and gRPC encoders.
struct DurationStatistic {
  uint64_t count = 0;
  uint64_t ns = 0;
};
struct ModelStatisticsReport {
  std::string name, version;
  uint64_t inference_count = 0, execution_count = 0;
  DurationStatistic success, fail, queue, compute_infer;
};
ModelStatisticsReport MakeStatisticsReport(const std::string& model, const std::string& version,
                                           const StatisticsFigures& figures);
std::string EncodeModelStatistics(const ModelStatisticsReport& report);
std::string EncodeServerMetadata(const ServerMetadata& metadata);
Result<ModelMetadata> ParseModelMetadata(std::string_view body);

}  // namespace hiedge::protocol
