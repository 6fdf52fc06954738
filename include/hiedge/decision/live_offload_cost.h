// The live price of an offload: β from the smoothed round trip of the last offloads and
// the price the server last asked (hiedge/server/admission.h), shared by the device
// (DeviceOptions::offload_cost_per_ms, follow_server_price) and cascade tiers. Pure.
#pragma once

#include <cstdint>

namespace hiedge {

// β from the measured round trips of offloads (to a server, or to a cascade's next tier):
// an exponentially smoothed round trip,
// starting from 0 (so one slow first request, which opens the connection, moves it by
// `smoothing` of its time only), priced at `per_ms` on top of `base`. Without new
// observations the estimate halves every `recovery_half_life_ms`, so a tier that
// stopped forwarding because the next one was slow or down tries it again (and backs
// off again if it still is): a circuit breaker's half-open probe. Pure: times are
// passed in (µs). Not thread-safe.
class LiveOffloadCost {
 public:
  // `follow_server_price`: add the server's price (ObserveServerPrice) to β.
  LiveOffloadCost(double base, double per_ms, double smoothing = 0.2,
                  double recovery_half_life_ms = 1000, bool follow_server_price = false);
  // One forward's round trip in ms, ended at `now_us`; a failed one counts at its
  // elapsed time, so a next tier that times out prices itself up to the deadline.
  void ObserveRoundTrip(double ms, int64_t now_us);
  double round_trip_ms(int64_t now_us) const;
  // The price a server reported with an answer or a refusal, β >= 0 (the caller
  // rejects nonsense). It halves every recovery half-life without a new report, so a
  // device priced out of offloading probes again and learns the price anew.
  void ObserveServerPrice(double price, int64_t now_us);
  double server_price(int64_t now_us) const;
  double beta(int64_t now_us) const {
    return base_ + per_ms_ * round_trip_ms(now_us) + server_price(now_us);
  }
  bool live() const { return per_ms_ > 0 || follow_server_price_; }

 private:
  double Decay(int64_t since_us, int64_t now_us) const;

  double base_, per_ms_, smoothing_, half_life_ms_;
  bool follow_server_price_;
  double round_trip_ms_ = 0;  // Smoothed, as of last_us_.
  int64_t last_us_ = 0;
  bool observed_ = false;
  double server_price_ = 0;  // As of price_us_.
  int64_t price_us_ = 0;
};

}  // namespace hiedge
