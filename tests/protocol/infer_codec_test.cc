#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "hiedge/protocol/protocol.h"

namespace hiedge::protocol {
namespace {

InferRequest SampleRequest() {
  InferRequest r;
  r.id = "req-1";
  r.inputs.push_back({"input", "FP32", {2, 3}, {0.5f, -1.25f, 3.0f, 1e-7f, 0.0f, 42.0f}, {}});
  r.outputs.push_back({"logits", true, 0});
  r.timeout_us = 2500;
  return r;
}

void ExpectSameRequest(const InferRequest& a, const InferRequest& b) {
  EXPECT_EQ(a.id, b.id);
  ASSERT_EQ(a.inputs.size(), b.inputs.size());
  EXPECT_EQ(a.inputs[0].name, b.inputs[0].name);
  EXPECT_EQ(a.inputs[0].shape, b.inputs[0].shape);
  EXPECT_EQ(a.inputs[0].data, b.inputs[0].data);
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  EXPECT_EQ(a.outputs[0].binary_data, b.outputs[0].binary_data);
  EXPECT_EQ(a.timeout_us, b.timeout_us);
}

TEST(InferCodecTest, JsonRequestRoundTrip) {
  const EncodedBody body = EncodeInferRequest(SampleRequest(), /*binary=*/false);
  EXPECT_FALSE(body.header_length.has_value());
  auto parsed = ParseInferRequest(body.body, std::nullopt);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameRequest(*parsed, SampleRequest());
}

TEST(InferCodecTest, BinaryRequestRoundTripIsBitExact) {
  const EncodedBody body = EncodeInferRequest(SampleRequest(), /*binary=*/true);
  ASSERT_TRUE(body.header_length.has_value());
  EXPECT_EQ(body.body.size(), *body.header_length + 6 * sizeof(float));
  // The binary tail holds the floats little-endian, in input order.
  float first;
  std::memcpy(&first, body.body.data() + *body.header_length, 4);
  EXPECT_EQ(first, 0.5f);
  auto parsed = ParseInferRequest(body.body, body.header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameRequest(*parsed, SampleRequest());
}

// UINT8 pixels travel as one byte each in binary (rounded, clamped to 0..255).
TEST(InferCodecTest, Uint8InputsTravelAsOneBytePerValue) {
  InferRequest request;
  request.inputs.push_back({"input", "UINT8", {1, 5}, {0, 128, 255, 300, -3}, {}});
  const EncodedBody body = EncodeInferRequest(request, /*binary=*/true);
  ASSERT_TRUE(body.header_length.has_value());
  EXPECT_EQ(body.body.size(), *body.header_length + 5);
  auto parsed = ParseInferRequest(body.body, body.header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->inputs[0].datatype, "UINT8");
  EXPECT_EQ(parsed->inputs[0].data, (std::vector<float>{0, 128, 255, 255, 0}));
}

// Every half survives half -> float -> half; floats round to the nearest half, ties
// to even, overflow to Inf, underflow to zero; NaN stays NaN.
TEST(InferCodecTest, HalfPrecisionRoundsToNearestEven) {
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(f)))) << h;
    } else {
      ASSERT_EQ(FloatToHalf(f), h) << "half " << h << " = " << f;
    }
  }
  EXPECT_EQ(FloatToHalf(1.0f), 0x3c00);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);                // The largest half.
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00);                // Half-way above it: rounds to Inf.
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 2048), 0x3c00);      // Tie between 1 and 1+2^-10: even.
  EXPECT_EQ(FloatToHalf(1.0f + 3.0f / 2048), 0x3c02);      // Tie: to the even neighbour above.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001);   // The smallest subnormal.
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -26)), 0x0000);   // Below half of it: zero.
  EXPECT_EQ(FloatToHalf(-std::ldexp(3.0f, -26)), 0x8001);  // Above half of it: rounds up.
}

// FP16 inputs travel as two bytes each in binary, and decode to the rounded values.
TEST(InferCodecTest, Fp16InputsTravelAsTwoBytesPerValue) {
  InferRequest request;
  request.inputs.push_back({"input", "FP16", {1, 3}, {0.5f, -2.0f, 0.1f}, {}});
  const EncodedBody body = EncodeInferRequest(request, /*binary=*/true);
  ASSERT_TRUE(body.header_length.has_value());
  EXPECT_EQ(body.body.size(), *body.header_length + 6);
  auto parsed = ParseInferRequest(body.body, body.header_length);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->inputs[0].datatype, "FP16");
  EXPECT_EQ(parsed->inputs[0].data,
            (std::vector<float>{0.5f, -2.0f, HalfToFloat(FloatToHalf(0.1f))}));
  EXPECT_NEAR(parsed->inputs[0].data[2], 0.1f, 0.1f / 2048);
}

TEST(InferCodecTest, AcceptsNestedDataAndOtherNumericTypes) {
  auto r = ParseInferRequest(
      R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"INT32","data":[[1,2],[3,4]]}]})",
      std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(r->inputs[0].datatype, "INT32");
}

TEST(InferCodecTest, DecodesBinaryUint8) {
  std::string json =
      R"({"inputs":[{"name":"x","shape":[3],"datatype":"UINT8","parameters":{"binary_data_size":3}}]})";
  std::string body = json + std::string("\x01\x02\xff", 3);
  auto r = ParseInferRequest(body, json.size());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{1, 2, 255}));
}

TEST(InferCodecTest, RequestParametersAndOutputs) {
  auto r = ParseInferRequest(
      R"({"id":"a","parameters":{"binary_data_output":true,"timeout":100},
          "inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}],
          "outputs":[{"name":"logits"},{"name":"logits","parameters":{"classification":3,"binary_data":false}}]})",
      std::nullopt);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->binary_data_output);
  EXPECT_EQ(r->timeout_us, 100);
  ASSERT_EQ(r->outputs.size(), 2u);
  EXPECT_TRUE(r->outputs[0].binary_data);  // Inherits the request default.
  EXPECT_FALSE(r->outputs[1].binary_data);
  EXPECT_EQ(r->outputs[1].classification, 3);
}

struct BadCase {
  const char* what;
  std::string body;
  std::optional<size_t> header_length;
  const char* message_part;
};

TEST(InferCodecTest, RejectsMalformedRequestsWithClearMessages) {
  const std::string ok_json =
      R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  const std::vector<BadCase> cases = {
      {"not json", "{inputs:", std::nullopt, "malformed JSON"},
      {"not an object", "[1,2]", std::nullopt, "object"},
      {"no inputs", "{}", std::nullopt, "no 'inputs'"},
      {"empty inputs", R"({"inputs":[]})", std::nullopt, "empty"},
      {"inputs not array", R"({"inputs":{}})", std::nullopt, "array"},
      {"no name", R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", std::nullopt,
       "name"},
      {"unknown datatype", R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP31","data":[1]}]})",
       std::nullopt, "unknown datatype"},
      {"negative dim", R"({"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]})",
       std::nullopt, "shape"},
      {"count mismatch", R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1,2]}]})",
       std::nullopt, "needs 3"},
      {"string data", R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["a"]}]})",
       std::nullopt, "must be numbers"},
      {"no data", R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]})", std::nullopt,
       "neither"},
      {"huge shape",
       R"({"inputs":[{"name":"x","shape":[100000,100000],"datatype":"FP32","data":[]}]})",
       std::nullopt, "too large"},
      {"binary short", ok_json + std::string(4, '\0'), ok_json.size(), "exceeds"},
      {"binary extra", ok_json + std::string(12, '\0'), ok_json.size(), "declare"},
      {"header too long", ok_json, ok_json.size() + 5, "exceeds the body"},
      {"size vs shape",
       R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","parameters":{"binary_data_size":8}}]})" +
           std::string(8, '\0'),
       std::nullopt, ""},
      {"bad timeout",
       R"({"parameters":{"timeout":-4},"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]})",
       std::nullopt, "timeout"},
  };
  for (const BadCase& c : cases) {
    auto r = ParseInferRequest(c.body, c.header_length);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(r.status().message().find(c.message_part), std::string::npos)
        << c.what << ": " << r.status().message();
  }
}

TEST(InferCodecTest, BinarySizeMustMatchShape) {
  const std::string json =
      R"({"inputs":[{"name":"x","shape":[3],"datatype":"FP32","parameters":{"binary_data_size":8}}]})";
  auto r = ParseInferRequest(json + std::string(8, '\0'), json.size());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match shape"), std::string::npos);
}

TEST(InferCodecTest, ResponseRoundTripJsonAndBinary) {
  InferResponse resp;
  resp.model_name = "lml";
  resp.model_version = "1";
  resp.id = "7";
  resp.outputs.push_back({"logits", "FP32", {1, 3}, {0.1f, 0.2f, -0.3f}, {}});
  for (bool binary : {false, true}) {
    const EncodedBody body = EncodeInferResponse(
        resp, binary ? std::vector<std::string>{"logits"} : std::vector<std::string>{});
    EXPECT_EQ(body.header_length.has_value(), binary);
    auto back = ParseInferResponse(body.body, body.header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->model_name, "lml");
    EXPECT_EQ(back->id, "7");
    EXPECT_EQ(back->outputs[0].data, resp.outputs[0].data);
    EXPECT_EQ(back->outputs[0].shape, resp.outputs[0].shape);
    EXPECT_TRUE(back->parameters.empty());
  }
}

TEST(InferCodecTest, ResponseParametersCarryTheFallbackCount) {
  InferResponse resp;
  resp.model_name = "edge";
  resp.outputs.push_back({"logits", "FP32", {1, 2}, {0.5f, 0.5f}, {}});
  resp.parameters[kFallbackRowsParameter] = 3;
  const EncodedBody body = EncodeInferResponse(resp, {});
  EXPECT_NE(body.body.find(R"("parameters":{"hiedge_fallback_rows":3})"), std::string::npos)
      << body.body;
  auto back = ParseInferResponse(body.body, body.header_length);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->parameters.at(kFallbackRowsParameter), 3);
  // Other servers' parameters: integers kept, the rest (and out-of-range) ignored.
  auto other = ParseInferResponse(
      R"({"model_name":"m","outputs":[],"parameters":{"a":1,"b":"x","c":true,"d":18446744073709551615}})",
      std::nullopt);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->parameters, (std::map<std::string, int64_t>{{"a", 1}}));
  EXPECT_EQ(ParseInferResponse(R"({"model_name":"m","outputs":[],"parameters":[1]})", std::nullopt)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(InferCodecTest, BytesTensorsRoundTrip) {
  InferResponse resp;
  resp.model_name = "m";
  resp.outputs.push_back({"logits", "BYTES", {1, 2}, {}, {"0.9:3", "0.1:7"}});
  for (bool binary : {false, true}) {
    const EncodedBody body = EncodeInferResponse(
        resp, binary ? std::vector<std::string>{"logits"} : std::vector<std::string>{});
    auto back = ParseInferResponse(body.body, body.header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->outputs[0].strings, resp.outputs[0].strings);
  }
}

TEST(InferCodecTest, ErrorResponsesBecomeStatuses) {
  auto r = ParseInferResponse(ErrorJson("queue full"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("queue full"), std::string::npos);
  EXPECT_EQ(ErrorJson("say \"hi\""), R"({"error":"say \"hi\""})");
}

TEST(MetadataCodecTest, ModelMetadataRoundTrip) {
  ModelMetadata m{"lml",
                  {"1"},
                  "hiedge_vgg",
                  {{"input", "FP32", {-1, 1, 28, 28}}},
                  {{"logits", "FP32", {-1, 10}}}};
  auto back = ParseModelMetadata(EncodeModelMetadata(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "lml");
  EXPECT_EQ(back->inputs[0].shape, (std::vector<int64_t>{-1, 1, 28, 28}));
  EXPECT_EQ(back->outputs[0].name, "logits");
  EXPECT_FALSE(ParseModelMetadata("{}").ok());
  // Found by the fuzzer: a non-string platform must be an error, not an exception.
  EXPECT_EQ(ParseModelMetadata(R"({"name":"lml","versions":["1"],"platform":[]})").status().code(),
            StatusCode::kInvalidArgument);
  // Found by the fuzzer under UBSan: a shape dimension too large for int64 arrives as a
  // JSON float, whose conversion was undefined behaviour.
  EXPECT_EQ(
      ParseModelMetadata(
          R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[1,2811111111111111111111111]}],"outputs":[]})")
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ParseModelMetadata(
          R"({"name":"m","inputs":[{"name":"x","datatype":"FP32","shape":[1.5]}],"outputs":[]})")
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseModelMetadata(R"({"name":"m","inputs":[7],"outputs":[]})").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge::protocol

namespace hiedge::protocol {
namespace {

// Found by the fuzzer: FP16 binary data used to parse "ok" with no values.
TEST(InferCodecTest, HalfPrecisionBinaryDataIsConvertedExactly) {
  const uint16_t halves[] = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001, 0x8000};
  std::string body =
      R"({"inputs":[{"name":"h","shape":[6],"datatype":"FP16","parameters":{"binary_data_size":12}},)"
      R"({"name":"b","shape":[1],"datatype":"BF16","parameters":{"binary_data_size":2}}]})";
  const size_t header = body.size();
  body.append(reinterpret_cast<const char*>(halves), sizeof(halves));
  const uint16_t bf16 = 0x3FC0;  // 1.5
  body.append(reinterpret_cast<const char*>(&bf16), 2);
  auto r = ParseInferRequest(body, header);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data,
            (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f, 5.9604645e-08f, -0.0f}));
  EXPECT_TRUE(std::signbit(r->inputs[0].data[5]));
  EXPECT_EQ(r->inputs[1].data, (std::vector<float>{1.5f}));
}

}  // namespace
}  // namespace hiedge::protocol
