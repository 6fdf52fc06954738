#include "eval/core/table.h"

#include <algorithm>

namespace hiedge {
namespace {

// Characters as a terminal shows them: UTF-8 continuation bytes take no column.
size_t DisplayWidth(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// Digits with a sign, point, exponent or percent sign, as the studies format numbers.
bool LooksNumeric(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789.+-e%") == std::string::npos &&
         text.find_first_of("0123456789") != std::string::npos;
}

std::string Pad(const std::string& text, size_t width, bool left) {
  const std::string fill(width - std::min(width, DisplayWidth(text)), ' ');
  return left ? text + fill : fill + text;
}

std::string MarkdownCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string CsvCell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::ToText() const {
  std::vector<size_t> widths(headers_.size());
  std::vector<bool> left(headers_.size(), false);
  for (size_t c = 0; c < headers_.size(); ++c) {
    widths[c] = DisplayWidth(headers_[c]);
    left[c] = c == 0;
    for (const auto& row : rows_) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
      if (!row[c].empty() && !LooksNumeric(row[c])) left[c] = true;
    }
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) out += "  ";
      out += Pad(cells[c], widths[c], left[c]);
    }
    out.erase(out.find_last_not_of(' ') + 1);
    return out + "\n";
  };
  std::string out = line(headers_);
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string Table::ToMarkdown() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (const std::string& cell : cells) out += " " + MarkdownCell(cell) + " |";
    return out + "\n";
  };
  std::string out = line(headers_) + "|";
  for (size_t c = 0; c < headers_.size(); ++c) out += "---|";
  out += "\n";
  for (const auto& row : rows_) out += line(row);
  return out;
}

std::string Table::ToCsv() const {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) out += (c > 0 ? "," : "") + CsvCell(cells[c]);
    return out + "\n";
  };
  std::string out = line(headers_);
  for (const auto& row : rows_) out += line(row);
  return out;
}

}  // namespace hiedge
