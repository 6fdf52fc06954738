// A TCP relay that makes a loopback connection behave like a LinkProfile: the device
// connects to the emulator's port, the emulator connects on to the server and passes the
// bytes each way as the link would deliver them.
//
// The model, per direction of each connection (a fresh link per connection):
//   - serialisation: a chunk read at t starts when the link is free, max(t, busy_until),
//     and holds it for bytes / rate;
//   - propagation: it arrives one_way_delay later, plus a uniform jitter in [0, jitter];
//     arrivals keep their order (TCP delivers in order);
//   - loss: each of its ceil(bytes / 1448) segments is lost with probability `loss`, and
//     each loss delays the chunk by one retransmission timeout (RetransmissionMs); the
//     chunks behind it wait for it (in order), so losses that overlap in time are
//     repaired together, as TCP's SACK does.
// Bounded: at most 4 MiB queued per direction (reading pauses beyond it), at most
// `max_connections` connections (further ones are closed at once).
//
// Why not the kernel: `tc`'s tbf shapes rate inside a network namespace on these
// machines, but netem (delay, jitter, loss) is not in their kernels, and a namespace
// needs privileges CI may not have. LinkEmulatorTest checks the model's timing against
// the clock.
//
// Thread-safe: Start() once, counters() from any thread; the destructor stops it, closes
// every connection and joins its threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "eval/links/link_profile.h"
#include "hiedge/common/status.h"

namespace hiedge::eval {

struct LinkEmulatorOptions {
  LinkProfile link;
  std::string target_host = "127.0.0.1";
  int target_port = 0;
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;  // 0 picks a free port.
  int max_connections = 256;
  uint64_t seed = 1;  // Of the jitter and loss draws.
};

struct LinkEmulatorCounters {
  uint64_t connections = 0;
  uint64_t refused_connections = 0;  // Beyond max_connections, or the target refused.
  uint64_t uplink_bytes = 0;
  uint64_t downlink_bytes = 0;
  uint64_t lost_segments = 0;
};

class LinkEmulator {
 public:
  // Binds, and starts accepting. InvalidArgument for a bad target port, Unavailable when
  // the listen address cannot be bound.
  static Result<std::unique_ptr<LinkEmulator>> Start(const LinkEmulatorOptions& options);
  ~LinkEmulator();
  LinkEmulator(const LinkEmulator&) = delete;
  LinkEmulator& operator=(const LinkEmulator&) = delete;

  int port() const;
  LinkEmulatorCounters counters() const;

 private:
  class Impl;
  explicit LinkEmulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The emulator a device reaches 127.0.0.1:`target_port` through when `link` is shaped;
// null when it is not (the device then connects to the target itself). `seed` draws the
// jitter and the losses.
Result<std::unique_ptr<LinkEmulator>> EmulateIfShaped(const LinkProfile& link, int target_port,
                                                      uint64_t seed = 1);

}  // namespace hiedge::eval
