// Shifted copies of an image data set, for testing HI off the clean test set. Every
// corruption is seeded and deterministic, works on any [C, H, W] images in [0, 1] and
// clamps back to [0, 1]. Severities are fixed per name (documented below) so results
// are comparable across runs:
//   noise      additive Gaussian pixel noise, standard deviation 0.3
//   blur       3x3 box blur applied twice (about a Gaussian of sigma 1.2 pixels)
//   rotation   rotation about the centre by a uniform angle in [25, 45] degrees, random
//              sign, bilinear, zero fill
//   contrast   pixel values pulled towards 0.5 by a factor 0.35
//   occlusion  a zero square of side H/2 at a uniformly random position
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiedge/data.h"
#include "hiedge/status.h"

namespace hiedge {

const std::vector<std::string>& CorruptionNames();  // In the order above.

// `source` with corruption `name` applied to every image (labels kept).
// InvalidArgument for an unknown name.
Result<Dataset> ApplyCorruption(const Dataset& source, const std::string& name, uint64_t seed);

}  // namespace hiedge
