// Opening a listening TCP socket the way both transports want it. Internal to
// src/server.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "hiedge/common/status.h"

namespace hiedge::server_internal {

// Opens, binds and listens `acceptor` on host:port (port 0: any free one), with
// SO_REUSEADDR only (a restart may bind while old connections sit in TIME_WAIT), never
// SO_REUSEPORT (a second server must not silently share a busy port). InvalidArgument
// for a host that is not an IP address, Unavailable when the address cannot be bound.
Status Listen(boost::asio::ip::tcp::acceptor& acceptor, const std::string& host, int port,
              int backlog);

}  // namespace hiedge::server_internal
