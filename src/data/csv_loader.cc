// CSV samples: windows one per line, or recordings one reading per line cut into
// windows (e.g. accelerometer traces exported from a data logger).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "data/formats.h"

namespace hiedge::data {
namespace {

int64_t Elements(const std::vector<int64_t>& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

// Reads `path` line by line, each at most kMaxCsvLineBytes; calls on_line(line, number)
// for every line that is not empty or a '#' comment.
template <typename OnLine>
Status ForEachLine(const std::string& path, OnLine on_line) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.size() > kMaxCsvLineBytes) {
      return Status::DataLoss(path + ":" + std::to_string(number) + ": line over " +
                              std::to_string(kMaxCsvLineBytes) + " bytes");
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    HIEDGE_RETURN_IF_ERROR(on_line(line, number));
  }
  if (in.bad()) return Status::IoError("read error in " + path);
  return Status::Ok();
}

// The comma-separated fields of `line` as numbers; false if one is not a finite number.
bool ParseFields(const std::string& line, std::vector<double>* fields) {
  fields->clear();
  const char* at = line.data();
  const char* end = line.data() + line.size();
  while (true) {
    while (at < end && (*at == ' ' || *at == '\t')) ++at;
    double value = 0;
    const auto [next, error] = std::from_chars(at, end, value);
    if (error != std::errc() || !std::isfinite(value)) return false;
    fields->push_back(value);
    at = next;
    while (at < end && (*at == ' ' || *at == '\t')) ++at;
    if (at == end) return true;
    if (*at != ',') return false;
    ++at;
  }
}

Status CheckShape(const std::vector<int64_t>& shape, const std::string& path) {
  if (shape.size() != 3 || Elements(shape) <= 0 ||
      static_cast<uint64_t>(Elements(shape)) > kMaxCsvLineBytes) {
    return Status::InvalidArgument(path + ": CSV data needs a manifest \"shape\" [C, H, W]");
  }
  return Status::Ok();
}

Dataset EmptyDataset(const std::vector<int64_t>& shape, int num_classes) {
  Dataset data;
  data.channels = shape[0];
  data.height = shape[1];
  data.width = shape[2];
  data.num_classes = num_classes;
  return data;
}

Status AppendLabel(Dataset* data, double label, const std::string& where) {
  if (label != std::floor(label) || label < 0 || label >= data->num_classes) {
    return Status::InvalidArgument(where + ": label " + std::to_string(label) +
                                   " is not a class in [0, " + std::to_string(data->num_classes) +
                                   ")");
  }
  data->labels.push_back(static_cast<int32_t>(label));
  return Status::Ok();
}

}  // namespace

Result<Dataset> LoadCsvWindows(const std::string& path, const std::vector<int64_t>& shape,
                               int num_classes) {
  HIEDGE_RETURN_IF_ERROR(CheckShape(shape, path));
  Dataset data = EmptyDataset(shape, num_classes);
  const size_t values = static_cast<size_t>(Elements(shape));
  std::vector<double> fields;
  HIEDGE_RETURN_IF_ERROR(ForEachLine(path, [&](const std::string& line, int64_t number) {
    const std::string where = path + ":" + std::to_string(number);
    if (!ParseFields(line, &fields)) {
      if (data.labels.empty() && number == 1) return Status::Ok();  // A header.
      return Status::DataLoss(where + ": not a comma-separated list of numbers");
    }
    if (fields.size() != values + 1) {
      return Status::DataLoss(where + ": " + std::to_string(fields.size()) + " fields, expected " +
                              std::to_string(values + 1) + " (a label and " +
                              std::to_string(values) + " values)");
    }
    if (data.images.size() + values > kMaxDatasetValues) {
      return Status::InvalidArgument(path + ": over " + std::to_string(kMaxDatasetValues) +
                                     " values");
    }
    HIEDGE_RETURN_IF_ERROR(AppendLabel(&data, fields[0], where));
    for (size_t i = 1; i < fields.size(); ++i) data.images.push_back(static_cast<float>(fields[i]));
    return Status::Ok();
  }));
  if (data.labels.empty()) return Status::DataLoss(path + ": no samples");
  return data;
}

Result<Dataset> LoadCsvRecordings(const std::vector<CsvRecording>& recordings,
                                  const std::vector<int64_t>& shape, int num_classes, int64_t hop,
                                  int column) {
  if (recordings.empty()) return Status::InvalidArgument("no CSV recordings given");
  HIEDGE_RETURN_IF_ERROR(CheckShape(shape, recordings[0].path));
  const int64_t window = Elements(shape);
  if (hop <= 0) hop = window;
  if (column < 0) return Status::InvalidArgument("CSV column must be >= 0");
  Dataset data = EmptyDataset(shape, num_classes);
  std::vector<double> fields;
  for (const CsvRecording& recording : recordings) {
    std::vector<float> readings;
    HIEDGE_RETURN_IF_ERROR(
        ForEachLine(recording.path, [&](const std::string& line, int64_t number) {
          const std::string where = recording.path + ":" + std::to_string(number);
          if (!ParseFields(line, &fields)) {
            if (readings.empty() && number == 1) return Status::Ok();  // A header.
            return Status::DataLoss(where + ": not a comma-separated list of numbers");
          }
          if (static_cast<size_t>(column) >= fields.size()) {
            return Status::DataLoss(where + ": no column " + std::to_string(column));
          }
          if (readings.size() >= kMaxDatasetValues) {
            return Status::InvalidArgument(recording.path + ": over " +
                                           std::to_string(kMaxDatasetValues) + " readings");
          }
          readings.push_back(static_cast<float>(fields[column]));
          return Status::Ok();
        }));
    for (int64_t start = 0; start + window <= static_cast<int64_t>(readings.size()); start += hop) {
      if (data.images.size() + window > kMaxDatasetValues) {
        return Status::InvalidArgument("CSV recordings: over " + std::to_string(kMaxDatasetValues) +
                                       " values");
      }
      HIEDGE_RETURN_IF_ERROR(AppendLabel(&data, recording.label, recording.path));
      data.images.insert(data.images.end(), readings.begin() + start,
                         readings.begin() + start + window);
    }
  }
  if (data.labels.empty()) {
    return Status::DataLoss("CSV recordings hold no whole window of " + std::to_string(window) +
                            " readings");
  }
  return data;
}

}  // namespace hiedge::data

namespace hiedge {

Status WriteCsvWindows(const Dataset& data, const std::string& path) {
  std::error_code error;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  std::ofstream out(path + ".tmp");
  if (!out) return Status::IoError("cannot write " + path);
  char value[32];
  for (size_t i = 0; i < data.size(); ++i) {
    out << data.labels[i];
    for (float v : data.sample(i).data) {
      std::snprintf(value, sizeof(value), ",%.7g", v);
      out << value;
    }
    out << '\n';
  }
  out.close();
  if (!out) return Status::IoError("cannot write " + path);
  std::filesystem::rename(path + ".tmp", path, error);
  if (error) return Status::IoError("cannot rename to " + path + ": " + error.message());
  return Status::Ok();
}

}  // namespace hiedge
