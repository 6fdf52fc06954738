// The ImageFolder layout: <split>/<class>/<image>.{png,jpg,jpeg}.
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "data/formats.h"

namespace hiedge::data {
namespace {

namespace fs = std::filesystem;

bool IsImageName(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

Result<std::vector<fs::path>> SortedImages(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file() && IsImageName(entry.path()) &&
        entry.path().filename().string()[0] != '.') {
      files.push_back(entry.path());
    }
  }
  if (error) return Status::IoError("cannot list " + dir.string() + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

Result<std::vector<std::string>> ImageFolderClasses(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) return Status::NotFound("no image folder " + dir);
  std::vector<std::string> classes;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name[0] != '.') classes.push_back(name);
  }
  if (error) return Status::IoError("cannot list " + dir + ": " + error.message());
  std::sort(classes.begin(), classes.end());
  if (classes.empty()) {
    return Status::NotFound(dir + " holds no class sub-folders (expected " + dir +
                            "/<class>/<image>.png|jpg)");
  }
  return classes;
}

Result<ImageFit> FirstImageFit(const std::string& dir) {
  HIEDGE_ASSIGN_OR_RETURN(std::vector<std::string> classes, ImageFolderClasses(dir));
  for (const std::string& name : classes) {
    HIEDGE_ASSIGN_OR_RETURN(std::vector<fs::path> files, SortedImages(fs::path(dir) / name));
    for (const fs::path& file : files) {
      Result<DecodedImage> image = DecodeImageFile(file.string());
      if (image.ok()) return ImageFit{image->channels, image->height, image->width};
    }
  }
  return Status::NotFound(dir + " holds no readable PNG or JPEG image");
}

Result<std::vector<LabelledImageFile>> ListImageFolder(
    const std::string& dir, const std::vector<std::string>& class_names) {
  std::vector<std::string> classes = class_names;
  if (classes.empty()) {
    HIEDGE_ASSIGN_OR_RETURN(classes, ImageFolderClasses(dir));
  } else {
    // A class folder outside the list would be silently left out of scoring: refuse it.
    HIEDGE_ASSIGN_OR_RETURN(const std::vector<std::string> present, ImageFolderClasses(dir));
    for (const std::string& name : present) {
      if (std::find(classes.begin(), classes.end(), name) == classes.end()) {
        return Status::InvalidArgument(
            "class folder \"" + name + "\" in " + dir +
            " is not a class of the training data (no training folder of that name): the model "
            "cannot predict it; add its training folder or remove it");
      }
    }
  }
  std::vector<LabelledImageFile> files;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path class_dir = fs::path(dir) / classes[label];
    std::error_code error;
    if (!fs::is_directory(class_dir, error)) {
      return Status::NotFound("no folder for class \"" + classes[label] +
                              "\": " + class_dir.string());
    }
    HIEDGE_ASSIGN_OR_RETURN(std::vector<fs::path> images, SortedImages(class_dir));
    for (const fs::path& file : images) {
      files.push_back({file.string(), static_cast<int32_t>(label)});
    }
  }
  if (files.empty()) return Status::NotFound(dir + " holds no PNG or JPEG images");
  return files;
}

Result<Dataset> LoadImageFolder(const std::string& dir, const ImageFit& fit,
                                const std::vector<std::string>& class_names) {
  HIEDGE_ASSIGN_OR_RETURN(const std::vector<LabelledImageFile> files,
                          ListImageFolder(dir, class_names));
  Dataset data;
  data.num_classes = class_names.empty()
                         ? static_cast<int>(ImageFolderClasses(dir).value().size())
                         : static_cast<int>(class_names.size());
  data.channels = fit.channels;
  data.height = fit.height;
  data.width = fit.width;
  for (const LabelledImageFile& file : files) {
    HIEDGE_ASSIGN_OR_RETURN(DecodedImage image, DecodeImageFile(file.path));
    if (data.channels == 0) {  // Unfitted: the first image sets the shape.
      data.channels = image.channels;
      data.height = image.height;
      data.width = image.width;
    }
    if ((data.images.size() + data.image_elements()) > kMaxDatasetValues) {
      return Status::InvalidArgument(dir + ": over " + std::to_string(kMaxDatasetValues) +
                                     " values; fit the images to a smaller shape");
    }
    const std::vector<float> fitted = FitImage(image, {data.channels, data.height, data.width});
    data.images.insert(data.images.end(), fitted.begin(), fitted.end());
    data.labels.push_back(file.label);
  }
  return data;
}

}  // namespace hiedge::data
