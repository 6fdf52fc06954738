// Samples read one at a time, in constant memory whatever the data set's size: what a
// device runs over (hiedge-device), where loading a whole data set would not fit.
// A SampleStream owns its file handle; Next() is not thread-safe (one reader per
// stream); it fills buffers the caller owns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hiedge/data/data_source.h"
#include "hiedge/common/status.h"

namespace hiedge {

class SampleStream {
 public:
  virtual ~SampleStream() = default;
  // Per-sample shape, e.g. {1, 28, 28}.
  virtual const std::vector<int64_t>& sample_shape() const = 0;
  // Reads the next sample into *image (resized to the shape's size, values in [0, 1]
  // for byte data) and its label into *label (-1 when unlabelled). false at the end;
  // DataLoss for a truncated or corrupt stream, IoError for a failed read.
  virtual Result<bool> Next(std::vector<float>* image, int* label) = 0;
};

// An MNIST-format idx3 image file (gzip or plain) with its idx1 labels; `labels_path`
// may be empty (unlabelled). The headers are checked on open.
Result<std::unique_ptr<SampleStream>> OpenIdxStream(const std::string& images_path,
                                                    const std::string& labels_path,
                                                    int num_classes = 10);
// The test split of a data set named as LoadData takes it (hiedge/data/data_source.h): an
// idx folder streams from its files in constant memory, an image folder decodes one
// image per sample (fitted to `fit`, or to its first training image); other layouts are
// loaded, then streamed.
Result<std::unique_ptr<SampleStream>> OpenDataTestStream(const std::string& source,
                                                         const ImageFit& fit = {});

enum class RawFormat { kFloat32, kUint8 };
// Headerless samples back to back from a file or "-" (stdin): float32 little-endian,
// or bytes scaled by 1/255. Unlabelled. A final partial sample is DataLoss.
Result<std::unique_ptr<SampleStream>> OpenRawStream(const std::string& path,
                                                    std::vector<int64_t> sample_shape,
                                                    RawFormat format);
// "f32" or "u8"; InvalidArgument otherwise.
Result<RawFormat> ParseRawFormat(const std::string& name);

}  // namespace hiedge
