#include "data/gz_reader.h"

#include <algorithm>
#include <array>
#include <filesystem>

namespace hiedge::data {

Result<GzFile> OpenForReading(const std::string& path) {
  if (!std::filesystem::exists(path)) return Status::NotFound("no such file: " + path);
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError("cannot open " + path);
  return GzFile(f);
}

Status ReadExactly(gzFile f, void* out, size_t size, const std::string& path, const char* what) {
  size_t done = 0;
  auto* bytes = static_cast<unsigned char*>(out);
  while (done < size) {
    const unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - done, 1u << 30));
    const int n = gzread(f, bytes + done, chunk);
    if (n < 0) return Status::DataLoss(path + ": read error (corrupt gzip?) in " + what);
    if (n == 0) {
      return Status::DataLoss(path + ": truncated while reading " + what + " (" +
                              std::to_string(done) + " of " + std::to_string(size) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<uint32_t> ReadBigEndian32(gzFile f, const std::string& path, const char* what) {
  std::array<unsigned char, 4> b{};
  HIEDGE_RETURN_IF_ERROR(ReadExactly(f, b.data(), b.size(), path, what));
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

}  // namespace hiedge::data
