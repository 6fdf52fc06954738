// Shifted copies of an image data set, for testing HI off the clean test set. Every
// corruption is seeded and deterministic, works on any [C, H, W] images in [0, 1] and
// clamps back to [0, 1]. Each has five severities (1 mildest .. 5 harshest, as in
// ImageNet-C), fixed per name so results are comparable across runs:
//   noise      additive Gaussian pixel noise, standard deviation
//              0.05 / 0.10 / 0.15 / 0.20 / 0.30
//   blur       a 3x3 box blur applied 1 / 2 / 3 / 4 / 5 times (twice is about a
//              Gaussian of sigma 1.2 pixels)
//   rotation   rotation about the centre by a uniform angle in [5, 15] / [10, 20] /
//              [15, 25] / [20, 35] / [25, 45] degrees, random sign, bilinear, zero fill
//   contrast   pixel values pulled towards 0.5 by a factor 0.85 / 0.70 / 0.55 / 0.45 / 0.35
//   occlusion  a zero square of side 0.20 / 0.25 / 0.33 / 0.42 / 0.50 of H at a uniformly
//              random position
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/data/data.h"
#include "hiedge/common/status.h"

namespace hiedge {

const std::vector<std::string>& CorruptionNames();  // In the order above.

inline constexpr int kMinCorruptionSeverity = 1;
inline constexpr int kMaxCorruptionSeverity = 5;
// The severity the results and tests use unless they say otherwise.
inline constexpr int kDefaultCorruptionSeverity = 3;

// `source` with corruption `name` at `severity` applied to every image (labels kept).
// InvalidArgument for an unknown name or a severity outside [1, 5].
Result<Dataset> ApplyCorruption(const Dataset& source, const std::string& name, int severity,
                                uint64_t seed);

}  // namespace hiedge
