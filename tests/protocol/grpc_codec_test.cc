#include "protocol/grpc_codec.h"

#include <gtest/gtest.h>

#include <cstring>

namespace hiedge::protocol {
namespace {

std::string FloatBytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Bytes a standard client would send, written out by hand from the specification's
// field numbers: model_name = 1, inputs = 5 {name = 1, datatype = 2, shape = 3 (packed)},
// raw_input_contents = 7. Guards the .proto against renumbering.
TEST(GrpcCodecTest, DecodesHandEncodedWireBytesOfTheStandardProto) {
  std::string wire;
  wire += "\x0a\x03lml";
  std::string input = std::string("\x0a\x05input") +
                      "\x12\x04"
                      "FP32" +
                      "\x1a\x02\x01\x02";
  wire += "\x2a" + std::string(1, static_cast<char>(input.size())) + input;
  wire += "\x3a\x08" + FloatBytes({1.5f, -2.0f});
  inference::ModelInferRequest message;
  ASSERT_TRUE(message.ParseFromString(wire));
  EXPECT_EQ(message.model_name(), "lml");
  auto request = ParseGrpcInferRequest(message);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  ASSERT_EQ(request->inputs.size(), 1u);
  EXPECT_EQ(request->inputs[0].name, "input");
  EXPECT_EQ(request->inputs[0].shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(request->inputs[0].data, (std::vector<float>{1.5f, -2.0f}));
}

TEST(GrpcCodecTest, EncodesOutputsAsRawOutputContentsFieldSix) {
  InferResponse response;
  response.outputs.push_back({"logits", "FP32", {1, 1}, {0.25f}, {}});
  inference::ModelInferResponse message;
  EncodeGrpcInferResponse(response, &message);
  message.clear_outputs();
  EXPECT_EQ(message.SerializeAsString(), "\x32\x04" + FloatBytes({0.25f}));
}

TEST(GrpcCodecTest, ResponseParametersRoundTripAsInt64) {
  InferResponse response;
  response.outputs.push_back({"logits", "FP32", {1, 1}, {0.25f}, {}});
  response.parameters[kFallbackRowsParameter] = 2;
  inference::ModelInferResponse message;
  EncodeGrpcInferResponse(response, &message);
  (*message.mutable_parameters())["note"].set_string_param("ignored");
  auto back = ParseGrpcInferResponse(message);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->parameters, (std::map<std::string, int64_t>{{kFallbackRowsParameter, 2}}));
}

TEST(GrpcCodecTest, RequestRoundTripCarriesTimeoutAndClassification) {
  InferRequest request;
  request.id = "abc";
  request.timeout_us = 1500;
  request.inputs.push_back({"input", "FP32", {2, 2}, {1, 2, 3, 4}, {}});
  request.outputs.push_back({"logits", false, 3});
  inference::ModelInferRequest message;
  EncodeGrpcInferRequest("lml", request, &message);
  EXPECT_EQ(message.model_name(), "lml");
  auto back = ParseGrpcInferRequest(message);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, "abc");
  EXPECT_EQ(back->timeout_us, 1500);
  EXPECT_EQ(back->inputs[0].data, request.inputs[0].data);
  ASSERT_EQ(back->outputs.size(), 1u);
  EXPECT_EQ(back->outputs[0].classification, 3);
}

TEST(GrpcCodecTest, Uint8InputsGoAsRawBytes) {
  InferRequest request;
  request.inputs.push_back({"input", "UINT8", {1, 4}, {0, 1, 254, 255}, {}});
  inference::ModelInferRequest message;
  EncodeGrpcInferRequest("lml", request, &message);
  EXPECT_EQ(message.inputs(0).datatype(), "UINT8");
  ASSERT_EQ(message.raw_input_contents_size(), 1);
  EXPECT_EQ(message.raw_input_contents(0).size(), 4u);
  auto back = ParseGrpcInferRequest(message);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->inputs[0].datatype, "UINT8");
  EXPECT_EQ(back->inputs[0].data, request.inputs[0].data);
}

TEST(GrpcCodecTest, Fp16InputsGoAsTwoRawBytesEach) {
  InferRequest request;
  request.inputs.push_back({"input", "FP16", {1, 3}, {0.25f, -1.5f, 1024.0f}, {}});
  inference::ModelInferRequest message;
  EncodeGrpcInferRequest("expert0", request, &message);
  EXPECT_EQ(message.inputs(0).datatype(), "FP16");
  ASSERT_EQ(message.raw_input_contents_size(), 1);
  EXPECT_EQ(message.raw_input_contents(0).size(), 6u);
  auto back = ParseGrpcInferRequest(message);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->inputs[0].data, request.inputs[0].data);  // All three are halves.
}

TEST(GrpcCodecTest, TypedContentsOfEveryNumericKindAreConverted) {
  inference::ModelInferRequest message;
  auto add = [&](const std::string& datatype) {
    auto* t = message.add_inputs();
    t->set_name(datatype);
    t->set_datatype(datatype);
    t->add_shape(2);
    return t->mutable_contents();
  };
  {
    auto* c = add("INT32");
    for (auto v : {-3, 4}) c->mutable_int_contents()->Add(v);
  }
  {
    auto* c = add("INT64");
    for (auto v : {5, 6}) c->mutable_int64_contents()->Add(v);
  }
  {
    auto* c = add("UINT8");
    for (auto v : {7, 8}) c->mutable_uint_contents()->Add(v);
  }
  {
    auto* c = add("FP64");
    for (auto v : {0.5, 1.5}) c->mutable_fp64_contents()->Add(v);
  }
  {
    auto* c = add("BOOL");
    for (auto v : {true, false}) c->mutable_bool_contents()->Add(v);
  }
  auto* bytes = add("BYTES");
  bytes->add_bytes_contents("a");
  bytes->add_bytes_contents("bc");
  auto r = ParseGrpcInferRequest(message);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->inputs[0].data, (std::vector<float>{-3, 4}));
  EXPECT_EQ(r->inputs[1].data, (std::vector<float>{5, 6}));
  EXPECT_EQ(r->inputs[2].data, (std::vector<float>{7, 8}));
  EXPECT_EQ(r->inputs[3].data, (std::vector<float>{0.5f, 1.5f}));
  EXPECT_EQ(r->inputs[4].data, (std::vector<float>{1, 0}));
  EXPECT_EQ(r->inputs[5].strings, (std::vector<std::string>{"a", "bc"}));
}

TEST(GrpcCodecTest, WrongCountsAndTypesAreInvalidArgument) {
  inference::ModelInferRequest message;
  auto* t = message.add_inputs();
  t->set_name("x");
  t->set_datatype("FP32");
  t->add_shape(3);
  t->mutable_contents()->add_fp32_contents(1.0f);
  auto r = ParseGrpcInferRequest(message);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("needs 3"), std::string::npos) << r.status().message();

  t->clear_contents();
  message.add_raw_input_contents(std::string(5, 'x'));
  r = ParseGrpcInferRequest(message);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match shape"), std::string::npos)
      << r.status().message();

  t->set_datatype("BYTES");
  message.set_raw_input_contents(0, std::string("\x09\x00\x00\x00"
                                                "ab",
                                                6));
  EXPECT_EQ(ParseGrpcInferRequest(message).status().code(), StatusCode::kInvalidArgument);

  message.clear_raw_input_contents();
  t->set_datatype("FP32");
  for (auto v : {1, 2, 3}) t->mutable_contents()->mutable_fp32_contents()->Add(v);
  (*message.mutable_parameters())["timeout"].set_int64_param(-5);
  EXPECT_EQ(ParseGrpcInferRequest(message).status().code(), StatusCode::kInvalidArgument);
  (*message.mutable_parameters())["timeout"].set_uint64_param(~uint64_t{0});
  EXPECT_EQ(ParseGrpcInferRequest(message).status().code(), StatusCode::kInvalidArgument);
  (*message.mutable_parameters())["timeout"].set_uint64_param(10);
  EXPECT_TRUE(ParseGrpcInferRequest(message).ok());
}

}  // namespace
}  // namespace hiedge::protocol
