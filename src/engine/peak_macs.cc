// The CPU's measured float32 peak through XNNPACK: a 1024 x 1024 fully connected layer
// over 1024 rows, best of five, on the calling thread.
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "hiedge/engine/model.h"

namespace hiedge {

double MeasurePeakMacsPerSecond() {
  constexpr size_t kN = 1024;
  if (xnn_initialize(nullptr) != xnn_status_success) return 0;
  std::vector<float> weights(kN * kN, 0.5f), bias(kN, 0.0f);
  std::vector<float> input(kN * kN + 16, 0.25f), output(kN * kN);
  xnn_operator_t op = nullptr;
  if (xnn_create_fully_connected_nc_f32(kN, kN, kN, kN, weights.data(), bias.data(), -1e30f, 1e30f,
                                        0, &op) != xnn_status_success) {
    return 0;
  }
  double best = 0;
  if (xnn_setup_fully_connected_nc_f32(op, kN, input.data(), output.data(), nullptr) ==
      xnn_status_success) {
    xnn_run_operator(op, nullptr);  // Warm-up.
    for (int rep = 0; rep < 5; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      xnn_run_operator(op, nullptr);
      const double s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, static_cast<double>(kN * kN * kN) / s);
    }
  }
  xnn_delete_operator(op);
  return best;
}

}  // namespace hiedge
