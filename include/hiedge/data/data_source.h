// Where a command's samples come from: one string (`--data`) naming a folder or a
// manifest, whatever the format. Every command that takes `--data` loads through here.
// Thread-safety: the functions are reentrant and hold no state; results are values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/common/status.h"

namespace hiedge {

// The per-sample shape images are fitted to (image folders only; other formats have a
// fixed shape). 0 = take it from the data: the manifest's shape, else the first image
// (its size, and 3 channels if it is in colour, 1 if grey).
struct ImageFit {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
};

// Loads split `split` of the data set named by `source`:
//  - a folder holding MNIST-format idx files under Fashion-MNIST's names
//    (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...), e.g.
//    Debian's dataset-fashion-mnist;
//  - a folder holding CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin,
//    test_batch.bin; train = the batches present), or one with cifar-10-batches-bin/;
//  - a folder with train/ and test/, each holding one sub-folder of PNG or JPEG images
//    per class (the ImageFolder convention; classes in sorted name order);
//  - a manifest (a .json file, or manifest.json in the folder), see docs/data.md:
//    {"format": "idx" | "cifar10" | "image_folder" | "csv_windows" | "csv_recordings",
//     "train": ..., "test": ..., "shape": [C, H, W], "class_names": [...]}, paths
//    relative to the manifest.
// Image folders are fitted to `fit` (see FitImage). Errors: NotFound (nothing there in
// a known layout, or a missing file), DataLoss (a corrupt file), InvalidArgument (a bad
// manifest, a label outside the classes, a shape that disagrees with the manifest).
Result<Dataset> LoadData(const std::string& source, Split split, const ImageFit& fit = {});

// Class names of `source` (from its manifest, image-folder sub-folders, CIFAR-10's or
// Fashion-MNIST's lists), or "0", "1", ... when it names none.
Result<std::vector<std::string>> DataClassNames(const std::string& source);

// The validation split carved from `train_size` training samples: a sixth, so
// Fashion-MNIST's 60,000 give the fixed 10,000 (kDefaultValidationSize).
size_t ValidationSizeFor(size_t train_size);

// The default train/validation split of `full`: ValidationSizeFor(full.size())
// validation samples drawn with kDefaultSplitSeed.
TrainValidation SplitForValidation(const Dataset& full);

// InvalidArgument naming both shapes unless `data`'s per-sample shape {C, H, W} equals
// `input_shape` (a model's) and its classes fit the model's `num_classes` (0: not
// checked).
Status CheckDataFitsModel(const Dataset& data, std::span<const int64_t> input_shape,
                          int num_classes, std::string_view model_name);

// LoadData for a model: image folders are fitted to `input_shape` ({C, H, W}), and
// data of any other layout whose samples differ from it, or with more classes than the
// model answers, is InvalidArgument (CheckDataFitsModel).
Result<Dataset> LoadDataForModel(const std::string& source, Split split,
                                 std::span<const int64_t> input_shape, int num_classes,
                                 std::string_view model_name);

// Writes `data` as CSV windows ("label,v0,...", one sample per line, values with 7
// significant digits) that LoadData reads back through a csv_windows manifest.
Status WriteCsvWindows(const Dataset& data, const std::string& path);

// "3x32x32".
std::string ShapeString(std::span<const int64_t> shape);

}  // namespace hiedge
