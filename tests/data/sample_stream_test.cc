#include "hiedge/data/sample_stream.h"

#include <gtest/gtest.h>

#include <fstream>

#include "hiedge/data/data.h"
#include "testing/data_files.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

TEST(SampleStreamTest, IdxStreamYieldsTheLoadersSamplesOneByOne) {
  auto whole = LoadFashionMnist(kFashionMnistDir, Split::kTest);
  ASSERT_TRUE(whole.ok());
  auto stream = OpenDataTestStream(kFashionMnistDir);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_EQ((*stream)->sample_shape(), (std::vector<int64_t>{1, 28, 28}));
  std::vector<float> image;
  int label = -1;
  size_t n = 0;
  while (true) {
    auto more = (*stream)->Next(&image, &label);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    if (n < 50) {
      EXPECT_EQ(label, whole->labels[n]);
      EXPECT_TRUE(std::equal(image.begin(), image.end(), whole->image(n)));
    }
    ++n;
  }
  EXPECT_EQ(n, whole->size());
}

TEST(SampleStreamTest, ImageFolderStreamsTheLoadersSamplesOneImageAtATime) {
  testing::ScopedTempDir dir("hiedge_stream_images");
  testing::WriteImageFolder(dir / "train", {"bird", "cat"}, 2, 12, 10, 3, 1);
  testing::WriteImageFolder(dir / "test", {"bird", "cat"}, 3, 12, 10, 3, 2);
  const ImageFit fit{1, 8, 8};
  auto whole = LoadData(dir.path().string(), Split::kTest, fit);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto stream = OpenDataTestStream(dir.path().string(), fit);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_EQ((*stream)->sample_shape(), (std::vector<int64_t>{1, 8, 8}));
  std::vector<float> image;
  int label = -1;
  size_t n = 0;
  while (*(*stream)->Next(&image, &label)) {
    ASSERT_LT(n, whole->size());
    EXPECT_EQ(label, whole->labels[n]);
    EXPECT_TRUE(std::equal(image.begin(), image.end(), whole->image(n))) << n;
    ++n;
  }
  EXPECT_EQ(n, whole->size());
  // A corrupt image fails when it is reached, by name; earlier answers stand.
  testing::WriteImageFolder(dir / "test", {"bird"}, 1, 12, 10, 3, 3);
  std::ofstream(dir / "test" / "cat" / "zz.png") << "not an image";
  auto broken = OpenDataTestStream(dir.path().string(), fit);
  ASSERT_TRUE(broken.ok());
  Result<bool> more = true;
  while (more.ok() && *more) more = (*broken)->Next(&image, &label);
  EXPECT_EQ(more.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(more.status().message().find("zz.png"), std::string::npos);
}

void WriteBytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

TEST(SampleStreamTest, TruncatedOrMismatchedIdxFilesAreDataLoss) {
  const testing::ScopedTempDir dir("hiedge_stream");
  // Header: 3 images of 2x2, but only one image's pixels follow.
  WriteBytes((dir / "images").string(),
             {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4});
  WriteBytes((dir / "labels").string(), {0, 0, 8, 1, 0, 0, 0, 2, 1, 1});
  EXPECT_EQ(OpenIdxStream((dir / "images").string(), (dir / "labels").string()).status().code(),
            StatusCode::kDataLoss);  // 3 images, 2 labels.
  auto stream = OpenIdxStream((dir / "images").string(), "");
  ASSERT_TRUE(stream.ok());
  std::vector<float> image;
  int label = 0;
  auto first = (*stream)->Next(&image, &label);
  ASSERT_TRUE(first.ok() && *first);
  EXPECT_EQ(label, -1);
  EXPECT_FLOAT_EQ(image[3], 4 / 255.0f);
  EXPECT_EQ((*stream)->Next(&image, &label).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(OpenIdxStream((dir / "labels").string(), "").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(OpenIdxStream((dir / "missing").string(), "").status().code(), StatusCode::kNotFound);
}

TEST(SampleStreamTest, RawFloatSamplesRoundTripAndAPartialOneIsDataLoss) {
  const testing::ScopedTempDir dir("hiedge_raw");
  const std::vector<float> values = {0.5f, -1.0f, 2.0f, 3.5f, 4.0f, 5.0f, 6.0f};
  std::ofstream((dir / "raw").string(), std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), sizeof(float) * values.size());
  auto stream = OpenRawStream((dir / "raw").string(), {1, 3}, RawFormat::kFloat32);
  ASSERT_TRUE(stream.ok());
  std::vector<float> sample;
  int label = 0;
  ASSERT_TRUE(*(*stream)->Next(&sample, &label));
  EXPECT_EQ(sample, (std::vector<float>{0.5f, -1.0f, 2.0f}));
  ASSERT_TRUE(*(*stream)->Next(&sample, &label));
  EXPECT_EQ(sample, (std::vector<float>{3.5f, 4.0f, 5.0f}));
  EXPECT_EQ((*stream)->Next(&sample, &label).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseRawFormat("jpeg").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenRawStream((dir / "none").string(), {1}, RawFormat::kUint8).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace hiedge
