// hiedge_engine_compare: the engines side by side on the shipped models, in one
// process and interleaved. For each model and thread count, every round measures every
// (batch size, engine) pair in an order that rotates with the round; the table reports
// medians over rounds and each engine's ratio to libtorch, beside the arithmetic limit
// (the model's MACs at the CPU's measured float32 GEMM peak, times the thread count).
//
//   hiedge_engine_compare [--models sml,lml] [--batches 1,32,256] [--threads 1,2]
//                         [--rounds 5] [--seconds 0.3] [--out results/engine.json]
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hiedge/common/model_card.h"
#include "hiedge/data/data.h"
#include "hiedge/engine/model.h"

namespace {

using hiedge::FloatTensor;
using Clock = std::chrono::steady_clock;

struct Engine {
  std::string label;    // Column name.
  std::string backend;  // Registry name.
  std::string card;     // Card path (INT8 models have their own card).
};

FloatTensor BatchOf(const hiedge::Dataset& d, int64_t n) {
  FloatTensor t{{n, d.channels, d.height, d.width}, {}};
  for (int64_t i = 0; i < n; ++i) {
    const float* image = d.image(static_cast<size_t>(i) % d.size());
    t.data.insert(t.data.end(), image, image + d.image_elements());
  }
  return t;
}

// Seconds per call: calls repeat for at least `seconds`; the median of 15 slices.
double SecondsPerCall(hiedge::InferenceBackend& model, const FloatTensor& batch, double seconds) {
  (void)model.Infer(batch);  // Warm-up (first setup, allocation).
  std::vector<double> slices;
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (slices.size() < 15 || Clock::now() < deadline) {
    const auto start = Clock::now();
    int calls = 0;
    do {
      (void)model.Infer(batch);
      ++calls;
    } while (std::chrono::duration<double>(Clock::now() - start).count() < seconds / 15);
    slices.push_back(std::chrono::duration<double>(Clock::now() - start).count() / calls);
  }
  std::nth_element(slices.begin(), slices.begin() + static_cast<long>(slices.size() / 2),
                   slices.end());
  return slices[slices.size() / 2];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Engines side by side on the shipped models (interleaved rounds, medians)"};
  std::string models = "sml,resnet8,lml", out = "results/engine.json";
  std::string models_dir = std::string(HIEDGE_SOURCE_DIR) + "/models";
  std::vector<int> batches = {1, 32, 256}, thread_counts = {1, 2};
  int rounds = 5;
  double seconds = 0.3;
  app.add_option("--models", models, "Comma-separated shipped model names")->capture_default_str();
  app.add_option("--models-dir", models_dir, "Folder of the model cards")->capture_default_str();
  app.add_option("--batches", batches, "Batch sizes")->capture_default_str();
  app.add_option("--threads", thread_counts, "Thread counts")->capture_default_str();
  app.add_option("--rounds", rounds, "Interleaved rounds (median reported)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seconds", seconds, "Time per measurement")->capture_default_str();
  app.add_option("--out", out, "JSON results")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto test = hiedge::LoadFashionMnist(hiedge::kFashionMnistDir, hiedge::Split::kTest);
  if (!test.ok()) {
    std::fprintf(stderr, "%s\n", test.status().ToString().c_str());
    return 3;
  }
  const double peak = hiedge::MeasurePeakMacsPerSecond();
  std::printf("measured float32 peak: %.1f GMAC/s per thread (XNNPACK GEMM 1024^3)\n", peak / 1e9);
  nlohmann::json results = {{"peak_macs_per_second_per_thread", peak},
                            {"rounds", rounds},
                            {"rows", nlohmann::json::array()}};
  for (const std::string& name : Split(models)) {
    const std::string card_path = models_dir + "/" + name + ".json";
    auto card = hiedge::ReadModelCard(card_path);
    if (!card.ok()) {
      std::fprintf(stderr, "%s\n", card.status().ToString().c_str());
      return 3;
    }
    std::vector<Engine> engines = {{"libtorch", "torch", card_path},
                                   {"xnnpack-fp32", "xnnpack", card_path}};
    const std::string int8_card = models_dir + "/" + name + "_int8.json";
    if (std::ifstream(int8_card).good()) engines.push_back({"xnnpack-int8", "xnnpack", int8_card});
    for (int threads : thread_counts) {
      std::vector<std::unique_ptr<hiedge::InferenceBackend>> loaded;
      for (const Engine& e : engines) {
        auto model = hiedge::LoadModel(e.card, {e.backend, threads});
        if (!model.ok()) {
          std::fprintf(stderr, "%s: %s\n", e.label.c_str(), model.status().ToString().c_str());
          return 1;
        }
        loaded.push_back(std::move(*model));
      }
      const double macs = static_cast<double>(loaded[0]->info().macs_per_sample);
      // samples[batch][engine] = seconds per call, one per round.
      std::map<int, std::vector<std::vector<double>>> samples;
      for (int b : batches) samples[b].assign(engines.size(), {});
      for (int r = 0; r < rounds; ++r) {
        for (int b : batches) {
          const FloatTensor batch = BatchOf(*test, b);
          for (size_t k = 0; k < engines.size(); ++k) {
            const size_t e = (k + static_cast<size_t>(r)) % engines.size();
            samples[b][e].push_back(SecondsPerCall(*loaded[e], batch, seconds));
          }
        }
        std::fprintf(stderr, "  %s, %d thread(s): round %d/%d\n", name.c_str(), threads, r + 1,
                     rounds);
      }
      std::printf("\n%s (%.2f MMACs/sample), %d thread(s)\n", name.c_str(), macs / 1e6, threads);
      std::printf("%6s  %-13s %12s %12s %10s %12s\n", "batch", "engine", "latency_us", "img/s",
                  "vs_torch", "limit_img/s");
      for (int b : batches) {
        const double limit = peak * threads / macs;
        const double torch_seconds = Median(samples[b][0]);
        for (size_t e = 0; e < engines.size(); ++e) {
          const double s = Median(samples[b][e]);
          const double ips = b / s;
          std::printf("%6d  %-13s %12.1f %12.0f %9.2fx %12.0f\n", b, engines[e].label.c_str(),
                      s * 1e6, ips, torch_seconds / s, limit);
          results["rows"].push_back({{"model", name},
                                     {"threads", threads},
                                     {"batch", b},
                                     {"engine", engines[e].label},
                                     {"seconds_per_call_median", s},
                                     {"images_per_second", ips},
                                     {"speedup_vs_libtorch", torch_seconds / s},
                                     {"arithmetic_limit_images_per_second", limit},
                                     {"fraction_of_limit", ips / limit},
                                     {"macs_per_sample", macs},
                                     {"rounds_seconds", samples[b][e]}});
        }
      }
    }
  }
  std::ofstream file(out);
  file << results.dump(2) << "\n";
  if (!file) {
    std::fprintf(stderr, "cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("\nwrote %s\n", out.c_str());
  return 0;
}
