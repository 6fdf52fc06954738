// gzip-or-plain file reading shared by the data loaders (zlib's gz* API reads both).
// Internal to the data module.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <memory>
#include <string>

#include "hiedge/common/status.h"

namespace hiedge::data {

inline constexpr uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// NotFound for a missing file, IoError when it cannot be opened.
Result<GzFile> OpenForReading(const std::string& path);
// Reads exactly `size` bytes, or fails with DataLoss naming `what`.
Status ReadExactly(gzFile f, void* out, size_t size, const std::string& path, const char* what);
Result<uint32_t> ReadBigEndian32(gzFile f, const std::string& path, const char* what);

}  // namespace hiedge::data
