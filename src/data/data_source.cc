// LoadData: tells the layouts apart and reads dataset manifests.
#include "hiedge/data/data_source.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/bounded_json.h"
#include "common/files.h"
#include "data/formats.h"

namespace hiedge {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxManifestBytes = 1 << 20;
constexpr size_t kMaxManifestFiles = 4096;

bool Exists(const fs::path& path) {
  std::error_code error;
  return fs::exists(path, error);
}

// `name` or `name`.gz in `dir`, whichever exists ("" if neither).
std::string IdxFile(const fs::path& dir, const std::string& name) {
  if (Exists(dir / (name + ".gz"))) return (dir / (name + ".gz")).string();
  if (Exists(dir / name)) return (dir / name).string();
  return "";
}

const std::vector<std::string>& Cifar10ClassNames() {
  static const std::vector<std::string> kNames = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return kNames;
}

Result<Dataset> LoadCifarFolder(const fs::path& dir, Split split) {
  std::vector<std::string> paths;
  if (split == Split::kTest) {
    paths.push_back((dir / "test_batch.bin").string());
  } else {
    for (int batch = 1; batch <= 5; ++batch) {
      const fs::path path = dir / ("data_batch_" + std::to_string(batch) + ".bin");
      if (Exists(path)) paths.push_back(path.string());
    }
  }
  return LoadCifar10Batches(paths);
}

bool FitIsSet(const ImageFit& fit) { return fit.channels > 0 && fit.height > 0 && fit.width > 0; }

Result<Dataset> LoadImageFolderSplit(const fs::path& root, const fs::path& split_dir, ImageFit fit,
                                     const std::vector<std::string>& class_names) {
  if (!FitIsSet(fit)) {
    HIEDGE_ASSIGN_OR_RETURN(fit, data::FirstImageFit(root.string()));
  }
  std::vector<std::string> classes = class_names;
  if (classes.empty()) {  // The training folder's classes, so that both splits agree.
    HIEDGE_ASSIGN_OR_RETURN(classes, data::ImageFolderClasses(root.string()));
  }
  return data::LoadImageFolder(split_dir.string(), fit, classes);
}

// A dataset manifest, parsed and checked.
struct Manifest {
  fs::path dir;
  std::string format;
  std::vector<int64_t> shape;
  std::vector<std::string> class_names;
  int num_classes = 0;
  nlohmann::json train;
  nlohmann::json test;
  int64_t hop = 0;
  int column = 0;
};

Result<Manifest> ReadManifest(const fs::path& path) {
  HIEDGE_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path.string()));
  const std::string where = path.string() + ": ";
  if (text.size() > kMaxManifestBytes) {
    return Status::InvalidArgument(where + "manifest over " + std::to_string(kMaxManifestBytes) +
                                   " bytes");
  }
  Result<nlohmann::json> parsed = ParseBoundedJson(text, 8);
  if (!parsed.ok()) return Status::InvalidArgument(where + parsed.status().message());
  const nlohmann::json& j = *parsed;
  if (!j.is_object()) return Status::InvalidArgument(where + "a manifest is a JSON object");
  Manifest m;
  m.dir = path.parent_path();
  try {
    static const std::vector<std::string> kKnownKeys = {
        "format", "shape", "class_names", "num_classes", "train", "test", "hop", "column"};
    for (const auto& [key, value] : j.items()) {
      if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end()) {
        return Status::InvalidArgument(where + "unknown manifest field \"" + key + "\"");
      }
    }
    if (!j.contains("format")) return Status::InvalidArgument(where + "\"format\" is missing");
    m.format = j.at("format").get<std::string>();
    if (j.contains("shape")) m.shape = j.at("shape").get<std::vector<int64_t>>();
    if (j.contains("class_names")) {
      m.class_names = j.at("class_names").get<std::vector<std::string>>();
    }
    m.num_classes = j.contains("num_classes") ? j.at("num_classes").get<int>()
                                              : static_cast<int>(m.class_names.size());
    if (!m.class_names.empty() && m.num_classes != static_cast<int>(m.class_names.size())) {
      return Status::InvalidArgument(where + "num_classes disagrees with class_names");
    }
    if (j.contains("hop")) m.hop = j.at("hop").get<int64_t>();
    if (j.contains("column")) m.column = j.at("column").get<int>();
    if (!j.contains("train") || !j.contains("test")) {
      return Status::InvalidArgument(where + "\"train\" and \"test\" are both required");
    }
    m.train = j.at("train");
    m.test = j.at("test");
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(where + "bad manifest field: " + e.what());
  }
  if (!m.shape.empty() &&
      (m.shape.size() != 3 || std::any_of(m.shape.begin(), m.shape.end(),
                                          [](int64_t d) { return d <= 0 || d > 1 << 16; }))) {
    return Status::InvalidArgument(where + "\"shape\" must be [C, H, W] of positive sizes");
  }
  if (m.num_classes <= 0 && m.format != "image_folder" && m.format != "cifar10") {
    return Status::InvalidArgument(where + "give \"class_names\" or \"num_classes\"");
  }
  if (m.num_classes > 100000) return Status::InvalidArgument(where + "too many classes");
  return m;
}

// The files of one split entry: a string or an array of strings, relative to the manifest.
Result<std::vector<std::string>> SplitFiles(const Manifest& m, const nlohmann::json& entry) {
  std::vector<std::string> files;
  if (entry.is_string()) {
    files.push_back((m.dir / entry.get<std::string>()).string());
  } else if (entry.is_array() && entry.size() <= kMaxManifestFiles) {
    for (const nlohmann::json& file : entry) {
      if (!file.is_string()) return Status::InvalidArgument("manifest: a file name is a string");
      files.push_back((m.dir / file.get<std::string>()).string());
    }
  } else {
    return Status::InvalidArgument("manifest: a split is a file name or a list of them");
  }
  return files;
}

Result<Dataset> LoadManifestSplit(const Manifest& m, Split split, const ImageFit& fit) {
  const nlohmann::json& entry = split == Split::kTrain ? m.train : m.test;
  try {
    if (m.format == "idx") {
      if (!entry.is_object() || !entry.contains("images") || !entry.contains("labels")) {
        return Status::InvalidArgument(
            "manifest: an idx split is {\"images\": ..., \"labels\": ...}");
      }
      return LoadIdx((m.dir / entry.at("images").get<std::string>()).string(),
                     (m.dir / entry.at("labels").get<std::string>()).string(), m.num_classes);
    }
    if (m.format == "cifar10") {
      HIEDGE_ASSIGN_OR_RETURN(std::vector<std::string> files, SplitFiles(m, entry));
      return LoadCifar10Batches(files);
    }
    if (m.format == "image_folder") {
      if (!entry.is_string())
        return Status::InvalidArgument("manifest: an image_folder split is a folder");
      ImageFit chosen = fit;
      if (!FitIsSet(chosen) && !m.shape.empty()) chosen = {m.shape[0], m.shape[1], m.shape[2]};
      return LoadImageFolderSplit(m.dir / m.train.get<std::string>(),
                                  m.dir / entry.get<std::string>(), chosen, m.class_names);
    }
    if (m.format == "csv_windows") {
      if (!entry.is_string())
        return Status::InvalidArgument("manifest: a csv_windows split is a file");
      return data::LoadCsvWindows((m.dir / entry.get<std::string>()).string(), m.shape,
                                  m.num_classes);
    }
    if (m.format == "csv_recordings") {
      if (!entry.is_array() || entry.size() > kMaxManifestFiles) {
        return Status::InvalidArgument(
            "manifest: a csv_recordings split is a list of {\"file\": ..., \"label\": ...}");
      }
      std::vector<data::CsvRecording> recordings;
      for (const nlohmann::json& r : entry) {
        recordings.push_back(
            {(m.dir / r.at("file").get<std::string>()).string(), r.at("label").get<int>()});
      }
      return data::LoadCsvRecordings(recordings, m.shape, m.num_classes, m.hop, m.column);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("manifest: bad split entry: ") + e.what());
  }
  return Status::InvalidArgument("manifest: unknown format \"" + m.format +
                                 "\" (idx, cifar10, image_folder, csv_windows, csv_recordings)");
}

Result<Dataset> LoadManifest(const fs::path& path, Split split, const ImageFit& fit) {
  HIEDGE_ASSIGN_OR_RETURN(Manifest m, ReadManifest(path));
  Result<Dataset> data = LoadManifestSplit(m, split, fit);
  if (!data.ok()) {
    return Status(data.status().code(), path.string() + ": " + data.status().message());
  }
  const bool fitted = m.format == "image_folder";
  if (!m.shape.empty() && !fitted) {
    const std::vector<int64_t> got = {data->channels, data->height, data->width};
    if (got != m.shape) {
      return Status::InvalidArgument(path.string() + ": the data is " + ShapeString(got) +
                                     " but the manifest's shape says " + ShapeString(m.shape));
    }
  }
  if (m.num_classes > 0) data->num_classes = m.num_classes;
  return data;
}

std::string LayoutsHelp(const std::string& source) {
  return source +
         " is not a data set in a known layout: expected a Fashion-MNIST/MNIST idx folder "
         "(train-images-idx3-ubyte[.gz], ...), CIFAR-10 binary batches (data_batch_1.bin, "
         "test_batch.bin), an image folder (train/<class>/*.png, test/<class>/*.png), or a "
         "manifest (.json, or manifest.json in the folder; docs/data.md)";
}

}  // namespace

Result<Dataset> LoadData(const std::string& source, Split split, const ImageFit& fit) {
  const fs::path path(source);
  std::error_code error;
  if (!fs::exists(path, error)) return Status::NotFound("no data at " + source);
  if (!fs::is_directory(path, error)) {
    if (path.extension() == ".json") return LoadManifest(path, split, fit);
    return Status::NotFound(LayoutsHelp(source));
  }
  if (Exists(path / "manifest.json")) return LoadManifest(path / "manifest.json", split, fit);
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  const std::string idx_images = IdxFile(path, prefix + "-images-idx3-ubyte");
  if (!idx_images.empty()) {
    return LoadIdx(idx_images, IdxFile(path, prefix + "-labels-idx1-ubyte"));
  }
  if (Exists(path / "data_batch_1.bin")) return LoadCifarFolder(path, split);
  if (Exists(path / "cifar-10-batches-bin" / "data_batch_1.bin")) {
    return LoadCifarFolder(path / "cifar-10-batches-bin", split);
  }
  if (fs::is_directory(path / "train", error) && fs::is_directory(path / "test", error)) {
    return LoadImageFolderSplit(path / "train", path / (split == Split::kTrain ? "train" : "test"),
                                fit, {});
  }
  return Status::NotFound(LayoutsHelp(source));
}

Result<std::vector<std::string>> DataClassNames(const std::string& source) {
  fs::path path(source);
  std::error_code error;
  if (fs::is_directory(path, error) && Exists(path / "manifest.json")) path /= "manifest.json";
  std::vector<std::string> names;
  if (!fs::is_directory(path, error)) {
    HIEDGE_ASSIGN_OR_RETURN(Manifest m, ReadManifest(path));
    names = m.class_names;
    if (names.empty() && m.format == "cifar10") names = Cifar10ClassNames();
    if (names.empty() && m.format == "image_folder" && m.train.is_string()) {
      HIEDGE_ASSIGN_OR_RETURN(
          names, data::ImageFolderClasses((m.dir / m.train.get<std::string>()).string()));
    }
    for (int k = static_cast<int>(names.size()); k < m.num_classes; ++k) {
      names.push_back(std::to_string(k));
    }
    return names;
  }
  if (!IdxFile(path, "train-images-idx3-ubyte").empty()) {
    // Fashion-MNIST's names for its own package folder; digits for any other idx folder.
    if (path.string().find("fashion") != std::string::npos) return FashionMnistClassNames();
    for (int k = 0; k < 10; ++k) names.push_back(std::to_string(k));
    return names;
  }
  if (Exists(path / "data_batch_1.bin") || Exists(path / "cifar-10-batches-bin")) {
    return Cifar10ClassNames();
  }
  return data::ImageFolderClasses((path / "train").string());
}

size_t ValidationSizeFor(size_t train_size) { return train_size / 6; }

TrainValidation SplitForValidation(const Dataset& full) {
  return SplitTrainValidation(full, ValidationSizeFor(full.size()), kDefaultSplitSeed);
}

Status CheckDataFitsModel(const Dataset& data, std::span<const int64_t> input_shape,
                          int num_classes, std::string_view model_name) {
  const std::vector<int64_t> got = {data.channels, data.height, data.width};
  if (!std::equal(got.begin(), got.end(), input_shape.begin(), input_shape.end())) {
    return Status::InvalidArgument("the data's samples are " + ShapeString(got) + " but model " +
                                   std::string(model_name) + " takes " + ShapeString(input_shape));
  }
  if (num_classes > 0 && data.num_classes > num_classes) {
    return Status::InvalidArgument("the data has " + std::to_string(data.num_classes) +
                                   " classes but model " + std::string(model_name) + " answers " +
                                   std::to_string(num_classes));
  }
  return Status::Ok();
}

Result<Dataset> LoadDataForModel(const std::string& source, Split split,
                                 std::span<const int64_t> input_shape, int num_classes,
                                 std::string_view model_name) {
  ImageFit fit;
  if (input_shape.size() == 3) fit = {input_shape[0], input_shape[1], input_shape[2]};
  HIEDGE_ASSIGN_OR_RETURN(Dataset data, LoadData(source, split, fit));
  HIEDGE_RETURN_IF_ERROR(CheckDataFitsModel(data, input_shape, num_classes, model_name));
  return data;
}

std::string ShapeString(std::span<const int64_t> shape) {
  std::ostringstream out;
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? "x" : "") << shape[i];
  return out.str();
}

}  // namespace hiedge
