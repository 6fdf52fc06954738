#include "hiedge/decision/live_offload_cost.h"

#include <algorithm>
#include <cmath>

namespace hiedge {

LiveOffloadCost::LiveOffloadCost(double base, double per_ms, double smoothing,
                                 double recovery_half_life_ms, bool follow_server_price)
    : base_(base),
      per_ms_(per_ms),
      smoothing_(std::clamp(smoothing, 0.0, 1.0)),
      half_life_ms_(recovery_half_life_ms),
      follow_server_price_(follow_server_price) {}

double LiveOffloadCost::Decay(int64_t since_us, int64_t now_us) const {
  const double idle_ms = static_cast<double>(std::max<int64_t>(0, now_us - since_us)) / 1000.0;
  return half_life_ms_ > 0 ? std::exp2(-idle_ms / half_life_ms_) : 1.0;
}

void LiveOffloadCost::ObserveServerPrice(double price, int64_t now_us) {
  if (!follow_server_price_ || !std::isfinite(price) || price < 0) return;
  server_price_ = price;
  price_us_ = now_us;
}

double LiveOffloadCost::server_price(int64_t now_us) const {
  return server_price_ == 0 ? 0 : server_price_ * Decay(price_us_, now_us);
}

void LiveOffloadCost::ObserveRoundTrip(double ms, int64_t now_us) {
  if (!std::isfinite(ms) || ms < 0) return;
  round_trip_ms_ = (1 - smoothing_) * round_trip_ms(now_us) + smoothing_ * ms;
  last_us_ = now_us;
  observed_ = true;
}

double LiveOffloadCost::round_trip_ms(int64_t now_us) const {
  if (!observed_) return 0;
  return round_trip_ms_ * Decay(last_us_, now_us);
}

}  // namespace hiedge
