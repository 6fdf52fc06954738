// The shift benchmark's shifted halves: 16 kinds of shift designed here, beyond the five
// of hiedge/data/corruptions.h, plus a clean control. Each turns the same half of the test set
// into the second half of a clean-then-shifted stream. Seeded and deterministic; images
// [C, H, W] in [0, 1], clamped back into it.
//
// kind "image": every image changed the same way
//   noise, blur, rotation, contrast, occlusion   hiedge/data/corruptions.h at severity 3
//   invert        x -> 1 - x (a negative; confidently wrong for most S-MLs)
//   brightness    x -> x + 0.3 (over-exposure)
//   gamma         x -> x^0.5 (a photometric curve)
//   pixelate      2x2 block means (half the resolution)
//   posterize     4 grey levels (compression-like banding)
//   salt_pepper   8% of pixels set to 0 or 1 (dead and hot sensor pixels)
//   translate     3 pixels right and down, zero fill
//   zoom_out      scaled by 0.7 about the centre, zero fill (the object farther away)
// kind "label": the class mix changes, images stay clean
//   label_shift   5,000 draws with replacement, 80% from classes 0, 2, 4, 6 (the
//                 confusable upper-body garments), 20% from the rest
// kind "gradual": the shift grows over the half (slow drift)
//   slow_noise    Gaussian noise whose standard deviation ramps 0 -> 0.3
//   slow_dimming  x -> x * (1 - 0.7 t), t ramping 0 -> 1 (dusk)
// kind "control": the half unchanged (clean)
#pragma once

#include <string>
#include <vector>

#include "hiedge/common/status.h"
#include "hiedge/data/data.h"

namespace hiedge {

struct ShiftKind {
  std::string name;
  std::string kind;  // image | label | gradual | control
};

// All of them, the control last.
const std::vector<ShiftKind>& ShiftBenchKinds();

// `half` under shift `name`. InvalidArgument for an unknown name.
Result<Dataset> MakeShiftedHalf(const Dataset& half, const std::string& name, uint64_t seed);

}  // namespace hiedge
