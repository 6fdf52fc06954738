#include "server/listen.h"

namespace hiedge::server_internal {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Status Listen(tcp::acceptor& acceptor, const std::string& host, int port, int backlog) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("'" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Status::Unavailable("cannot open a socket: " + ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    acceptor.close();
    return Status::Unavailable("cannot bind to " + host + ":" + std::to_string(port) + " (" +
                               ec.message() + ")");
  }
  if (acceptor.listen(backlog, ec); ec) {
    acceptor.close();
    return Status::Unavailable("cannot listen on " + host + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace hiedge::server_internal
