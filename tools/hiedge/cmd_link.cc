// `hiedge link`: an emulated network link in front of any server (eval/link_emulator.h),
// so a device on this machine meets the server as it would over Wi-Fi, BLE, a LAN or a
// cellular uplink. Runs until SIGINT or SIGTERM, then prints what crossed it.
#include <csignal>
#include <cstdio>

#include "commands.h"
#include "eval/links/link_emulator.h"

namespace hiedge::cli {
namespace {

struct LinkArgs {
  std::string link = "wifi";
  std::string listen = "127.0.0.1:9000";
  std::string to = "127.0.0.1:8000";
  int max_connections = 256;
  uint64_t seed = 1;
};

Status RunLink(const LinkArgs& a) {
  HIEDGE_ASSIGN_OR_RETURN(const eval::LinkProfile link, eval::ParseLinkProfile(a.link));
  OffloadOptions listen, target;
  HIEDGE_RETURN_IF_ERROR(ParseHostPort(a.listen, &listen));
  HIEDGE_RETURN_IF_ERROR(ParseHostPort(a.to, &target));
  eval::LinkEmulatorOptions options;
  options.link = link;
  options.listen_host = listen.host;
  options.listen_port = listen.port;
  options.target_host = target.host;
  options.target_port = target.port;
  options.max_connections = a.max_connections;
  options.seed = a.seed;
  // The signals are taken by sigwait below, never by the emulator's threads.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  HIEDGE_ASSIGN_OR_RETURN(std::unique_ptr<eval::LinkEmulator> emulator,
                          eval::LinkEmulator::Start(options));
  std::fprintf(stderr,
               "hiedge link %s on %s:%d -> %s:%d (up %.0f B/s, down %.0f B/s, %.2f ms one way, "
               "jitter %.2f ms, loss %.4f; 0 B/s = unlimited)\n",
               link.name.c_str(), listen.host.c_str(), emulator->port(), target.host.c_str(),
               target.port, link.uplink_bytes_per_second, link.downlink_bytes_per_second,
               link.one_way_delay_ms, link.jitter_ms, link.loss);
  int received = 0;
  sigwait(&signals, &received);
  const eval::LinkEmulatorCounters c = emulator->counters();
  emulator.reset();
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  std::printf(
      "{\"link\": \"%s\", \"connections\": %llu, \"refused_connections\": %llu, "
      "\"uplink_bytes\": %llu, \"downlink_bytes\": %llu, \"lost_segments\": %llu}\n",
      link.name.c_str(), static_cast<unsigned long long>(c.connections),
      static_cast<unsigned long long>(c.refused_connections),
      static_cast<unsigned long long>(c.uplink_bytes),
      static_cast<unsigned long long>(c.downlink_bytes),
      static_cast<unsigned long long>(c.lost_segments));
  return Status::Ok();
}

}  // namespace

void AddLinkCommand(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand(
      "link",
      "Emulate a network link (rate, delay, jitter, loss) in front of a server: devices "
      "connect to --listen, bytes reach --to as the link would deliver them");
  auto a = std::make_shared<LinkArgs>();
  cmd->add_option("--link", a->link,
                  "wifi, ble, lan100, cellular, loopback, or up=B/s,down=B/s,delay=MS,"
                  "jitter=MS,loss=P (docs/links.md)")
      ->capture_default_str();
  cmd->add_option("--listen", a->listen, "HOST:PORT devices connect to (port 0 = any)")
      ->capture_default_str();
  cmd->add_option("--to", a->to, "HOST:PORT of the server (REST or gRPC)")->capture_default_str();
  cmd->add_option("--max-connections", a->max_connections, "Connections at once; more are closed")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the jitter and loss draws")->capture_default_str();
  cmd->callback([a, exit_code] { *exit_code = ExitCodeFor(RunLink(*a)); });
}

}  // namespace hiedge::cli
