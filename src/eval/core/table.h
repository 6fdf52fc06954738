// One table model for the studies' reports: cells are formatted once, then rendered as
// an aligned text table (terminals), a Markdown table (docs/results.md) or CSV
// (spreadsheets, gnuplot). Each study keeps its own JSON, whose fields are typed and
// documented in docs/results-schema.md.
#pragma once

#include <string>
#include <vector>

namespace hiedge {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Appends a row of formatted cells: a short row is padded with empty cells, and cells
  // beyond the headers are dropped, so every rendering stays rectangular.
  void AddRow(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }

  // Columns padded to their widest cell (UTF-8 aware), two spaces apart; one line per
  // row, header first. The first column is left-aligned, and so is any other column
  // with a cell that is not a number ("93.65%", "-0.5", "1e-4" are numbers); numeric
  // columns are right-aligned.
  std::string ToText() const;
  // "| h1 | h2 |", "|---|---|", then one line per row; a '|' in a cell is escaped.
  std::string ToMarkdown() const;
  // RFC 4180: a header line, then rows; cells with a comma, quote or line break quoted.
  std::string ToCsv() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace hiedge
