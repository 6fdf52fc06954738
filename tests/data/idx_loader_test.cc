#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "hiedge/data/data.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;

std::string BigEndian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

class IdxLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    temp_ = std::make_unique<testing::ScopedTempDir>("hiedge_idx");
    dir_ = temp_->path();
  }
  void TearDown() override { temp_.reset(); }

  std::string Write(const std::string& name, const std::string& bytes, bool gzip) {
    const std::string path = (dir_ / name).string();
    if (gzip) {
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
    } else {
      std::ofstream(path, std::ios::binary) << bytes;
    }
    return path;
  }

  // Three 2x3 images with pixels 0, 51, 255... and labels 0, 7, 9.
  static std::string Images(uint32_t count = 3) {
    std::string s = BigEndian(0x803) + BigEndian(count) + BigEndian(2) + BigEndian(3);
    for (uint32_t i = 0; i < count * 6; ++i) s.push_back(static_cast<char>(i == 1 ? 255 : i * 10));
    return s;
  }
  static std::string Labels(std::string values = std::string("\x00\x07\x09", 3)) {
    return BigEndian(0x801) + BigEndian(static_cast<uint32_t>(values.size())) + values;
  }

  std::unique_ptr<testing::ScopedTempDir> temp_;
  fs::path dir_;
};

TEST_F(IdxLoaderTest, LoadsGzipAndPlainIdentically) {
  for (bool gzip : {true, false}) {
    auto ds = LoadIdx(Write("img", Images(), gzip), Write("lbl", Labels(), gzip));
    ASSERT_TRUE(ds.ok()) << ds.status().ToString();
    EXPECT_EQ(ds->size(), 3u);
    EXPECT_EQ(ds->height, 2);
    EXPECT_EQ(ds->width, 3);
    EXPECT_EQ(ds->channels, 1);
    EXPECT_EQ(ds->labels, (std::vector<int32_t>{0, 7, 9}));
    EXPECT_FLOAT_EQ(ds->images[1], 1.0f);
    EXPECT_FLOAT_EQ(ds->images[2], 20 / 255.0f);
    EXPECT_FLOAT_EQ(ds->image(2)[0], 120 / 255.0f);
  }
}

TEST_F(IdxLoaderTest, MissingFileIsNotFound) {
  auto ds = LoadIdx((dir_ / "nope").string(), Write("lbl", Labels(), false));
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  EXPECT_NE(ds.status().message().find("nope"), std::string::npos);
}

TEST_F(IdxLoaderTest, TruncatedPixelsAreDataLoss) {
  std::string images = Images();
  images.resize(images.size() - 4);
  auto ds = LoadIdx(Write("img", images, true), Write("lbl", Labels(), true));
  EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(ds.status().message().find("truncated"), std::string::npos);
}

TEST_F(IdxLoaderTest, TruncatedHeaderIsDataLoss) {
  auto ds = LoadIdx(Write("img", Images().substr(0, 6), false), Write("lbl", Labels(), false));
  EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss);
}

TEST_F(IdxLoaderTest, WrongMagicIsDataLoss) {
  // Swapping the files: labels where images belong.
  auto ds = LoadIdx(Write("img", Labels(), false), Write("lbl", Images(), false));
  EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss);
}

TEST_F(IdxLoaderTest, CountMismatchIsDataLoss) {
  auto ds = LoadIdx(Write("img", Images(3), false),
                    Write("lbl", Labels(std::string("\x01\x02", 2)), false));
  EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(ds.status().message().find("3 images"), std::string::npos);
}

TEST_F(IdxLoaderTest, OutOfRangeLabelIsInvalidArgument) {
  auto ds = LoadIdx(Write("img", Images(), false),
                    Write("lbl", Labels(std::string("\x00\x0a\x01", 3)), false));
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ds.status().message().find("label 10"), std::string::npos);
}

TEST_F(IdxLoaderTest, Cifar10RecordsLoad) {
  std::string record(3073, '\0');
  record[0] = 6;
  record[1] = static_cast<char>(255);
  const std::string path = Write("data_batch_1.bin", record + record, false);
  auto ds = LoadCifar10Batches({path});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->size(), 2u);
  EXPECT_EQ(ds->channels, 3);
  EXPECT_EQ(ds->labels[1], 6);
  EXPECT_FLOAT_EQ(ds->image(1)[0], 1.0f);
}

TEST_F(IdxLoaderTest, Cifar10PartialRecordIsDataLoss) {
  auto ds = LoadCifar10Batches({Write("bad.bin", std::string(3000, '\0'), false)});
  EXPECT_EQ(ds.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(LoadCifar10Batches({}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(IdxLoaderTest, Cifar10BadLabelIsInvalidArgument) {
  std::string record(3073, '\0');
  record[0] = 12;
  auto ds = LoadCifar10Batches({Write("b.bin", record, false)});
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hiedge
