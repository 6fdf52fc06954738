#include "eval/core/plot.h"

#include <fmt/printf.h>

#include <cstdio>
#include <cstdlib>

#include "common/files.h"

namespace hiedge {
namespace {

// gnuplot single-quoted string: only the quote itself needs doubling.
std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string Script(const PlotSpec& spec, const std::string& csv, const std::string& terminal,
                   const std::string& output) {
  std::string gp = "set terminal " + terminal + "\nset output " + Quote(output) + "\n";
  gp += "set termoption noenhanced\nset datafile separator ','\nset grid\nset key bottom right\n";
  gp += "set title " + Quote(spec.title) + "\nset xlabel " + Quote(spec.x_label) + "\nset ylabel " +
        Quote(spec.y_label) + "\n" + spec.extra + "\n";
  gp += "plot ";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    if (i > 0) gp += ", \\\n     ";
    gp += Quote(csv) + " using 2:($1==" + std::to_string(i) + "?$3:1/0) with " +
          spec.series[i].style + " lw 2 title " + Quote(spec.series[i].title);
  }
  if (spec.diagonal) gp += ", x with lines dt 2 lc rgb 'gray' title 'perfect calibration'";
  return gp + "\n";
}

}  // namespace

Status RenderPlot(const PlotSpec& spec, const std::string& stem) {
  std::string csv = "series,x,y\n";
  std::string line;
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const PlotSeries& s = spec.series[i];
    for (size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      line = fmt::sprintf("%zu,%.9g,%.9g\n", i, s.x[k], s.y[k]);
      csv += line;
    }
  }
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(stem + ".csv", csv));
  const std::string gp = Script(spec, stem + ".csv", "pngcairo size 900,600", stem + ".png") +
                         Script(spec, stem + ".csv", "svg size 900,600", stem + ".svg");
  HIEDGE_RETURN_IF_ERROR(WriteTextFile(stem + ".gp", gp));
  const std::string command = "gnuplot " + Quote(stem + ".gp") + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Status::Unavailable("cannot run gnuplot");
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int rc = pclose(pipe);
  if (rc != 0) {
    return Status::Unavailable("gnuplot failed on " + stem +
                               ".gp (is gnuplot installed?): " + output.substr(0, 300));
  }
  return Status::Ok();
}

}  // namespace hiedge
