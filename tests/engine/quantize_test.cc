// INT8 post-training quantisation: the QDQ model passes onnx.checker, runs on
// XNNPACK's int8 operators, is about 4x smaller, and keeps accuracy (S-ML: within
// 0.3 pt on the test set; ResNet-8 exercises the int8 residual Add).
#include "hiedge/engine/quantize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "engine/onnx_graph.h"
#include "engine/xnn_program.h"
#include "eval/core/eval.h"
#include "hiedge/engine/model.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

const std::string kModels = std::string(HIEDGE_SOURCE_DIR) + "/models";

class QuantizeTest : public ::testing::TestWithParam<std::string> {
 protected:
  static const TrainValidation& Split() {
    static const TrainValidation split = [] {
      auto train = LoadFashionMnist(kFashionMnistDir, Split::kTrain);
      EXPECT_TRUE(train.ok());
      return SplitTrainValidation(*train);
    }();
    return split;
  }
  static const Dataset& Test() {
    static const Dataset test = *LoadFashionMnist(kFashionMnistDir, Split::kTest);
    return test;
  }
};

TEST_P(QuantizeTest, QdqModelRunsInInt8AndKeepsAccuracy) {
  const testing::ScopedTempDir dir("hiedge_quantize");
  const std::string name = GetParam();
  const std::string onnx = (dir / (name + "_int8.onnx")).string();
  auto card = QuantizeModel(kModels + "/" + name + ".json", Split().validation, onnx, {});
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->precision, "int8");
  EXPECT_EQ(card->name, name + "_int8");
  auto source = ReadModelCard(kModels + "/" + name + ".json");
  ASSERT_TRUE(source.ok());
  EXPECT_GT(static_cast<double>(source->size_bytes) / card->size_bytes, 3.5);
  EXPECT_EQ(std::system(("/usr/bin/python3 -c \"import onnx, sys; onnx.checker.check_model("
                         "onnx.load(sys.argv[1]), full_check=True)\" " +
                         onnx)
                            .c_str()),
            0);

  // Every Conv and Gemm runs on an int8 operator.
  auto graph = engine::ReadOnnxModel(onnx);
  ASSERT_TRUE(graph.ok());
  size_t convs_and_gemms = 0;
  for (const auto& node : graph->nodes) {
    convs_and_gemms += node.op_type == "Conv" || node.op_type == "Gemm";
  }
  auto program = engine::XnnProgram::Compile(*graph, nullptr);
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  const auto steps = (*program)->StepDescriptions();
  const auto int8 = std::count_if(steps.begin(), steps.end(), [](const std::string& s) {
    return (s.rfind("Conv", 0) == 0 || s.rfind("Gemm", 0) == 0) &&
           s.find("(int8)") != std::string::npos;
  });
  EXPECT_EQ(static_cast<size_t>(int8), convs_and_gemms);

  ASSERT_TRUE(WriteModelCard(*card, (dir / (name + "_int8.json")).string()).ok());
  auto quantized = LoadModel((dir / (name + "_int8.json")).string());
  auto original = LoadModel(kModels + "/" + name + ".json");
  ASSERT_TRUE(quantized.ok() && original.ok()) << quantized.status().ToString();
  EXPECT_EQ((*quantized)->info().early_exit_after_stage,
            (*original)->info().early_exit_after_stage);
  auto q = Predict(**quantized, Test());
  auto f = Predict(**original, Test());
  ASSERT_TRUE(q.ok() && f.ok());
  EXPECT_GE(AccuracyOf(*q, Test()), AccuracyOf(*f, Test()) - 0.003) << name;
  // The exits survive quantisation.
  FloatTensor one{{1, 1, 28, 28}, std::vector<float>(Test().image(0), Test().image(1))};
  auto exits = (*quantized)->InferAllExits(one);
  ASSERT_TRUE(exits.ok());
  EXPECT_EQ(exits->size(), (*original)->info().early_exit_after_stage.size() + 1);
}

INSTANTIATE_TEST_SUITE_P(Shipped, QuantizeTest, ::testing::Values("sml", "resnet8"));

}  // namespace
}  // namespace hiedge
