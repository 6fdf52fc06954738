#include "hiedge/data/sample_stream.h"

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "data/formats.h"
#include "data/gz_reader.h"
#include "hiedge/data/data_source.h"

namespace hiedge {
namespace {

class IdxStream final : public SampleStream {
 public:
  IdxStream(data::GzFile images, data::GzFile labels, std::string images_path,
            std::string labels_path, uint32_t count, uint32_t rows, uint32_t cols, int num_classes)
      : images_(std::move(images)),
        labels_(std::move(labels)),
        images_path_(std::move(images_path)),
        labels_path_(std::move(labels_path)),
        remaining_(count),
        shape_{1, rows, cols},
        pixels_(static_cast<size_t>(rows) * cols),
        num_classes_(num_classes) {}

  const std::vector<int64_t>& sample_shape() const override { return shape_; }

  Result<bool> Next(std::vector<float>* image, int* label) override {
    if (remaining_ == 0) return false;
    HIEDGE_RETURN_IF_ERROR(
        data::ReadExactly(images_.get(), pixels_.data(), pixels_.size(), images_path_, "pixels"));
    image->resize(pixels_.size());
    for (size_t i = 0; i < pixels_.size(); ++i) (*image)[i] = pixels_[i] / 255.0f;
    *label = -1;
    if (labels_) {
      unsigned char raw = 0;
      HIEDGE_RETURN_IF_ERROR(data::ReadExactly(labels_.get(), &raw, 1, labels_path_, "labels"));
      if (raw >= num_classes_) {
        return Status::InvalidArgument(labels_path_ + ": label " + std::to_string(raw) +
                                       " is outside [0, " + std::to_string(num_classes_) + ")");
      }
      *label = raw;
    }
    --remaining_;
    return true;
  }

 private:
  data::GzFile images_, labels_;
  std::string images_path_, labels_path_;
  uint32_t remaining_;
  std::vector<int64_t> shape_;
  std::vector<unsigned char> pixels_;
  int num_classes_;
};

class RawStream final : public SampleStream {
 public:
  RawStream(std::FILE* file, bool owned, std::string path, std::vector<int64_t> shape,
            RawFormat format)
      : file_(file),
        owned_(owned),
        path_(std::move(path)),
        shape_(std::move(shape)),
        format_(format) {
    elements_ = 1;
    for (int64_t d : shape_) elements_ *= static_cast<size_t>(d);
    bytes_.resize(elements_ * (format_ == RawFormat::kFloat32 ? sizeof(float) : 1));
  }
  ~RawStream() override {
    if (owned_) std::fclose(file_);
  }
  const std::vector<int64_t>& sample_shape() const override { return shape_; }

  Result<bool> Next(std::vector<float>* image, int* label) override {
    const size_t got = std::fread(bytes_.data(), 1, bytes_.size(), file_);
    if (got == 0 && std::feof(file_)) return false;
    if (std::ferror(file_)) return Status::IoError("read error on " + path_);
    if (got != bytes_.size()) {
      return Status::DataLoss(path_ + ": the stream ended " + std::to_string(got) +
                              " bytes into a sample of " + std::to_string(bytes_.size()) +
                              " bytes");
    }
    image->resize(elements_);
    if (format_ == RawFormat::kFloat32) {
      std::memcpy(image->data(), bytes_.data(), bytes_.size());
    } else {
      for (size_t i = 0; i < elements_; ++i) (*image)[i] = bytes_[i] / 255.0f;
    }
    *label = -1;
    return true;
  }

 private:
  std::FILE* file_;
  bool owned_;
  std::string path_;
  std::vector<int64_t> shape_;
  RawFormat format_;
  size_t elements_ = 0;
  std::vector<unsigned char> bytes_;
};

// A loaded data set, sample by sample.
class DatasetStream : public SampleStream {
 public:
  explicit DatasetStream(Dataset data)
      : data_(std::move(data)), shape_{data_.channels, data_.height, data_.width} {}
  const std::vector<int64_t>& sample_shape() const override { return shape_; }
  Result<bool> Next(std::vector<float>* image, int* label) override {
    if (next_ >= data_.size()) return false;
    const TensorView sample = data_.sample(next_);
    image->assign(sample.data.begin(), sample.data.end());
    *label = data_.labels[next_++];
    return true;
  }

 private:
  Dataset data_;
  std::vector<int64_t> shape_;
  size_t next_ = 0;
};

// An ImageFolder test split, one image decoded per Next(): memory for the file list only.
class ImageFolderStream : public SampleStream {
 public:
  ImageFolderStream(std::vector<data::LabelledImageFile> files, const ImageFit& fit)
      : files_(std::move(files)), fit_(fit), shape_{fit.channels, fit.height, fit.width} {}
  const std::vector<int64_t>& sample_shape() const override { return shape_; }
  Result<bool> Next(std::vector<float>* image, int* label) override {
    if (next_ >= files_.size()) return false;
    const data::LabelledImageFile& file = files_[next_++];
    HIEDGE_ASSIGN_OR_RETURN(const data::DecodedImage decoded, data::DecodeImageFile(file.path));
    *image = data::FitImage(decoded, fit_);
    *label = file.label;
    return true;
  }

 private:
  std::vector<data::LabelledImageFile> files_;
  ImageFit fit_;
  std::vector<int64_t> shape_;
  size_t next_ = 0;
};

}  // namespace

Result<std::unique_ptr<SampleStream>> OpenIdxStream(const std::string& images_path,
                                                    const std::string& labels_path,
                                                    int num_classes) {
  HIEDGE_ASSIGN_OR_RETURN(data::GzFile images, data::OpenForReading(images_path));
  gzFile f = images.get();
  HIEDGE_ASSIGN_OR_RETURN(uint32_t magic, data::ReadBigEndian32(f, images_path, "magic"));
  if (magic != data::kIdxImagesMagic) {
    return Status::DataLoss(images_path + ": not an idx3 unsigned-byte image file");
  }
  HIEDGE_ASSIGN_OR_RETURN(uint32_t count, data::ReadBigEndian32(f, images_path, "count"));
  HIEDGE_ASSIGN_OR_RETURN(uint32_t rows, data::ReadBigEndian32(f, images_path, "rows"));
  HIEDGE_ASSIGN_OR_RETURN(uint32_t cols, data::ReadBigEndian32(f, images_path, "cols"));
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
    return Status::DataLoss(images_path + ": implausible image size " + std::to_string(rows) + "x" +
                            std::to_string(cols));
  }
  data::GzFile labels;
  if (!labels_path.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(labels, data::OpenForReading(labels_path));
    HIEDGE_ASSIGN_OR_RETURN(uint32_t label_magic,
                            data::ReadBigEndian32(labels.get(), labels_path, "magic"));
    if (label_magic != data::kIdxLabelsMagic) {
      return Status::DataLoss(labels_path + ": not an idx1 unsigned-byte label file");
    }
    HIEDGE_ASSIGN_OR_RETURN(uint32_t label_count,
                            data::ReadBigEndian32(labels.get(), labels_path, "count"));
    if (label_count != count) {
      return Status::DataLoss(images_path + " holds " + std::to_string(count) + " images but " +
                              labels_path + " holds " + std::to_string(label_count) + " labels");
    }
  }
  return std::unique_ptr<SampleStream>(new IdxStream(std::move(images), std::move(labels),
                                                     images_path, labels_path, count, rows, cols,
                                                     num_classes));
}

Result<std::unique_ptr<SampleStream>> OpenDataTestStream(const std::string& source,
                                                         const ImageFit& fit) {
  // An idx folder streams from its files; other layouts are loaded, then streamed.
  for (const char* suffix : {".gz", ""}) {
    const std::string images = source + "/t10k-images-idx3-ubyte" + suffix;
    std::error_code error;
    if (std::filesystem::exists(images, error)) {
      return OpenIdxStream(images, source + "/t10k-labels-idx1-ubyte" + suffix);
    }
  }
  // An image folder (train/ and test/ class folders, no manifest) streams one decoded
  // image at a time, with the training folder's classes and first image's fit.
  namespace fs = std::filesystem;
  std::error_code error;
  const fs::path root(source);
  if (fs::is_directory(root / "train", error) && fs::is_directory(root / "test", error) &&
      !fs::exists(root / "manifest.json", error) &&
      !fs::exists(root / "data_batch_1.bin", error)) {
    ImageFit fitted = fit;
    if (!(fit.channels > 0 && fit.height > 0 && fit.width > 0)) {
      HIEDGE_ASSIGN_OR_RETURN(fitted, data::FirstImageFit((root / "train").string()));
    }
    HIEDGE_ASSIGN_OR_RETURN(const std::vector<std::string> classes,
                            data::ImageFolderClasses((root / "train").string()));
    HIEDGE_ASSIGN_OR_RETURN(std::vector<data::LabelledImageFile> files,
                            data::ListImageFolder((root / "test").string(), classes));
    return std::unique_ptr<SampleStream>(new ImageFolderStream(std::move(files), fitted));
  }
  HIEDGE_ASSIGN_OR_RETURN(Dataset data, LoadData(source, Split::kTest, fit));
  return std::unique_ptr<SampleStream>(new DatasetStream(std::move(data)));
}

Result<std::unique_ptr<SampleStream>> OpenRawStream(const std::string& path,
                                                    std::vector<int64_t> sample_shape,
                                                    RawFormat format) {
  for (int64_t d : sample_shape) {
    if (d < 1) return Status::InvalidArgument("sample shape needs positive dimensions");
  }
  if (path == "-") {
    return std::unique_ptr<SampleStream>(
        new RawStream(stdin, false, "stdin", std::move(sample_shape), format));
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Status::NotFound("cannot open " + path);
  return std::unique_ptr<SampleStream>(
      new RawStream(file, true, path, std::move(sample_shape), format));
}

Result<RawFormat> ParseRawFormat(const std::string& name) {
  if (name == "f32") return RawFormat::kFloat32;
  if (name == "u8") return RawFormat::kUint8;
  return Status::InvalidArgument("unknown raw format '" + name + "' (f32 or u8)");
}

}  // namespace hiedge
