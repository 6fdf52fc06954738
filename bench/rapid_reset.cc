// HTTP/2 rapid reset against a running gRPC port (the CVE-2023-44487 class), for
// docs/deploy.md: `scripts/grpc_attack.sh` starts `hiedge serve`, runs this, and reads
// the server's memory. Usage: hiedge_rapid_reset PORT STREAMS SECONDS [TOKEN]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "testing/h2_rapid_reset.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s PORT STREAMS SECONDS [TOKEN]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const long long streams = std::atoll(argv[2]);
  const double seconds = std::atof(argv[3]);
  hiedge::testing::RapidResetAttacker attacker(port, argc > 4 ? argv[4] : "");
  const auto report =
      attacker.Run(streams, std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
  std::printf("streams %lld, connections %lld, closed by the server %lld\n",
              static_cast<long long>(report.streams_sent),
              static_cast<long long>(report.connections),
              static_cast<long long>(report.connections_closed));
  return 0;
}
