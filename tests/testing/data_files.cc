#include "testing/data_files.h"

#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>

namespace hiedge::testing {
namespace {

std::string BigEndian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

}  // namespace

std::vector<uint8_t> PatternImage(int label, int index, int height, int width, int channels) {
  std::mt19937 rng(static_cast<uint32_t>(label * 100003 + index));
  std::uniform_int_distribution<int> noise(0, 20);
  std::vector<uint8_t> hwc(static_cast<size_t>(height * width * channels));
  const int side = std::max(2, std::min(height, width) / 3);
  const int top = (label * 7 % 3) * (height - side) / 2;
  const int left = (label % 3) * (width - side) / 2;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool in_square = y >= top && y < top + side && x >= left && x < left + side;
      for (int c = 0; c < channels; ++c) {
        int v = (x * 40) / width + noise(rng);
        if (in_square) v = 200 + noise(rng) + (c == label % channels ? 30 : 0) - 20;
        hwc[(y * width + x) * channels + c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
  }
  return hwc;
}

void WritePng(const std::filesystem::path& path, const std::vector<uint8_t>& hwc, int height,
              int width, int channels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (!png_image_write_to_file(&image, path.c_str(), 0, hwc.data(), 0, nullptr)) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

void WriteJpeg(const std::filesystem::path& path, const std::vector<uint8_t>& hwc, int height,
               int width, int channels, int quality) {
  std::FILE* out = std::fopen(path.c_str(), "wb");
  if (out == nullptr) throw std::runtime_error("cannot write " + path.string());
  jpeg_compress_struct info{};
  jpeg_error_mgr errors{};
  info.err = jpeg_std_error(&errors);
  jpeg_create_compress(&info);
  jpeg_stdio_dest(&info, out);
  info.image_width = width;
  info.image_height = height;
  info.input_components = channels;
  info.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(hwc.data()) +
                   static_cast<size_t>(info.next_scanline) * width * channels;
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(out);
}

void WriteIdxPair(const std::filesystem::path& images, const std::filesystem::path& labels,
                  int classes, int per_class, int channels, int height, int width, int seed) {
  const int count = classes * per_class;
  std::string image_bytes = BigEndian(channels == 1 ? 0x803 : 0x804) + BigEndian(count);
  if (channels != 1) image_bytes += BigEndian(channels);
  image_bytes += BigEndian(height) + BigEndian(width);
  std::string label_bytes = BigEndian(0x801) + BigEndian(count);
  for (int i = 0; i < count; ++i) {
    const int label = i % classes;
    const std::vector<uint8_t> hwc =
        PatternImage(label, seed * 100000 + i, height, width, channels);
    for (int c = 0; c < channels; ++c) {  // CHW
      for (int p = 0; p < height * width; ++p) {
        image_bytes.push_back(static_cast<char>(hwc[p * channels + c]));
      }
    }
    label_bytes.push_back(static_cast<char>(label));
  }
  WriteText(images, image_bytes);
  WriteText(labels, label_bytes);
}

void WriteCifarBatch(const std::filesystem::path& path, int per_class, int seed) {
  std::string bytes;
  for (int i = 0; i < 10 * per_class; ++i) {
    const int label = i % 10;
    const std::vector<uint8_t> hwc = PatternImage(label, seed * 100000 + i, 32, 32, 3);
    bytes.push_back(static_cast<char>(label));
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 32 * 32; ++p) bytes.push_back(static_cast<char>(hwc[p * 3 + c]));
    }
  }
  WriteText(path, bytes);
}

void WriteImageFolder(const std::filesystem::path& dir, const std::vector<std::string>& classes,
                      int per_class, int height, int width, int channels, int seed) {
  for (size_t label = 0; label < classes.size(); ++label) {
    std::filesystem::create_directories(dir / classes[label]);
    for (int i = 0; i < per_class; ++i) {
      const std::vector<uint8_t> hwc =
          PatternImage(static_cast<int>(label), seed * 100000 + i, height, width, channels);
      const std::string stem = std::to_string(i);
      if (i % 2 == 0) {
        WritePng(dir / classes[label] / (stem + ".png"), hwc, height, width, channels);
      } else {
        WriteJpeg(dir / classes[label] / (stem + ".jpg"), hwc, height, width, channels);
      }
    }
  }
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace hiedge::testing
