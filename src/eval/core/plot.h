// Line plots rendered by gnuplot to PNG and SVG. Data goes to a CSV beside the plot so
// every figure can be re-made or re-plotted elsewhere.
#pragma once

#include <string>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge {

struct PlotSeries {
  std::string title;
  std::vector<double> x;
  std::vector<double> y;
  std::string style = "lines";  // gnuplot "with" style: lines, linespoints, points, boxes
};

struct PlotSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotSeries> series;
  bool diagonal = false;  // Draw y = x (reliability diagrams).
  std::string extra;      // Extra gnuplot commands (ranges, key position).
};

// Writes <path_stem>.csv (series, x, y) and <path_stem>.gp, and renders
// <path_stem>.png and <path_stem>.svg with gnuplot. Unavailable if gnuplot is missing
// or fails.
Status RenderPlot(const PlotSpec& spec, const std::string& path_stem);

}  // namespace hiedge
