#include "eval/links/link_profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hiedge::eval {
namespace {

// Seed 001: 177.13 ms to send one 32x32x3 CIFAR image over BLE. With a 7.5 ms connection
// interval as the one-way delay, the rest is serialisation: 3,072 B / 169.63 ms.
constexpr double kBleDelayMs = 7.5;
constexpr double kBleBytesPerSecond = 3072.0 / ((177.13 - kBleDelayMs) / 1000.0);

std::vector<LinkProfile> MakeProfiles() {
  return {
      {"wifi", 10.45e6, 10.45e6, 1.2, 0.5, 0,
       "seed 000: 10.45 MB/s over Wi-Fi (30 iPerf runs, sigma 0.6); seed 001: 2.65 ms per "
       "3 KB image"},
      {"ble", kBleBytesPerSecond, kBleBytesPerSecond, kBleDelayMs, 0, 0,
       "seed 001: 177.13 ms per 3,072-byte CIFAR image over BLE"},
      {"lan100", 12.5e6, 12.5e6, 0.1, 0, 0, "seed 004: 100 Mb/s LAN"},
      {"cellular", 625e3, 2.5e6, 25, 10, 0.005,
       "an LTE uplink: 5 Mb/s up, 20 Mb/s down, 25 ms one way, 10 ms jitter, 0.5% loss"},
      {"loopback", 0, 0, 0, 0, 0, "no shaping"},
  };
}

Result<double> ParseNumber(std::string_view key, std::string_view text) {
  double scale = 1;
  if (!text.empty() && (text.back() == 'k' || text.back() == 'M')) {
    scale = text.back() == 'k' ? 1e3 : 1e6;
    text.remove_suffix(1);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Status::InvalidArgument("link: '" + std::string(key) + "' needs a number, got '" +
                                   std::string(text) + "'");
  }
  return value * scale;
}

std::string KnownNames() {
  std::string names;
  for (const LinkProfile& p : BuiltInLinkProfiles()) names += (names.empty() ? "" : ", ") + p.name;
  return names;
}

}  // namespace

const std::vector<LinkProfile>& BuiltInLinkProfiles() {
  static const std::vector<LinkProfile> profiles = MakeProfiles();
  return profiles;
}

Result<LinkProfile> ParseLinkProfile(std::string_view text) {
  if (text.empty()) text = "loopback";
  for (const LinkProfile& p : BuiltInLinkProfiles()) {
    if (p.name == text) return p;
  }
  if (text.find('=') == std::string_view::npos) {
    return Status::InvalidArgument("unknown link '" + std::string(text) + "' (known: " +
                                   KnownNames() + ", or up=,down=,delay=,jitter=,loss=)");
  }
  if (text.size() > 256) return Status::InvalidArgument("link spec longer than 256 characters");
  LinkProfile link;
  link.name = std::string(text);
  link.source = "given on the command line";
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("link: '" + std::string(item) + "' is not key=value");
    }
    const std::string_view key = item.substr(0, eq);
    HIEDGE_ASSIGN_OR_RETURN(const double value, ParseNumber(key, item.substr(eq + 1)));
    if (key == "up" || key == "down") {
      if (value < 0 || value > 1e11) {
        return Status::InvalidArgument("link: a rate is 0 (unlimited) to 1e11 bytes/s");
      }
      (key == "up" ? link.uplink_bytes_per_second : link.downlink_bytes_per_second) = value;
    } else if (key == "delay" || key == "jitter") {
      if (value < 0 || value > 10000) {
        return Status::InvalidArgument("link: delay and jitter are 0 to 10,000 ms");
      }
      (key == "delay" ? link.one_way_delay_ms : link.jitter_ms) = value;
    } else if (key == "loss") {
      if (value < 0 || value >= 0.5) return Status::InvalidArgument("link: loss is in [0, 0.5)");
      link.loss = value;
    } else {
      return Status::InvalidArgument("link: unknown key '" + std::string(key) +
                                     "' (up, down, delay, jitter, loss)");
    }
  }
  return link;
}

double RetransmissionMs(const LinkProfile& link) {
  return std::max(200.0, 4 * link.one_way_delay_ms);
}

double TransferMs(const LinkProfile& link, LinkDirection direction, double bytes) {
  const double rate = direction == LinkDirection::kUplink ? link.uplink_bytes_per_second
                                                          : link.downlink_bytes_per_second;
  const double serialisation = rate > 0 ? 1000.0 * bytes / rate : 0;
  const double segments = std::max(1.0, std::ceil(bytes / kSegmentBytes));
  return serialisation + link.one_way_delay_ms + link.jitter_ms / 2 +
         segments * link.loss * RetransmissionMs(link);
}

double RoundTripMs(const LinkProfile& link, double request_bytes, double response_bytes) {
  return TransferMs(link, LinkDirection::kUplink, request_bytes) +
         TransferMs(link, LinkDirection::kDownlink, response_bytes);
}

}  // namespace hiedge::eval
