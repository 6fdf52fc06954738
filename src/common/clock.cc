#include "hiedge/common/clock.h"

#include <chrono>

namespace hiedge {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace hiedge
