// PNG (libpng's simplified API) and JPEG (libjpeg-turbo) decoding, and fitting a
// decoded image to a model's input shape.
// jpeglib.h needs size_t and FILE declared before it.
#include <csetjmp>
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "data/formats.h"

namespace hiedge::data {
namespace {

Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path) {
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(path, error);
  if (error) return Status::NotFound("cannot read " + path + ": " + error.message());
  if (size > kMaxImageFileBytes) {
    return Status::DataLoss(path + ": " + std::to_string(size) + " bytes is over the " +
                            std::to_string(kMaxImageFileBytes) + "-byte bound for one image");
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Status::IoError("cannot read " + path);
  }
  return bytes;
}

Status CheckSides(int64_t width, int64_t height, const std::string& path) {
  if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide) {
    return Status::DataLoss(path + ": image of " + std::to_string(width) + "x" +
                            std::to_string(height) + " pixels is outside 1.." +
                            std::to_string(kMaxImageSide));
  }
  return Status::Ok();
}

Result<DecodedImage> DecodePng(const std::vector<uint8_t>& bytes, const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return Status::DataLoss(path + ": bad PNG: " + image.message);
  }
  const bool colour = (image.format & PNG_FORMAT_FLAG_COLOR) != 0;
  image.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  if (Status sides = CheckSides(image.width, image.height, path); !sides.ok()) {
    png_image_free(&image);
    return sides;
  }
  DecodedImage out{image.width, image.height, colour ? 3 : 1, {}};
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    return Status::DataLoss(path + ": bad PNG: " + message);
  }
  return out;
}

// libjpeg reports fatal errors through error_exit, which must not return: it jumps
// back to the setjmp in DecodeJpeg. Only trivially destructible state lives between
// the two.
struct JpegErrorManager {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// A corrupt-data warning (level -1: e.g. a truncated file, which libjpeg would pad with
// grey) fails the image too: a sample is never silently altered.
void JpegEmitMessage(j_common_ptr info, int level) {
  if (level < 0) JpegErrorExit(info);
}

// Decodes into *out; false after a libjpeg error (errors->message says which). Only
// pointers set before setjmp live in this frame, so the jump back leaves nothing
// indeterminate; *out belongs to the caller, which drops it on failure.
bool DecodeJpegInto(jpeg_decompress_struct* info, JpegErrorManager* errors,
                    const std::vector<uint8_t>* bytes, DecodedImage* out) {
  if (setjmp(errors->jump)) return false;
  jpeg_mem_src(info, bytes->data(), static_cast<unsigned long>(bytes->size()));
  jpeg_read_header(info, TRUE);
  info->out_color_space = info->num_components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  out->width = info->image_width;
  out->height = info->image_height;
  if (out->width <= 0 || out->height <= 0 || out->width > kMaxImageSide ||
      out->height > kMaxImageSide) {
    return true;  // The caller refuses the size.
  }
  jpeg_start_decompress(info);
  out->width = info->output_width;
  out->height = info->output_height;
  out->channels = info->output_components;
  out->pixels.resize(static_cast<size_t>(out->width * out->height * out->channels));
  while (info->output_scanline < info->output_height) {
    JSAMPROW row = out->pixels.data() +
                   static_cast<size_t>(info->output_scanline) * out->width * out->channels;
    jpeg_read_scanlines(info, &row, 1);
  }
  jpeg_finish_decompress(info);
  return true;
}

Result<DecodedImage> DecodeJpeg(const std::vector<uint8_t>& bytes, const std::string& path) {
  jpeg_decompress_struct info{};
  JpegErrorManager errors{};
  info.err = jpeg_std_error(&errors.manager);
  errors.manager.error_exit = JpegErrorExit;
  errors.manager.emit_message = JpegEmitMessage;
  jpeg_create_decompress(&info);
  DecodedImage out;
  const bool decoded = DecodeJpegInto(&info, &errors, &bytes, &out);
  jpeg_destroy_decompress(&info);
  if (!decoded) return Status::DataLoss(path + ": bad JPEG: " + errors.message);
  HIEDGE_RETURN_IF_ERROR(CheckSides(out.width, out.height, path));
  return out;
}

// Bilinear sample of channel `c` at (x, y) in source pixel coordinates (pixel centres
// at integer + 0.5), clamped at the borders.
float Sample(const DecodedImage& image, int64_t c, double x, double y) {
  const double fx = std::clamp(x - 0.5, 0.0, static_cast<double>(image.width - 1));
  const double fy = std::clamp(y - 0.5, 0.0, static_cast<double>(image.height - 1));
  const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  const int64_t x1 = std::min(x0 + 1, image.width - 1), y1 = std::min(y0 + 1, image.height - 1);
  const double ax = fx - x0, ay = fy - y0;
  auto at = [&](int64_t xx, int64_t yy) {
    return static_cast<double>(image.pixels[(yy * image.width + xx) * image.channels + c]);
  };
  const double top = at(x0, y0) * (1 - ax) + at(x1, y0) * ax;
  const double bottom = at(x0, y1) * (1 - ax) + at(x1, y1) * ax;
  return static_cast<float>(top * (1 - ay) + bottom * ay);
}

}  // namespace

Result<DecodedImage> DecodeImageFile(const std::string& path) {
  HIEDGE_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFileBytes(path));
  static constexpr uint8_t kPngSignature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::equal(kPngSignature, kPngSignature + 8, bytes.begin())) {
    return DecodePng(bytes, path);
  }
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
    return DecodeJpeg(bytes, path);
  }
  return Status::DataLoss(path + ": neither a PNG nor a JPEG file");
}

std::vector<float> FitImage(const DecodedImage& image, const ImageFit& fit) {
  // Scale so the image covers the target, keeping its aspect ratio; crop the centre.
  const double scale = std::max(static_cast<double>(fit.width) / image.width,
                                static_cast<double>(fit.height) / image.height);
  const double offset_x = (image.width * scale - fit.width) / 2;
  const double offset_y = (image.height * scale - fit.height) / 2;
  const size_t plane = static_cast<size_t>(fit.height * fit.width);
  std::vector<float> out(static_cast<size_t>(fit.channels) * plane);
  for (int64_t y = 0; y < fit.height; ++y) {
    for (int64_t x = 0; x < fit.width; ++x) {
      const double sx = (x + 0.5 + offset_x) / scale, sy = (y + 0.5 + offset_y) / scale;
      float rgb[3] = {0, 0, 0};
      for (int64_t c = 0; c < image.channels; ++c) rgb[c] = Sample(image, c, sx, sy);
      const size_t at = static_cast<size_t>(y * fit.width + x);
      for (int64_t c = 0; c < fit.channels; ++c) {
        float value;
        if (image.channels == fit.channels) {
          value = rgb[c];
        } else if (image.channels == 1) {
          value = rgb[0];
        } else {
          value = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
        }
        out[c * plane + at] = std::clamp(value / 255.0f, 0.0f, 1.0f);
      }
    }
  }
  return out;
}

}  // namespace hiedge::data
