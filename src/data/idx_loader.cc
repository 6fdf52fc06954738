// MNIST idx and CIFAR-10 binary loaders. zlib's gz* API reads gzip and plain files alike.
#include <array>
#include <filesystem>
#include <memory>

#include "data/gz_reader.h"
#include "hiedge/data/data.h"

namespace hiedge {
using data::GzFile;
using data::kIdxImagesMagic;
using data::kIdxLabelsMagic;
using data::OpenForReading;
using data::ReadBigEndian32;
using data::ReadExactly;

namespace {

Status CheckLabels(const std::vector<int32_t>& labels, int num_classes, const std::string& path) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return Status::InvalidArgument(path + ": label " + std::to_string(labels[i]) + " at index " +
                                     std::to_string(i) + " is outside [0, " +
                                     std::to_string(num_classes) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Dataset> LoadIdx(const std::string& images_path, const std::string& labels_path,
                        int num_classes) {
  HIEDGE_ASSIGN_OR_RETURN(GzFile images_file, OpenForReading(images_path));
  HIEDGE_ASSIGN_OR_RETURN(GzFile labels_file, OpenForReading(labels_path));

  HIEDGE_ASSIGN_OR_RETURN(uint32_t magic, ReadBigEndian32(images_file.get(), images_path, "magic"));
  // idx3 holds [N, H, W] (one channel); idx4 [N, C, H, W].
  if (magic != kIdxImagesMagic && magic != kIdxImagesMagic + 1) {
    return Status::DataLoss(images_path + ": not an idx3/idx4 unsigned-byte image file (magic " +
                            std::to_string(magic) + ")");
  }
  HIEDGE_ASSIGN_OR_RETURN(uint32_t count, ReadBigEndian32(images_file.get(), images_path, "count"));
  uint32_t channels = 1;
  if (magic == kIdxImagesMagic + 1) {
    HIEDGE_ASSIGN_OR_RETURN(channels, ReadBigEndian32(images_file.get(), images_path, "channels"));
    if (channels == 0 || channels > 64) {
      return Status::DataLoss(images_path + ": implausible channel count " +
                              std::to_string(channels));
    }
  }
  HIEDGE_ASSIGN_OR_RETURN(uint32_t rows, ReadBigEndian32(images_file.get(), images_path, "rows"));
  HIEDGE_ASSIGN_OR_RETURN(uint32_t cols, ReadBigEndian32(images_file.get(), images_path, "cols"));
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
    return Status::DataLoss(images_path + ": implausible image size " + std::to_string(rows) + "x" +
                            std::to_string(cols));
  }

  HIEDGE_ASSIGN_OR_RETURN(uint32_t label_magic,
                          ReadBigEndian32(labels_file.get(), labels_path, "magic"));
  if (label_magic != kIdxLabelsMagic) {
    return Status::DataLoss(labels_path + ": not an idx1 unsigned-byte label file");
  }
  HIEDGE_ASSIGN_OR_RETURN(uint32_t label_count,
                          ReadBigEndian32(labels_file.get(), labels_path, "count"));
  if (static_cast<uint64_t>(count) * channels * rows * cols > (1ull << 30)) {
    return Status::DataLoss(images_path + ": " + std::to_string(count) +
                            " images are over the 2^30-value bound of one split");
  }
  if (label_count != count) {
    return Status::DataLoss(images_path + " holds " + std::to_string(count) + " images but " +
                            labels_path + " holds " + std::to_string(label_count) + " labels");
  }

  Dataset ds;
  ds.channels = channels;
  ds.height = rows;
  ds.width = cols;
  ds.num_classes = num_classes;
  std::vector<unsigned char> pixels(static_cast<size_t>(count) * channels * rows * cols);
  HIEDGE_RETURN_IF_ERROR(
      ReadExactly(images_file.get(), pixels.data(), pixels.size(), images_path, "pixels"));
  std::vector<unsigned char> raw_labels(count);
  HIEDGE_RETURN_IF_ERROR(
      ReadExactly(labels_file.get(), raw_labels.data(), raw_labels.size(), labels_path, "labels"));
  ds.images.resize(pixels.size());
  for (size_t i = 0; i < pixels.size(); ++i) ds.images[i] = pixels[i] / 255.0f;
  ds.labels.assign(raw_labels.begin(), raw_labels.end());
  HIEDGE_RETURN_IF_ERROR(CheckLabels(ds.labels, num_classes, labels_path));
  return ds;
}

Result<Dataset> LoadFashionMnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  return LoadIdx(dir + "/" + prefix + "-images-idx3-ubyte.gz",
                 dir + "/" + prefix + "-labels-idx1-ubyte.gz");
}

Result<Dataset> LoadCifar10Batches(const std::vector<std::string>& paths) {
  constexpr size_t kPixels = 3 * 32 * 32;
  constexpr size_t kRecord = 1 + kPixels;
  if (paths.empty()) return Status::InvalidArgument("no CIFAR-10 batch files given");
  Dataset ds;
  ds.channels = 3;
  ds.height = 32;
  ds.width = 32;
  ds.num_classes = 10;
  for (const std::string& path : paths) {
    if (!std::filesystem::exists(path)) return Status::NotFound("no such file: " + path);
    const auto bytes = std::filesystem::file_size(path);
    if (bytes == 0 || bytes % kRecord != 0) {
      return Status::DataLoss(path + ": size " + std::to_string(bytes) +
                              " is not a whole number of 3073-byte CIFAR-10 records");
    }
    HIEDGE_ASSIGN_OR_RETURN(GzFile f, OpenForReading(path));
    std::vector<unsigned char> raw(bytes);
    HIEDGE_RETURN_IF_ERROR(ReadExactly(f.get(), raw.data(), raw.size(), path, "records"));
    for (size_t r = 0; r < bytes / kRecord; ++r) {
      const unsigned char* rec = raw.data() + r * kRecord;
      ds.labels.push_back(rec[0]);
      for (size_t p = 0; p < kPixels; ++p) ds.images.push_back(rec[1 + p] / 255.0f);
    }
    HIEDGE_RETURN_IF_ERROR(CheckLabels(ds.labels, ds.num_classes, path));
  }
  return ds;
}

}  // namespace hiedge
