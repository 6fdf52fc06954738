// Writers of small data-set files in every layout hiedge reads, for tests that must not
// depend on downloads: idx (idx3/idx4), CIFAR-10 binary batches, PNG and JPEG images,
// CSV windows. Each image is a deterministic pattern of its label and index, so a class
// is learnable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hiedge::testing {

// An HWC byte image whose content depends on `label`: a bright square in a position
// given by the label over a faint gradient, plus `index`-seeded noise.
std::vector<uint8_t> PatternImage(int label, int index, int height, int width, int channels);

void WritePng(const std::filesystem::path& path, const std::vector<uint8_t>& hwc, int height,
              int width, int channels);
void WriteJpeg(const std::filesystem::path& path, const std::vector<uint8_t>& hwc, int height,
               int width, int channels, int quality = 95);

// idx images (idx3 when channels == 1, else idx4 [N, C, H, W]) and idx1 labels,
// uncompressed; `per_class` pattern images of each of `classes` classes.
void WriteIdxPair(const std::filesystem::path& images, const std::filesystem::path& labels,
                  int classes, int per_class, int channels, int height, int width, int seed);

// A CIFAR-10 binary batch of `per_class` 3x32x32 pattern images per class (10 classes).
void WriteCifarBatch(const std::filesystem::path& path, int per_class, int seed);

// An ImageFolder split: <dir>/<class name>/<n>.png|jpg (alternating), pattern images.
void WriteImageFolder(const std::filesystem::path& dir, const std::vector<std::string>& classes,
                      int per_class, int height, int width, int channels, int seed);

void WriteText(const std::filesystem::path& path, const std::string& text);

}  // namespace hiedge::testing
