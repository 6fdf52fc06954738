#include "tensor_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/bounded_json.h"

namespace hiedge::protocol {
namespace internal {
namespace {

using nlohmann::json;

template <typename T>
void DecodeLittleEndian(std::string_view bytes, std::vector<float>* out) {
  const size_t n = bytes.size() / sizeof(T);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    T value;
    std::memcpy(&value, bytes.data() + i * sizeof(T), sizeof(T));  // Host is little-endian.
    (*out)[i] = static_cast<float>(value);
  }
}

template <typename Convert>
void DecodeHalfWidth(std::string_view bytes, std::vector<float>* out, Convert convert) {
  const size_t n = bytes.size() / 2;
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, bytes.data() + 2 * i, 2);
    (*out)[i] = convert(h);
  }
}

// Converts raw little-endian bytes of `datatype` into floats.
void DecodeNumeric(std::string_view datatype, std::string_view bytes, std::vector<float>* out) {
  if (datatype == "FP16") return DecodeHalfWidth(bytes, out, HalfToFloat);
  if (datatype == "BF16") {
    return DecodeHalfWidth(bytes, out, [](uint16_t h) {
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    });
  }
  if (datatype == "FP32") return DecodeLittleEndian<float>(bytes, out);
  if (datatype == "FP64") return DecodeLittleEndian<double>(bytes, out);
  if (datatype == "INT8") return DecodeLittleEndian<int8_t>(bytes, out);
  if (datatype == "INT16") return DecodeLittleEndian<int16_t>(bytes, out);
  if (datatype == "INT32") return DecodeLittleEndian<int32_t>(bytes, out);
  if (datatype == "INT64") return DecodeLittleEndian<int64_t>(bytes, out);
  if (datatype == "UINT8" || datatype == "BOOL") return DecodeLittleEndian<uint8_t>(bytes, out);
  if (datatype == "UINT16") return DecodeLittleEndian<uint16_t>(bytes, out);
  if (datatype == "UINT32") return DecodeLittleEndian<uint32_t>(bytes, out);
  if (datatype == "UINT64") return DecodeLittleEndian<uint64_t>(bytes, out);
}

Status DecodeBinaryStrings(std::string_view bytes, std::vector<std::string>* out) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) return Status::InvalidArgument("truncated BYTES length prefix");
    uint32_t length;
    std::memcpy(&length, bytes.data() + pos, 4);
    pos += 4;
    if (bytes.size() - pos < length) return Status::InvalidArgument("truncated BYTES element");
    out->emplace_back(bytes.substr(pos, length));
    pos += length;
  }
  return Status::Ok();
}

// Appends one leaf value of `datatype` to t.
Status AppendLeaf(const json& j, const std::string& datatype, Tensor* t) {
  if (datatype == "BYTES") {
    if (!j.is_string()) return Status::InvalidArgument("BYTES data must be strings");
    t->strings.push_back(j.get<std::string>());
  } else if (j.is_number()) {
    t->data.push_back(j.get<float>());
  } else if (j.is_boolean() && datatype == "BOOL") {
    t->data.push_back(j.get<bool>() ? 1.0f : 0.0f);
  } else {
    return Status::InvalidArgument("tensor " + Quoted(t->name) + ": data of " + datatype +
                                   " must be numbers, got " + j.type_name());
  }
  return Status::Ok();
}

// Appends the leaves of a JSON array in row-major order, iteratively. The array may
// be flat or nested up to the tensor's rank (OIP allows both); deeper nesting is an
// InvalidArgument, so the work is bounded by the rank and the element count.
Status FlattenData(const json& j, const std::string& datatype, Tensor* t) {
  const size_t max_depth = std::max<size_t>(t->shape.size(), 1);
  if (!j.is_array()) return AppendLeaf(j, datatype, t);
  struct Frame {
    const json* array;
    size_t next;
  };
  std::vector<Frame> stack = {{&j, 0}};
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.next == top.array->size()) {
      stack.pop_back();
      continue;
    }
    const json& e = (*top.array)[top.next++];
    if (e.is_array()) {
      if (stack.size() >= max_depth) {
        return Status::InvalidArgument(
            "tensor " + Quoted(t->name) + ": data nested deeper than its " +
            std::to_string(t->shape.size()) + "-dimensional shape " + ShapeToString(t->shape));
      }
      stack.push_back({&e, 0});
      continue;
    }
    HIEDGE_RETURN_IF_ERROR(AppendLeaf(e, datatype, t));
    if (static_cast<int64_t>(t->data.size() + t->strings.size()) > kMaxElements) {
      return Status::InvalidArgument("tensor " + Quoted(t->name) + " is too large");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<int64_t> ElementCount(const std::vector<int64_t>& shape, const std::string& name) {
  int64_t elements = 1;
  for (const int64_t d : shape) {
    if (d < 0)
      return Status::InvalidArgument("tensor " + Quoted(name) + ": shape must hold integers >= 0");
    if (d == 0) {
      elements = 0;
    } else if (elements > kMaxElements / d) {
      return Status::InvalidArgument("tensor " + Quoted(name) + " is too large");
    } else {
      elements *= d;
    }
  }
  return elements;
}

Status DecodeRawContents(std::string_view bytes, int64_t elements, Tensor* t) {
  if (t->datatype == "BYTES") {
    HIEDGE_RETURN_IF_ERROR(DecodeBinaryStrings(bytes, &t->strings));
    if (static_cast<int64_t>(t->strings.size()) != elements) {
      return Status::InvalidArgument("tensor '" + t->name +
                                     "': BYTES element count does not match shape");
    }
    return Status::Ok();
  }
  const size_t expected = static_cast<size_t>(elements) * DatatypeSize(t->datatype);
  if (bytes.size() != expected) {
    return Status::InvalidArgument("tensor " + Quoted(t->name) + ": data of " +
                                   std::to_string(bytes.size()) + " bytes does not match shape " +
                                   ShapeToString(t->shape) + " of " + t->datatype + " (" +
                                   std::to_string(expected) + " bytes)");
  }
  DecodeNumeric(t->datatype, bytes, &t->data);
  return Status::Ok();
}

size_t AppendRawContents(const Tensor& t, std::string* out) {
  const size_t before = out->size();
  if (t.datatype == "BYTES") {
    for (const std::string& s : t.strings) {
      const auto length = static_cast<uint32_t>(s.size());
      out->append(reinterpret_cast<const char*>(&length), 4);
      out->append(s);
    }
  } else if (t.datatype == "FP16") {
    out->reserve(out->size() + 2 * t.data.size());
    for (float v : t.data) {
      const uint16_t h = FloatToHalf(v);
      out->append(reinterpret_cast<const char*>(&h), 2);
    }
  } else if (t.datatype == "UINT8") {
    out->reserve(out->size() + t.data.size());
    for (float v : t.data) {
      out->push_back(static_cast<char>(static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L))));
    }
  } else {
    out->append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  return out->size() - before;
}

std::string WireDatatype(const Tensor& t) {
  return t.datatype == "BYTES" || t.datatype == "UINT8" || t.datatype == "FP16" ? t.datatype
                                                                                : "FP32";
}

Result<Tensor> ParseTensor(const json& j, std::string_view binary, size_t* offset) {
  if (!j.is_object()) return Status::InvalidArgument("each tensor must be a JSON object");
  Tensor t;
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string()) {
    return Status::InvalidArgument("tensor is missing a string 'name'");
  }
  t.name = name->get<std::string>();
  const auto datatype = j.find("datatype");
  if (datatype == j.end() || !datatype->is_string()) {
    return Status::InvalidArgument("tensor " + Quoted(t.name) + " is missing a string 'datatype'");
  }
  t.datatype = datatype->get<std::string>();
  if (!IsKnownDatatype(t.datatype)) {
    return Status::InvalidArgument("tensor " + Quoted(t.name) + ": unknown datatype '" +
                                   t.datatype + "'");
  }
  const auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) {
    return Status::InvalidArgument("tensor " + Quoted(t.name) + " is missing a 'shape' array");
  }
  for (const json& d : *shape) {
    if (!d.is_number_integer()) {
      return Status::InvalidArgument("tensor " + Quoted(t.name) +
                                     ": shape must hold integers >= 0");
    }
    t.shape.push_back(d.get<int64_t>());
  }
  HIEDGE_ASSIGN_OR_RETURN(const int64_t elements, ElementCount(t.shape, t.name));

  const json* params = j.contains("parameters") ? &j["parameters"] : nullptr;
  if (params != nullptr && params->is_object() && params->contains("binary_data_size")) {
    const json& size_json = (*params)["binary_data_size"];
    if (!size_json.is_number_unsigned()) {
      return Status::InvalidArgument("tensor " + Quoted(t.name) +
                                     ": binary_data_size must be >= 0");
    }
    const size_t size = size_json.get<size_t>();
    if (size > binary.size() - *offset) {
      return Status::InvalidArgument(
          "tensor '" + t.name + "': binary_data_size " + std::to_string(size) + " exceeds the " +
          std::to_string(binary.size() - *offset) + " binary bytes left in the body");
    }
    std::string_view bytes = binary.substr(*offset, size);
    *offset += size;
    HIEDGE_RETURN_IF_ERROR(DecodeRawContents(bytes, elements, &t));
    return t;
  }

  const auto data = j.find("data");
  if (data == j.end()) {
    return Status::InvalidArgument("tensor '" + t.name +
                                   "' has neither 'data' nor binary_data_size");
  }
  HIEDGE_RETURN_IF_ERROR(FlattenData(*data, t.datatype, &t));
  const auto count = static_cast<int64_t>(t.data.size() + t.strings.size());
  if (count != elements) {
    return Status::InvalidArgument("tensor " + Quoted(t.name) + " has " + std::to_string(count) +
                                   " values but shape " + ShapeToString(t.shape) + " needs " +
                                   std::to_string(elements));
  }
  return t;
}

Result<std::vector<Tensor>> ParseTensors(const json& array, std::string_view binary,
                                         const char* what) {
  if (!array.is_array())
    return Status::InvalidArgument(std::string("'") + what + "' must be an array");
  std::vector<Tensor> tensors;
  size_t offset = 0;
  for (const json& j : array) {
    HIEDGE_ASSIGN_OR_RETURN(Tensor t, ParseTensor(j, binary, &offset));
    tensors.push_back(std::move(t));
  }
  if (offset != binary.size()) {
    return Status::InvalidArgument("body holds " + std::to_string(binary.size()) +
                                   " binary bytes but the tensors declare " +
                                   std::to_string(offset));
  }
  return tensors;
}

json EncodeTensor(const Tensor& t, bool binary, std::string* binary_out) {
  json j = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
  if (t.datatype == "BYTES") {
    if (!binary) {
      j["data"] = t.strings;
      return j;
    }
    const size_t size = AppendRawContents(t, binary_out);
    j["parameters"] = {{"binary_data_size", size}};
    return j;
  }
  if (!binary) {
    j["data"] = t.data;
    return j;
  }
  // Binary numbers go as FP32 little-endian (hiedge computes in float), or as bytes
  // for UINT8 (image pixels, a quarter of the size).
  j["datatype"] = WireDatatype(t);
  j["parameters"] = {{"binary_data_size", AppendRawContents(t, binary_out)}};
  return j;
}

Result<std::pair<std::string_view, std::string_view>> SplitBody(
    std::string_view body, std::optional<size_t> header_length) {
  if (!header_length) return std::make_pair(body, std::string_view());
  if (*header_length > body.size()) {
    return Status::InvalidArgument(std::string(kHeaderLengthHeader) + " " +
                                   std::to_string(*header_length) + " exceeds the body size " +
                                   std::to_string(body.size()));
  }
  return std::make_pair(body.substr(0, *header_length), body.substr(*header_length));
}

Result<json> ParseJsonObject(std::string_view text) {
  HIEDGE_ASSIGN_OR_RETURN(json j, ParseBoundedJson(text));
  if (!j.is_object()) return Status::InvalidArgument("the JSON body must be an object");
  return j;
}

}  // namespace internal

bool IsKnownDatatype(std::string_view d) { return d == "BYTES" || DatatypeSize(d) > 0; }

size_t DatatypeSize(std::string_view d) {
  if (d == "BOOL" || d == "INT8" || d == "UINT8") return 1;
  if (d == "INT16" || d == "UINT16" || d == "FP16" || d == "BF16") return 2;
  if (d == "INT32" || d == "UINT32" || d == "FP32") return 4;
  if (d == "INT64" || d == "UINT64" || d == "FP64") return 8;
  return 0;
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // Inf or NaN.
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // Zero.
  } else {
    // Subnormal half: normalise into a float.
    exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t FloatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t exponent = (x >> 23) & 0xffu;
  const uint32_t mantissa = x & 0x7fffffu;
  if (exponent == 0xff) {  // Inf stays Inf; NaN stays a (quiet) NaN.
    return static_cast<uint16_t>(sign | 0x7c00u | (mantissa != 0 ? 0x200u : 0u));
  }
  const int32_t e = static_cast<int32_t>(exponent) - 127 + 15;  // Half's biased exponent.
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // Too large: Inf.
  // Keep the top bits of `full` above `shift`, rounding to nearest, ties to even.
  auto round = [sign](uint32_t full, uint32_t shift, uint32_t high) {
    uint32_t h = high | (full >> shift);
    const uint32_t rest = full & ((1u << shift) - 1);
    const uint32_t half_way = 1u << (shift - 1);
    if (rest > half_way || (rest == half_way && (h & 1u))) ++h;  // May carry into the exponent.
    return static_cast<uint16_t>(sign | h);
  };
  if (e > 0) return round(mantissa, 13, static_cast<uint32_t>(e) << 10);
  if (e < -10) return sign;  // Below half the smallest subnormal: zero.
  // Subnormal half: the value with its implicit 1, in units of 2^-24.
  return round(mantissa | 0x800000u, static_cast<uint32_t>(14 - e), 0);
}

}  // namespace hiedge::protocol
