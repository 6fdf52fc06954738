#include "eval/links/link_emulator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "eval/links/link_profile.h"

namespace hiedge::eval {
namespace {

// A one-shot server: reads `request` bytes, answers `response` bytes, closes.
class OneShotServer {
 public:
  OneShotServer(size_t request, size_t response) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof(a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, request, response] {
      const int c = accept(fd_, nullptr, nullptr);
      std::string buffer(64 * 1024, '\0');
      size_t got = 0;
      while (got < request) {
        const ssize_t r = recv(c, buffer.data(), buffer.size(), 0);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; ++i) checksum_ += static_cast<unsigned char>(buffer[i]);
        got += static_cast<size_t>(r);
      }
      received_ = got;
      const std::string answer(response, 'a');
      size_t sent = 0;
      while (sent < answer.size()) {
        const ssize_t w = send(c, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
        if (w <= 0) break;
        sent += static_cast<size_t>(w);
      }
      close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  size_t received() const { return received_; }
  uint64_t checksum() const { return checksum_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  size_t received_ = 0;
  uint64_t checksum_ = 0;
  std::thread thread_;
};

struct Exchange {
  double ms = 0;
  size_t answered = 0;
  uint64_t sent_checksum = 0;
};

// Sends `request` bytes through the emulator and reads the answer to its end.
Exchange SendThrough(int port, size_t request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  std::string body(request, '\0');
  Exchange e;
  for (size_t i = 0; i < request; ++i) {
    body[i] = static_cast<char>(i * 31 + 7);
    e.sent_checksum += static_cast<unsigned char>(body[i]);
  }
  const auto start = std::chrono::steady_clock::now();
  size_t sent = 0;
  while (sent < body.size()) {
    const ssize_t w = send(fd, body.data() + sent, body.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) break;
    sent += static_cast<size_t>(w);
  }
  std::string buffer(64 * 1024, '\0');
  while (true) {
    const ssize_t r = recv(fd, buffer.data(), buffer.size(), 0);
    if (r <= 0) break;
    e.answered += static_cast<size_t>(r);
  }
  e.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  close(fd);
  return e;
}

// The accuracy check: a transfer of known size takes the time the profile says,
// within 10% (never less: the model's time is a lower bound the relay cannot beat).
void ExpectTakesWhatTheProfileSays(const LinkProfile& link, size_t request, size_t response) {
  OneShotServer server(request, response);
  LinkEmulatorOptions options;
  options.link = link;
  options.target_port = server.port();
  auto emulator = LinkEmulator::Start(options);
  ASSERT_TRUE(emulator.ok()) << emulator.status().ToString();
  const Exchange e = SendThrough((*emulator)->port(), request);
  const double expected =
      RoundTripMs(link, static_cast<double>(request), static_cast<double>(response));
  SCOPED_TRACE(link.name + ": measured " + std::to_string(e.ms) + " ms, profile says " +
               std::to_string(expected) + " ms");
  EXPECT_EQ(server.received(), request);
  EXPECT_EQ(server.checksum(), e.sent_checksum);  // Bytes pass intact.
  EXPECT_EQ(e.answered, response);                // And the close passes on.
  EXPECT_GE(e.ms, 0.97 * expected);
  EXPECT_LE(e.ms, 1.10 * expected);
  EXPECT_EQ((*emulator)->counters().uplink_bytes, request);
  EXPECT_EQ((*emulator)->counters().downlink_bytes, response);
}

TEST(LinkEmulatorTest, OneCifarImageOverBleTakesSeed001sTime) {
  const LinkProfile ble = *ParseLinkProfile("ble");
  // The profile reproduces seed 001's figure by construction ...
  EXPECT_NEAR(TransferMs(ble, LinkDirection::kUplink, 3072), 177.13, 0.01);
  // ... and the emulator delivers it.
  ExpectTakesWhatTheProfileSays(ble, 3072, 16);
}

TEST(LinkEmulatorTest, TwoMegabytesOverWifiTakeTheirSerialisationTime) {
  ExpectTakesWhatTheProfileSays(*ParseLinkProfile("wifi"), 2'000'000, 1000);
}

TEST(LinkEmulatorTest, RateAndDelayEachWayAddUp) {
  ExpectTakesWhatTheProfileSays(*ParseLinkProfile("up=2M,down=500k,delay=20"), 400'000, 50'000);
}

TEST(LinkEmulatorTest, LostSegmentsCostARetransmissionTimeoutEach) {
  LinkProfile lossy = *ParseLinkProfile("up=10M,down=10M,delay=5,loss=0.2");
  OneShotServer server(100 * 1448, 10);
  LinkEmulatorOptions options;
  options.link = lossy;
  options.target_port = server.port();
  options.seed = 7;
  auto emulator = LinkEmulator::Start(options);
  ASSERT_TRUE(emulator.ok());
  const Exchange e = SendThrough((*emulator)->port(), 100 * 1448);
  const uint64_t lost = (*emulator)->counters().lost_segments;
  EXPECT_GT(lost, 5u);  // 20% of ~100 segments, seeded.
  EXPECT_LT(lost, 40u);
  // Without loss the exchange takes ~26 ms; a loss holds its chunk, and every chunk
  // behind it, for a 200 ms retransmission timeout (losses overlapping in time are
  // repaired together, as SACK does).
  EXPECT_GE(e.ms, RetransmissionMs(lossy) + 0.97 * RoundTripMs(lossy, 0, 0));
  EXPECT_EQ(e.answered, 10u);
}

TEST(LinkEmulatorTest, ProfilesParseAndBadSpecsAreClearErrors) {
  for (const LinkProfile& p : BuiltInLinkProfiles()) {
    EXPECT_TRUE(ParseLinkProfile(p.name).ok()) << p.name;
    EXPECT_FALSE(p.source.empty());
  }
  EXPECT_FALSE(ParseLinkProfile("loopback")->shaped());
  EXPECT_DOUBLE_EQ(ParseLinkProfile("wifi")->uplink_bytes_per_second, 10.45e6);
  const auto custom = ParseLinkProfile("up=1.5M,down=250k,delay=3,jitter=1,loss=0.01");
  ASSERT_TRUE(custom.ok());
  EXPECT_DOUBLE_EQ(custom->uplink_bytes_per_second, 1.5e6);
  EXPECT_DOUBLE_EQ(custom->downlink_bytes_per_second, 250e3);
  EXPECT_DOUBLE_EQ(custom->loss, 0.01);
  for (const char* bad : {"wifi6", "up=fast", "loss=0.5", "delay=-1", "up=1M,color=red", "up",
                          "jitter=20000", "up=nan"}) {
    const auto parsed = ParseLinkProfile(bad);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseLinkProfile("wifi6").status().message().find("wifi, ble, lan100"),
            std::string::npos);
}

TEST(LinkEmulatorTest, RefusesBadTargetsAndCountsRefusedConnections) {
  LinkEmulatorOptions options;
  options.target_port = 0;
  EXPECT_EQ(LinkEmulator::Start(options).status().code(), StatusCode::kInvalidArgument);
  // A target nobody listens on: the device's connection is closed at once and counted.
  const int closed_port = [] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof(a);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    close(fd);
    return static_cast<int>(ntohs(a.sin_port));
  }();
  options.target_port = closed_port;
  auto emulator = LinkEmulator::Start(options);
  ASSERT_TRUE(emulator.ok());
  const Exchange e = SendThrough((*emulator)->port(), 10);
  EXPECT_EQ(e.answered, 0u);
  EXPECT_EQ((*emulator)->counters().refused_connections, 1u);
}

}  // namespace
}  // namespace hiedge::eval
