#include "hiedge/data/data_source.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "data/formats.h"
#include "testing/data_files.h"
#include "testing/temp_dir.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;
using testing::ScopedTempDir;
using testing::WriteText;

TEST(DataSourceTest, ManifestIdx4OfAnyShapeAndChannels) {
  ScopedTempDir dir("hiedge_ds_idx");
  testing::WriteIdxPair(dir / "tr-img", dir / "tr-lab", 4, 5, 3, 8, 6, 1);
  testing::WriteIdxPair(dir / "te-img", dir / "te-lab", 4, 2, 3, 8, 6, 2);
  WriteText(dir / "set.json", R"({"format": "idx", "shape": [3, 8, 6],
    "class_names": ["a", "b", "c", "d"],
    "train": {"images": "tr-img", "labels": "tr-lab"},
    "test": {"images": "te-img", "labels": "te-lab"}})");
  Result<Dataset> train = LoadData((dir / "set.json").string(), Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->size(), 20u);
  EXPECT_EQ(train->channels, 3);
  EXPECT_EQ(train->height, 8);
  EXPECT_EQ(train->width, 6);
  EXPECT_EQ(train->num_classes, 4);
  EXPECT_EQ(train->labels[3], 3);
  // Channel 1 of pixel (0, 0) of image 0 is byte hwc[1] of its pattern.
  const std::vector<uint8_t> hwc = testing::PatternImage(0, 100000, 8, 6, 3);
  EXPECT_FLOAT_EQ(train->images[8 * 6], hwc[1] / 255.0f);
  Result<Dataset> test = LoadData((dir / "set.json").string(), Split::kTest);
  ASSERT_TRUE(test.ok());
  EXPECT_EQ(test->size(), 8u);
  EXPECT_EQ(*DataClassNames((dir / "set.json").string()),
            (std::vector<std::string>{"a", "b", "c", "d"}));

  WriteText(dir / "wrong.json", R"({"format": "idx", "shape": [1, 8, 6], "num_classes": 4,
    "train": {"images": "tr-img", "labels": "tr-lab"}, "test": {"images": "te-img", "labels": "te-lab"}})");
  Result<Dataset> wrong = LoadData((dir / "wrong.json").string(), Split::kTrain);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("3x8x6"), std::string::npos);
}

TEST(DataSourceTest, IdxFolderUnderFashionMnistNamesUncompressed) {
  ScopedTempDir dir("hiedge_ds_fm");
  testing::WriteIdxPair(dir / "train-images-idx3-ubyte", dir / "train-labels-idx1-ubyte", 10, 2, 1,
                        12, 12, 1);
  testing::WriteIdxPair(dir / "t10k-images-idx3-ubyte", dir / "t10k-labels-idx1-ubyte", 10, 1, 1,
                        12, 12, 2);
  Result<Dataset> test = LoadData(dir.path().string(), Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().ToString();
  EXPECT_EQ(test->size(), 10u);
  EXPECT_EQ(test->height, 12);
  EXPECT_EQ(LoadData(dir.path().string(), Split::kTrain)->size(), 20u);
}

TEST(DataSourceTest, Cifar10BatchesInTheFolderOrItsSubfolder) {
  ScopedTempDir dir("hiedge_ds_cifar");
  const fs::path batches = dir / "cifar-10-batches-bin";
  testing::WriteCifarBatch(batches / "data_batch_1.bin", 2, 1);
  testing::WriteCifarBatch(batches / "data_batch_2.bin", 1, 2);
  testing::WriteCifarBatch(batches / "test_batch.bin", 1, 3);
  Result<Dataset> train = LoadData(dir.path().string(), Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->size(), 30u);
  EXPECT_EQ(std::vector<int64_t>({train->channels, train->height, train->width}),
            std::vector<int64_t>({3, 32, 32}));
  const std::vector<uint8_t> hwc = testing::PatternImage(0, 100000, 32, 32, 3);
  EXPECT_FLOAT_EQ(train->images[32 * 32 * 2 + 5], hwc[5 * 3 + 2] / 255.0f);  // Plane 2, pixel 5.
  EXPECT_EQ(LoadData(batches.string(), Split::kTest)->size(), 10u);
  EXPECT_EQ(DataClassNames(dir.path().string())->at(9), "truck");

  WriteText(batches / "data_batch_3.bin", std::string(3073 + 5, '\0'));  // Truncated record.
  EXPECT_EQ(LoadData(dir.path().string(), Split::kTrain).status().code(), StatusCode::kDataLoss);
}

TEST(DataSourceTest, ImageFolderOfPngAndJpegIsFittedToTheModel) {
  ScopedTempDir dir("hiedge_ds_images");
  const std::vector<std::string> classes = {"dog", "bird", "cat"};
  testing::WriteImageFolder(dir / "train", classes, 4, 20, 30, 3, 1);
  testing::WriteImageFolder(dir / "test", classes, 2, 20, 30, 3, 2);
  // Unfitted: the first image's size and colour.
  Result<Dataset> train = LoadData(dir.path().string(), Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->size(), 12u);
  EXPECT_EQ(std::vector<int64_t>({train->channels, train->height, train->width}),
            std::vector<int64_t>({3, 20, 30}));
  EXPECT_EQ(train->num_classes, 3);
  EXPECT_EQ(train->labels.front(), 0);  // "bird": classes in sorted order.
  EXPECT_EQ(*DataClassNames(dir.path().string()), (std::vector<std::string>{"bird", "cat", "dog"}));
  // A PNG at its own size is exact: byte / 255. (bird is class 1 of the writer's list.)
  const std::vector<uint8_t> hwc = testing::PatternImage(1, 100000, 20, 30, 3);
  EXPECT_FLOAT_EQ(train->images[30 * 20 + 7], hwc[7 * 3 + 1] / 255.0f);

  Result<Dataset> fitted = LoadDataForModel(dir.path().string(), Split::kTest,
                                            std::vector<int64_t>{1, 16, 16}, 10, "tiny");
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EXPECT_EQ(fitted->size(), 6u);
  EXPECT_EQ(std::vector<int64_t>({fitted->channels, fitted->height, fitted->width}),
            std::vector<int64_t>({1, 16, 16}));
  for (float v : fitted->images) ASSERT_TRUE(v >= 0 && v <= 1);

  // Corrupt files fail by name instead of being skipped or guessed.
  WriteText(dir / "test" / "cat" / "9.png", "not an image");
  Result<Dataset> bad = LoadData(dir.path().string(), Split::kTest);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("9.png"), std::string::npos);
  fs::remove(dir / "test" / "cat" / "9.png");
  const fs::path jpeg = dir / "test" / "cat" / "1.jpg";
  const auto size = fs::file_size(jpeg);
  fs::resize_file(jpeg, size / 2);
  EXPECT_EQ(LoadData(dir.path().string(), Split::kTest).status().code(), StatusCode::kDataLoss);
}

TEST(DataSourceTest, ATestClassWithoutATrainingFolderIsAnError) {
  ScopedTempDir dir("hiedge_ds_extra_class");
  testing::WriteImageFolder(dir / "train", {"bird", "cat"}, 2, 8, 8, 1, 1);
  testing::WriteImageFolder(dir / "test", {"bird", "cat", "dog"}, 1, 8, 8, 1, 2);
  Result<Dataset> test = LoadData(dir.path().string(), Split::kTest);
  EXPECT_EQ(test.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(test.status().message().find("\"dog\""), std::string::npos) << test.status().message();
  EXPECT_TRUE(LoadData(dir.path().string(), Split::kTrain).ok());
}

TEST(DataSourceTest, FitImageScalesToCoverThenCropsTheCentre) {
  data::DecodedImage image{8, 4, 1, {}};
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 8; ++x) image.pixels.push_back(static_cast<uint8_t>(10 * x + y));
  }
  // 4x8 into 4x4: no scaling, columns 2..5 kept.
  const std::vector<float> crop = data::FitImage(image, {1, 4, 4});
  ASSERT_EQ(crop.size(), 16u);
  EXPECT_FLOAT_EQ(crop[0], 20 / 255.0f);
  EXPECT_FLOAT_EQ(crop[4 * 3 + 3], 53 / 255.0f);
  // Grey to three channels copies the plane.
  const std::vector<float> rgb = data::FitImage(image, {3, 4, 4});
  EXPECT_FLOAT_EQ(rgb[16 * 2 + 5], crop[5]);
  // Halving: each output pixel is the mean of a 2x2 block (bilinear at its centre).
  const std::vector<float> half = data::FitImage(image, {1, 2, 4});
  EXPECT_NEAR(half[0] * 255, (0 + 10 + 1 + 11) / 4.0, 1e-3);
}

TEST(DataSourceTest, CsvWindowsAndRecordings) {
  ScopedTempDir dir("hiedge_ds_csv");
  WriteText(dir / "train.csv", "label,v0,v1,v2,v3\n0,1,2,3,4\n# a comment\n1,-1.5,0,2e-1,7\n");
  WriteText(dir / "test.csv", "1,0,0,0,0\n");
  WriteText(dir / "set.json", R"({"format": "csv_windows", "shape": [1, 1, 4], "num_classes": 2,
    "train": "train.csv", "test": "test.csv"})");
  Result<Dataset> train = LoadData((dir / "set.json").string(), Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status().ToString();
  EXPECT_EQ(train->size(), 2u);
  EXPECT_EQ(train->labels, (std::vector<int32_t>{0, 1}));
  EXPECT_FLOAT_EQ(train->images[4], -1.5f);
  EXPECT_FLOAT_EQ(train->images[6], 0.2f);

  WriteText(dir / "bad.csv", "0,1,2,3\n");  // Three values for a window of four.
  WriteText(dir / "bad.json", R"({"format": "csv_windows", "shape": [1, 1, 4], "num_classes": 2,
    "train": "bad.csv", "test": "test.csv"})");
  Result<Dataset> bad = LoadData((dir / "bad.json").string(), Split::kTrain);
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("bad.csv:1"), std::string::npos);
  WriteText(dir / "label.csv", "2,1,2,3,4\n");
  WriteText(dir / "label.json", R"({"format": "csv_windows", "shape": [1, 1, 4], "num_classes": 2,
    "train": "label.csv", "test": "test.csv"})");
  EXPECT_EQ(LoadData((dir / "label.json").string(), Split::kTrain).status().code(),
            StatusCode::kInvalidArgument);

  std::string healthy = "time,accel\n", fault;
  for (int i = 0; i < 10; ++i) {
    healthy += std::to_string(i) + "," + std::to_string(i * 0.5) + "\n";
    fault += std::to_string(i) + "," + std::to_string(-i) + "\n";
  }
  WriteText(dir / "healthy.csv", healthy);
  WriteText(dir / "fault.csv", fault);
  WriteText(dir / "rec.json", R"({"format": "csv_recordings", "shape": [1, 1, 4], "hop": 3,
    "column": 1, "class_names": ["healthy", "fault"],
    "train": [{"file": "healthy.csv", "label": 0}, {"file": "fault.csv", "label": 1}],
    "test": [{"file": "fault.csv", "label": 1}]})");
  Result<Dataset> windows = LoadData((dir / "rec.json").string(), Split::kTrain);
  ASSERT_TRUE(windows.ok()) << windows.status().ToString();
  // Ten readings, windows of 4 every 3: starts 0, 3, 6 per recording.
  EXPECT_EQ(windows->size(), 6u);
  EXPECT_FLOAT_EQ(windows->images[4], 1.5f);  // Window 1 starts at reading 3.
  EXPECT_EQ(windows->labels[5], 1);
  EXPECT_FLOAT_EQ(windows->images[5 * 4 + 3], -9.0f);
}

TEST(DataSourceTest, UnknownLayoutsAndBadManifestsSayWhatIsExpected) {
  ScopedTempDir dir("hiedge_ds_bad");
  Result<Dataset> empty = LoadData(dir.path().string(), Split::kTrain);
  EXPECT_EQ(empty.status().code(), StatusCode::kNotFound);
  EXPECT_NE(empty.status().message().find("CIFAR-10"), std::string::npos);
  EXPECT_EQ(LoadData((dir / "missing").string(), Split::kTrain).status().code(),
            StatusCode::kNotFound);
  for (
      const std::string manifest :
      {R"({"format": "idx", "num_classes": 2, "train": {}, "test": {}, "extra": 1})",
       R"({"num_classes": 2, "train": "a", "test": "b"})",
       R"({"format": "tfrecord", "num_classes": 2, "train": "a", "test": "b"})",
       R"({"format": "csv_windows", "train": "a", "test": "b"})",
       R"({"format": "csv_windows", "num_classes": 2, "shape": [0, 1, 4], "train": "a", "test": "b"})",
       R"([[[[[[[[[[[[]]]]]]]]]]]])", "{"}) {
    WriteText(dir / "m.json", manifest);
    EXPECT_EQ(LoadData((dir / "m.json").string(), Split::kTrain).status().code(),
              StatusCode::kInvalidArgument)
        << manifest;
  }
}

TEST(DataSourceTest, ShapeMismatchWithAModelIsAClearError) {
  Dataset data;
  data.channels = 1;
  data.height = 28;
  data.width = 28;
  data.num_classes = 10;
  const std::vector<int64_t> cifar = {3, 32, 32};
  const Status status = CheckDataFitsModel(data, cifar, 10, "resnet8");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("1x28x28"), std::string::npos);
  EXPECT_NE(status.message().find("3x32x32"), std::string::npos);
  const std::vector<int64_t> same = {1, 28, 28};
  EXPECT_TRUE(CheckDataFitsModel(data, same, 10, "sml").ok());
  EXPECT_EQ(CheckDataFitsModel(data, same, 2, "filter").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidationSizeFor(60000), kDefaultValidationSize);
}

}  // namespace
}  // namespace hiedge
