// Loaders behind LoadData (hiedge/data/data_source.h), one per format. Internal to the data
// module; tests reach them through LoadData and the image helpers below.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/data/data_source.h"
#include "hiedge/common/status.h"

namespace hiedge::data {

// Bounds on what any loader reads, so a hostile or mistaken file fails clearly instead
// of exhausting memory.
inline constexpr int64_t kMaxImageSide = 8192;             // Pixels, per decoded image.
inline constexpr uint64_t kMaxImageFileBytes = 64 << 20;   // Per PNG/JPEG file.
inline constexpr uint64_t kMaxDatasetValues = 1ull << 30;  // Floats per loaded split (4 GiB).
inline constexpr size_t kMaxCsvLineBytes = 1 << 20;

// A decoded image, bytes in row-major HWC order (channels 1 = grey or 3 = RGB).
struct DecodedImage {
  int64_t width = 0;
  int64_t height = 0;
  int64_t channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes a PNG or JPEG file (told apart by their signatures, not the file name) with
// libpng / libjpeg-turbo. Palette, 16-bit and alpha PNGs come out as 8-bit grey or RGB
// (alpha dropped). DataLoss for a corrupt or unsupported file, or one beyond the bounds.
Result<DecodedImage> DecodeImageFile(const std::string& path);

// `image` fitted to {fit.channels, fit.height, fit.width} (all set) as CHW floats in
// [0, 1] (byte / 255): scaled (bilinear) so that it covers the target with its aspect
// ratio kept, then centre-cropped; grey is copied to 3 channels and RGB becomes grey
// by ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B).
std::vector<float> FitImage(const DecodedImage& image, const ImageFit& fit);

// An ImageFolder split: one sub-folder of `dir` per class (sorted names; `class_names`
// non-empty fixes them and their order), PNG/JPEG files in each (sorted; other files
// skipped).
Result<Dataset> LoadImageFolder(const std::string& dir, const ImageFit& fit,
                                const std::vector<std::string>& class_names);
// One image of an ImageFolder split and its label (the index of its class).
struct LabelledImageFile {
  std::string path;
  int32_t label = 0;
};
// The images LoadImageFolder reads, in its order, without decoding them: for streaming.
// The same errors for a missing class folder, a class folder outside a given
// `class_names`, or a split with no images.
Result<std::vector<LabelledImageFile>> ListImageFolder(const std::string& dir,
                                                       const std::vector<std::string>& class_names);
// The fit of an unfitted image folder: the size and colour of the first readable image
// LoadImageFolder would read (first class, first file), so that both splits get one shape.
Result<ImageFit> FirstImageFit(const std::string& dir);
// The sorted class sub-folders of `dir`.
Result<std::vector<std::string>> ImageFolderClasses(const std::string& dir);

// CSV windows: one sample per line, "label,v0,...,v{n-1}" with n = C*H*W of `shape`;
// a first line whose label is not a number (a header) and lines starting with '#' are
// skipped. Values are taken as they are (not scaled).
Result<Dataset> LoadCsvWindows(const std::string& path, const std::vector<int64_t>& shape,
                               int num_classes);

// One recording per file (one reading per line, column `column` of comma-separated
// lines; a non-numeric first line is a header), all of class `label`, cut into windows
// of C*H*W readings every `hop` readings. A trailing partial window is dropped.
struct CsvRecording {
  std::string path;
  int label = 0;
};
Result<Dataset> LoadCsvRecordings(const std::vector<CsvRecording>& recordings,
                                  const std::vector<int64_t>& shape, int num_classes, int64_t hop,
                                  int column);

}  // namespace hiedge::data
