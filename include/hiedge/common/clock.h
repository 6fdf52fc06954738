// The injectable clock: a function returning microseconds on a monotonic scale.
// Components that time or schedule work take one, so tests drive time by hand.
// Thread-safety: SteadyMicros may be called from any thread; a clock a test injects
// must be too when the component calls it from several.
#pragma once

#include <cstdint>
#include <functional>

namespace hiedge {

using MicrosClock = std::function<int64_t()>;

// Microseconds of std::chrono::steady_clock: the default clock everywhere.
int64_t SteadyMicros();

}  // namespace hiedge
