// Datasets of labelled images as plain float buffers, and their loaders.
// Dataset is a value that owns its images and labels; views into it (sample(i))
// borrow and must not outlive it. Thread-safety: concurrent reads are safe; the loaders
// are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/common/tensor.h"

namespace hiedge {

// Images in NCHW order, pixel values scaled to [0, 1]. Labels are in [0, num_classes).
// Invariant: images.size() == labels.size() * channels * height * width.
struct Dataset {
  int64_t channels = 0;
  int64_t height = 0;
  int64_t width = 0;
  int num_classes = 0;
  std::vector<float> images;
  std::vector<int32_t> labels;
  // Optional soft targets (a teacher's class probabilities), row-major
  // [size(), num_classes]; empty when there are none. Transforms that select, relabel
  // or map samples carry them along, so they always describe the same samples.
  std::vector<float> soft_labels;

  size_t size() const { return labels.size(); }
  size_t image_elements() const { return static_cast<size_t>(channels * height * width); }
  const float* image(size_t i) const { return images.data() + i * image_elements(); }
  // Image i with its per-sample shape {channels, height, width}.
  TensorView sample(size_t i) const {
    return {std::span<const float>(image(i), static_cast<size_t>(image_elements())),
            {channels, height, width}};
  }
};

// Loads an MNIST-format pair of idx files (unsigned-byte images: idx3 [N, H, W] of one
// channel or idx4 [N, C, H, W]; idx1 labels), gzip-compressed or plain, of any size. Errors:
// NotFound (missing file), DataLoss (bad magic, truncated, count mismatch), InvalidArgument (a
// label >= num_classes).
Result<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path,
                        int num_classes = 10);

enum class Split { kTrain, kTest };

// Default location of Debian's dataset-fashion-mnist package.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// Loads Fashion-MNIST (train: 60,000 images, test: 10,000) from `dir`.
Result<Dataset> LoadFashionMnist(const std::string& dir, Split split);

// Loads CIFAR-10 binary batches (each record: 1 label byte + 3072 pixel bytes).
Result<Dataset> LoadCifar10Batches(const std::vector<std::string>& paths);

// Samples `indices` of `source`, in that order.
Dataset Subset(const Dataset& source, const std::vector<size_t>& indices);

// First `count` samples (or all, if fewer).
Dataset Head(const Dataset& source, size_t count);

struct TrainValidation {
  Dataset train;
  Dataset validation;
};

// The fixed validation split: a seeded permutation of `full` puts `validation_size`
// samples in validation and the rest in train. Deterministic for a given seed.
inline constexpr size_t kDefaultValidationSize = 10000;
inline constexpr uint64_t kDefaultSplitSeed = 20240607;
TrainValidation SplitTrainValidation(const Dataset& full,
                                     size_t validation_size = kDefaultValidationSize,
                                     uint64_t seed = kDefaultSplitSeed);

// Names of the Fashion-MNIST classes, index = label.
const std::vector<std::string>& FashionMnistClassNames();

// A shifted copy of `source`: contrast scaled by `contrast` around 0.5, plus Gaussian
// pixel noise of standard deviation `noise_std`, clamped to [0, 1]. Seeded.
Dataset Corrupt(const Dataset& source, float noise_std, float contrast, uint64_t seed);

// A two-class copy of `source`: label 1 for samples whose label is in `positive`,
// 0 otherwise (e.g. Fashion-MNIST footwear {5, 7, 9} against the rest).
Dataset RelabelBinary(const Dataset& source, const std::vector<int>& positive);

// `source` followed by `copies` augmented copies of it (labels kept, soft labels
// dropped: a teacher must see the augmented images): each image shifted by a random
// crop after zero padding by `pad` pixels and mirrored left-right with probability 1/2.
// Seeded; for models trained on features, where the trainer cannot augment.
Dataset WithAugmentedCopies(const Dataset& source, int copies, uint64_t seed, int pad = 2);

// The samples of `classes` only, relabelled to their index in `classes` (so output k
// of a model trained on it is original class classes[k]). Order is kept. With
// `keep_others`, every other sample stays too, labelled classes.size() ("other").
Dataset RestrictClasses(const Dataset& source, const std::vector<int>& classes,
                        bool keep_others = false);

}  // namespace hiedge
