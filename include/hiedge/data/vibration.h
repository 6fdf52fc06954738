// Seed 000's third use case, machine fault detection from bearing vibration: a seeded
// generator of vibration windows with the physics of a rolling-element bearing, and
// the statistics its threshold rule (the S-ML) looks at. Pure: no I/O, no threads.
#pragma once

#include <cstdint>
#include <span>

#include "hiedge/data/data.h"

namespace hiedge {

// Geometry of a deep-groove ball bearing. Defaults: SKF 6205 (the drive-end bearing of
// the Case Western Reserve University bearing data), 9 balls of 7.94 mm on a 39.04 mm
// pitch circle, contact angle 0.
struct BearingGeometry {
  int balls = 9;
  double ball_diameter_mm = 7.94;
  double pitch_diameter_mm = 39.04;
  double contact_angle_deg = 0;
};

// Characteristic defect frequencies as multiples of the shaft frequency fr, with
// r = (d / D) cos(contact angle):
//   outer race (BPFO) = n/2 (1 - r),  inner race (BPFI) = n/2 (1 + r),
//   ball spin (BSF) = D / (2d) (1 - r^2),  cage (FTF) = 1/2 (1 - r).
// For the 6205: 3.585, 5.415, 2.357 and 0.398.
struct DefectOrders {
  double outer_race = 0;
  double inner_race = 0;
  double ball_spin = 0;
  double cage = 0;
};
DefectOrders BearingDefectOrders(const BearingGeometry& bearing);

// Labels of the generated windows.
enum BearingCondition : int32_t { kHealthy = 0, kInnerRace = 1, kOuterRace = 2, kBall = 3 };
inline constexpr int kBearingConditions = 4;

// One window is an accelerometer trace (arbitrary units):
// - every condition: the shaft's 1x imbalance tone, a weaker 2x, and white noise;
// - a defect adds an impulse each time a ball meets it. Each impulse rings the housing's
//   structural resonance and decays exponentially. The impulse period jitters a little
//   (balls slip) and the shaft speed drifts from window to window.
// - Inner-race and ball impulses are amplitude-modulated as the defect moves through
//   the load zone: at the shaft frequency (inner race) or the cage frequency (ball).
//   The outer race is fixed in the load zone and is not modulated. Ball defects strike
//   both races, at twice the ball spin frequency.
struct VibrationOptions {
  BearingGeometry bearing;
  double sample_rate_hz = 12000;
  int64_t window = 2048;             // Samples per window (0.17 s at 12 kHz).
  double shaft_hz = 29.95;           // 1797 rpm.
  double shaft_speed_jitter = 0.02;  // Relative drift of the shaft speed per window.
  double impulse_jitter = 0.01;      // Relative jitter of each impulse interval (slip).
  double resonance_hz = 3500;        // Structural resonance the impulses ring.
  double resonance_decay_per_s = 1200;
  double impulse_amplitude = 3.0;
  double imbalance_amplitude = 0.5;
  double noise_std = 0.5;
};

// `per_condition` windows of each condition, in blocks of one condition, as a Dataset
// of [1, 1, window] samples labelled by BearingCondition. Deterministic for a seed.
Dataset GenerateVibrationWindows(size_t per_condition, const VibrationOptions& options,
                                 uint64_t seed);

// The statistics seed 000's threshold rule looks at, over one window.
struct VibrationStatistics {
  double rms = 0;
  double kurtosis = 0;      // Fourth standardised moment (3 for Gaussian noise).
  double crest_factor = 0;  // Peak |x| / RMS.
};
VibrationStatistics ComputeVibrationStatistics(std::span<const float> window);

}  // namespace hiedge
