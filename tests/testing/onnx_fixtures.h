// The python3-onnx fixtures of tests/engine/make_onnx_fixtures.py, built into a fresh
// folder per test, with helpers to read their reference outputs.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hiedge/common/model_card.h"
#include "testing/temp_dir.h"

namespace hiedge::testing {

namespace fs = std::filesystem;
inline const std::string kSource = HIEDGE_SOURCE_DIR;
// Debian's python3-onnx is installed for the system interpreter.
inline const std::string kPython = "/usr/bin/python3";

inline std::vector<float> ReadFloats(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> values(fs::file_size(path) / sizeof(float));
  in.read(reinterpret_cast<char*>(values.data()),
          static_cast<std::streamsize>(values.size() * sizeof(float)));
  return values;
}

inline int Shell(const std::string& command) { return std::system((command + " >&2").c_str()); }

class UserOnnxModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Shell(kPython + " " + kSource + "/tests/engine/make_onnx_fixtures.py " +
                    dir_.path().string()),
              0)
        << "python3-onnx (Debian) builds the fixtures";
  }
  // `outputs`: the card's "outputs" field (user_cnn.onnx ends in a Softmax).
  std::string Card(const std::string& file, std::vector<int64_t> shape, int classes,
                   const std::string& outputs = "") {
    ModelCard card;
    card.name = "user";
    card.architecture = "onnx";
    card.format = "onnx";
    card.weights = file;
    card.input_shape = std::move(shape);
    card.num_classes = classes;
    card.outputs = outputs;
    const std::string path = (dir_ / (file + outputs + ".json")).string();
    EXPECT_TRUE(WriteModelCard(card, path).ok());
    return path;
  }
  ScopedTempDir dir_{"hiedge_onnx"};
};

}  // namespace hiedge::testing
