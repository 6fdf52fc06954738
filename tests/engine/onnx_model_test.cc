// ONNX models from outside hiedge (built by python3-onnx, as a user's exporter would):
// run by the XNNPACK backend against a NumPy reference at any batch size, refused by
// name when they use an unsupported operator. Engine only (part of the device build).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/files.h"
#include "engine/onnx_graph.h"
#include "engine/xnn_program.h"
#include "hiedge/engine/model.h"
#include "hiedge/common/model_card.h"
#include "testing/onnx_fixtures.h"

namespace hiedge {
namespace {

using testing::kSource;
using testing::ReadFloats;
using testing::UserOnnxModelTest;

// user_cnn.onnx ends in a Softmax: served as log probabilities, whose exp is the
// reference's probabilities.
TEST_F(UserOnnxModelTest, RunsLikeTheNumpyReferenceAtAnyBatchSize) {
  auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5, "probabilities"));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<float> input = ReadFloats(dir_ / "input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  ASSERT_EQ(input.size(), 4u * 3 * 8 * 8);
  ASSERT_EQ(expected.size(), 4u * 5);
  auto batch = (*model)->Infer({{4, 3, 8, 8}, input});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->shape, (std::vector<int64_t>{4, 5}));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(std::exp(batch->data[i]), expected[i], 1e-5) << i;
  }
  // One row at a time, then the batch again: batch sizes change without recompiling
  // and give the same rows.
  for (int64_t r = 0; r < 4; ++r) {
    FloatTensor one{{1, 3, 8, 8},
                    std::vector<float>(input.begin() + r * 192, input.begin() + (r + 1) * 192)};
    auto row = (*model)->Infer(one);
    ASSERT_TRUE(row.ok());
    for (int64_t k = 0; k < 5; ++k) EXPECT_NEAR(std::exp(row->data[k]), expected[r * 5 + k], 1e-5);
  }
  auto again = (*model)->Infer({{4, 3, 8, 8}, input});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->data, batch->data);
}

// A batch larger than one pass (XnnProgram::kRowsPerPass) runs in passes: 37 rows (two
// full passes and a part) cycling through the reference's 4 inputs each match their
// reference row, in order, channels permuted in and out of XNNPACK's layout per pass.
// With 1 thread, and with 2 and 3 threads (a batch this large is split into one share
// of rows per thread, each on a single-threaded program; 37 rows do not divide evenly).
TEST_F(UserOnnxModelTest, BatchesRunInPassesGiveEveryRowItsOwnAnswer) {
  const std::vector<float> input = ReadFloats(dir_ / "input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  constexpr int64_t kRows = 37;
  static_assert(kRows > 2 * static_cast<int64_t>(engine::XnnProgram::kRowsPerPass));
  FloatTensor big{{kRows, 3, 8, 8}, {}};
  for (int64_t r = 0; r < kRows; ++r) {
    big.data.insert(big.data.end(), input.begin() + (r % 4) * 192,
                    input.begin() + (r % 4 + 1) * 192);
  }
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(std::to_string(threads) + " thread(s)");
    auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5, "probabilities"),
                           {"xnnpack", threads});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    for (int call = 0; call < 2; ++call) {  // The second call reuses the programs.
      auto out = (*model)->Infer(big);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_EQ(out->shape, (std::vector<int64_t>{kRows, 5}));
      for (int64_t r = 0; r < kRows; ++r) {
        for (int64_t k = 0; k < 5; ++k) {
          EXPECT_NEAR(std::exp(out->data[static_cast<size_t>(r * 5 + k)]),
                      expected[static_cast<size_t>((r % 4) * 5 + k)], 1e-5)
              << "row " << r << " class " << k;
        }
      }
    }
    // The all-exits path splits the same way and keeps the batch whole.
    auto all = (*model)->InferAllExits(big);
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->back().shape, (std::vector<int64_t>{kRows, 5}));
  }
}

// Each element-wise function stock PyTorch and Keras classifiers use, alone on a
// [N, 3, 4, 4] feature map (stored NHWC inside the engine), against NumPy: Sigmoid,
// Tanh, LeakyRelu, HardSwish, HardSigmoid, Erf, Gelu (opset 20, exact and tanh) and
// Gelu as PyTorch exports it below opset 20 (the Erf decomposition).
TEST_F(UserOnnxModelTest, ElementWiseFunctionsMatchTheNumpyReference) {
  const std::vector<float> input = ReadFloats(dir_ / "unary_input.bin");
  ASSERT_EQ(input.size(), 3u * 48);
  for (const std::string op : {"Sigmoid", "Tanh", "LeakyRelu", "HardSwish", "HardSigmoid", "Erf",
                               "Gelu", "GeluTanh", "GeluErf"}) {
    SCOPED_TRACE(op);
    const std::vector<float> expected = ReadFloats(dir_ / ("unary_" + op + ".bin"));
    ASSERT_EQ(expected.size(), input.size());
    for (int threads : {1, 2}) {
      auto model = LoadModel(Card("unary_" + op + ".onnx", {3, 4, 4}, 48), {"xnnpack", threads});
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      auto out = (*model)->Infer({{3, 3, 4, 4}, input});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_EQ(out->shape, (std::vector<int64_t>{3, 48}));
      for (size_t k = 0; k < expected.size(); ++k) {
        // XNNPACK's sigmoid and hardswish use their own approximations.
        EXPECT_NEAR(out->data[k], expected[k], 1e-5 + 1e-5 * std::fabs(expected[k]))
            << "element " << k << " of input " << input[k];
      }
    }
  }
}

// Shape arithmetic around a dynamic batch is folded when the model is compiled: the
// flatten of x.view(x.size(0), -1) and of a Slice/Cast variant run like a Flatten, at
// any batch, and run nothing per call beyond the model's own operators.
TEST_F(UserOnnxModelTest, ShapeArithmeticOfADynamicBatchIsFolded) {
  const std::vector<float> input = ReadFloats(dir_ / "unary_input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "dynamic_view.bin");
  ASSERT_EQ(expected.size(), 3u * 5);
  auto model = LoadModel(Card("dynamic_view.onnx", {3, 4, 4}, 5));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (int64_t batch : {3, 1}) {
    auto out = (*model)->Infer(
        {{batch, 3, 4, 4}, std::vector<float>(input.begin(), input.begin() + batch * 48)});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->shape, (std::vector<int64_t>{batch, 5}));
    for (size_t k = 0; k < out->data.size(); ++k) EXPECT_NEAR(out->data[k], expected[k], 1e-4) << k;
  }
  // The folded chain compiles to the model's own steps only.
  auto graph = engine::ReadOnnxModel((dir_ / "dynamic_view.onnx").string());
  ASSERT_TRUE(graph.ok());
  auto program = engine::XnnProgram::Compile(*graph, nullptr);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  for (const std::string& step : (*program)->StepDescriptions()) {
    for (const char* folded : {"Shape", "Gather", "Unsqueeze", "Concat", "Slice", "Cast"}) {
      EXPECT_EQ(step.find(folded), std::string::npos) << step;
    }
  }
}

// Pad (a constant around H and W) before an AveragePool, as nn.AvgPool2d with padding
// exports; ReduceMean over H and W (keepdims 0) then LayerNormalization over the
// channels; and nearest Resize by 2. Each against NumPy, at 1 and 2 threads (bilinear
// Resize is checked against PyTorch in ZooTest).
TEST_F(UserOnnxModelTest, PadReduceMeanLayerNormAndResizeMatchTheNumpyReference) {
  const std::vector<float> input = ReadFloats(dir_ / "unary_input.bin");
  for (const auto& [file, classes] : std::vector<std::pair<std::string, int>>{
           {"pad_pool", 48}, {"mean_norm", 3}, {"resize", 192}}) {
    SCOPED_TRACE(file);
    const std::vector<float> expected = ReadFloats(dir_ / (file + ".bin"));
    ASSERT_EQ(expected.size(), 3u * static_cast<size_t>(classes));
    for (int threads : {1, 2}) {
      auto model = LoadModel(Card(file + ".onnx", {3, 4, 4}, classes), {"xnnpack", threads});
      ASSERT_TRUE(model.ok()) << model.status().ToString();
      auto out = (*model)->Infer({{3, 3, 4, 4}, input});
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      ASSERT_EQ(out->shape, (std::vector<int64_t>{3, classes}));
      for (size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(out->data[k], expected[k], 1e-4) << k;
    }
  }
}

// Tensors change layout: a Keras-style NHWC input transposed to NCHW and back, then
// reshaped to [N, 16, 2], unsqueezed and squeezed (each a table of moves fixed at
// compile time, or an alias when nothing moves), against NumPy at 1 and 2 threads.
TEST_F(UserOnnxModelTest, TransposeReshapeSqueezeAndUnsqueezeMatchTheNumpyReference) {
  const std::vector<float> input = ReadFloats(dir_ / "relayout_input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "relayout.bin");
  ASSERT_EQ(input.size(), 3u * 48);
  ASSERT_EQ(expected.size(), 3u * 5);
  for (int threads : {1, 2}) {
    auto model = LoadModel(Card("relayout.onnx", {4, 4, 3}, 5), {"xnnpack", threads});
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto out = (*model)->Infer({{3, 4, 4, 3}, input});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (size_t k = 0; k < expected.size(); ++k) EXPECT_NEAR(out->data[k], expected[k], 1e-4) << k;
  }
}

// A graph ending in a softmax must not be softmaxed again: its card says so, or the
// load is refused with what to do; a card claiming probabilities of a logits model is
// refused too. The confidence the device sees is then the model's own probability.
TEST_F(UserOnnxModelTest, ProbabilityOutputsAreDetectedAndNeverSoftmaxedTwice) {
  for (const std::string unstated : {"", "logits"}) {
    auto refused = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5, unstated));
    ASSERT_FALSE(refused.ok()) << "outputs '" << unstated << "'";
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("\"outputs\": \"probabilities\""), std::string::npos)
        << refused.status().message();
  }
  const std::vector<float> input = ReadFloats(dir_ / "input.bin");
  const std::vector<float> expected = ReadFloats(dir_ / "expected.bin");
  for (const std::string stated : {"probabilities", "auto"}) {
    auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5, stated));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto served = (*model)->Infer({{4, 3, 8, 8}, input});
    ASSERT_TRUE(served.ok());
    for (int64_t r = 0; r < 4; ++r) {
      // Softmax of what is served = the model's probabilities, so max-softmax
      // confidence is the model's top probability, not a squashed one.
      const float* row = served->data.data() + r * 5;
      double sum = 0;
      for (int k = 0; k < 5; ++k) sum += std::exp(row[k]);
      const float* p = expected.data() + r * 5;
      for (int k = 0; k < 5; ++k) EXPECT_NEAR(std::exp(row[k]) / sum, p[k], 1e-5);
    }
  }
  // A logits model whose card claims probabilities.
  auto card = ReadModelCard(kSource + "/models/sml.json");
  ASSERT_TRUE(card.ok());
  card->outputs = "probabilities";
  auto claimed = LoadModelFromCard(*card, kSource + "/models");
  EXPECT_EQ(claimed.status().code(), StatusCode::kDataLoss) << claimed.status().ToString();
  card->outputs = "auto";
  EXPECT_TRUE(LoadModelFromCard(*card, kSource + "/models").ok());
}

TEST_F(UserOnnxModelTest, BadInputAndCardsAreRefused) {
  auto model = LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 5, "probabilities"));
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->Infer({{1, 3, 8, 9}, std::vector<float>(216)}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ((*model)->Infer({{2, 3, 8, 8}, std::vector<float>(10)}).status().code(),
            StatusCode::kInvalidArgument);
  // A card whose input shape or class count disagrees with the graph fails at load.
  EXPECT_EQ(LoadModel(Card("user_cnn.onnx", {3, 16, 16}, 5, "probabilities")).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(LoadModel(Card("user_cnn.onnx", {3, 8, 8}, 7, "probabilities")).status().code(),
            StatusCode::kDataLoss);
}

TEST_F(UserOnnxModelTest, UnsupportedOperatorsAreRefusedByName) {
  auto model = LoadModel(Card("unsupported.onnx", {1, 2, 2}, 4));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kUnimplemented) << model.status().ToString();
  EXPECT_NE(model.status().message().find("Einsum 'squash'"), std::string::npos)
      << model.status().message();
  EXPECT_NE(model.status().message().find("GlobalAveragePool"), std::string::npos)
      << "the error lists what is supported";
}

// Found by onnx_model_fuzzer: a BatchNormalization without outputs, fused into the
// Conv before it, was read past its end. Malformed nodes are DataLoss up front.
TEST(OnnxCompilerTest, NodesWithoutTheirInputsOrOutputsAreDataLoss) {
  auto graph = engine::ReadOnnxModel(kSource + "/tests/testdata/onnx/fuzz_node_without_input.onnx");
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  auto program = engine::XnnProgram::Compile(*graph, nullptr);
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(program.status().message().find("BatchNormalization"), std::string::npos)
      << program.status().message();
}

}  // namespace
}  // namespace hiedge
