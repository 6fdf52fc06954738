// Tensor <-> JSON / binary conversion shared by the request and response codecs.
// Internal to src/protocol.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "hiedge/protocol/protocol.h"

namespace hiedge::protocol::internal {

// Largest tensor accepted, in elements; protects against absurd shapes.
inline constexpr int64_t kMaxElements = int64_t{1} << 28;

// Elements of `shape`; InvalidArgument for a negative dimension or more than kMaxElements.
Result<int64_t> ElementCount(const std::vector<int64_t>& shape, const std::string& name);

// Decodes raw little-endian tensor bytes (BYTES: elements each prefixed by a 4-byte
// length) into t->data or t->strings; t's name, datatype and shape must be set.
// InvalidArgument when the byte count does not match `elements` of t's datatype.
Status DecodeRawContents(std::string_view bytes, int64_t elements, Tensor* t);

// Appends t's raw bytes (numbers as FP32, UINT8 as one byte each, rounded and clamped
// to [0, 255], BYTES length-prefixed); returns the count.
size_t AppendRawContents(const Tensor& t, std::string* out);
// The datatype AppendRawContents writes t's values as: BYTES, UINT8, FP16 or FP32.
std::string WireDatatype(const Tensor& t);

// Parses one tensor object. Binary data, if the tensor declares binary_data_size, is
// read from `binary` at *offset, which advances past it.
Result<Tensor> ParseTensor(const nlohmann::json& j, std::string_view binary, size_t* offset);

// Parses a JSON array of tensors, then checks that all binary data was consumed.
Result<std::vector<Tensor>> ParseTensors(const nlohmann::json& array, std::string_view binary,
                                         const char* what);

// Writes `t` as a JSON object; with `binary`, appends its bytes to *binary_out and sets
// parameters.binary_data_size instead of "data".
nlohmann::json EncodeTensor(const Tensor& t, bool binary, std::string* binary_out);

// Splits a body into JSON text and binary tail by the header length.
Result<std::pair<std::string_view, std::string_view>> SplitBody(
    std::string_view body, std::optional<size_t> header_length);

// Parses JSON text into an object, or InvalidArgument.
Result<nlohmann::json> ParseJsonObject(std::string_view text);

}  // namespace hiedge::protocol::internal
