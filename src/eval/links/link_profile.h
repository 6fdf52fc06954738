// Network links like the seeds': bandwidth each way, one-way delay, jitter and loss, and
// the time a transfer takes over them. Pure: numbers in, numbers out.
//
// Built-in profiles (docs/links.md gives the sources):
//   wifi      seed 000's Wi-Fi: 10.45 MB/s (mean of 30 iPerf runs), 1.2 ms one way
//   ble       seed 001's Bluetooth Low Energy: 177.13 ms per 3,072-byte CIFAR image
//   lan100    seed 004's 100 Mb/s LAN
//   cellular  an LTE uplink: 5 Mb/s up, 20 Mb/s down, 25 ms one way, 10 ms jitter,
//             0.5% loss
//   loopback  no shaping (the emulator passes bytes through)
// or a spec "up=BYTES/S,down=BYTES/S,delay=MS,jitter=MS,loss=P" (units: bytes per second,
// milliseconds, a probability per segment; k/M suffixes on rates: 10.45M).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hiedge/common/status.h"

namespace hiedge::eval {

struct LinkProfile {
  std::string name;
  double uplink_bytes_per_second = 0;    // Device -> server; 0 = unlimited.
  double downlink_bytes_per_second = 0;  // Server -> device; 0 = unlimited.
  double one_way_delay_ms = 0;           // Propagation, each direction.
  double jitter_ms = 0;                  // Extra delay, uniform in [0, jitter]; order kept.
  double loss = 0;     // Per TCP segment: each lost one costs one retransmission timeout.
  std::string source;  // Where the numbers come from.

  bool shaped() const {
    return uplink_bytes_per_second > 0 || downlink_bytes_per_second > 0 || one_way_delay_ms > 0 ||
           jitter_ms > 0 || loss > 0;
  }
};

// One TCP segment on these links (Ethernet MTU 1500 less 52 bytes of IP and TCP headers).
inline constexpr double kSegmentBytes = 1448;
// What one lost segment costs: Linux's minimum retransmission timeout, or four one-way
// delays (a round trip and its variance) when that is longer.
double RetransmissionMs(const LinkProfile& link);

// The built-in profiles, in the order above.
const std::vector<LinkProfile>& BuiltInLinkProfiles();
// A built-in name or a spec ("" is loopback); InvalidArgument naming the known profiles otherwise,
// and for rates, delays or loss out of range (loss in [0, 0.5), delays up to 10 s).
Result<LinkProfile> ParseLinkProfile(std::string_view text);

enum class LinkDirection { kUplink, kDownlink };
// The expected time for `bytes` to arrive over an idle link in one direction, in ms:
// serialisation + one-way delay + the mean jitter + the expected retransmissions.
double TransferMs(const LinkProfile& link, LinkDirection direction, double bytes);
// The expected round trip of a request and its answer (the server's time excluded).
double RoundTripMs(const LinkProfile& link, double request_bytes, double response_bytes);

}  // namespace hiedge::eval
