// libFuzzer target for what the REST transport does with raw bytes before any model
// runs: Beast's request parser under the server's header and body limits, the
// framing checks, the router (routes, methods, auth) and the infer body parser.
// Run via scripts/fuzz.sh.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "hiedge/protocol/protocol.h"
#include "server/http_routes.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hiedge::InferenceService service;  // No models: routes resolve, lookups fail.
  static const hiedge::HttpRouter router(&service, "token");
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(256 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  const size_t used = parser.put(boost::asio::buffer(data, size), ec);
  if (used > size) __builtin_trap();
  if (ec || !parser.is_header_done()) return 0;
  const auto& req = parser.get();
  const auto auth = req[http::field::authorization];
  auto resolved =
      router.Resolve(std::string_view(req.method_string().data(), req.method_string().size()),
                     std::string_view(req.target().data(), req.target().size()),
                     std::string_view(auth.data(), auth.size()));
  if (auto* reply = std::get_if<hiedge::HttpReply>(&resolved)) {
    if (reply->status < 400 || reply->status > 599) __builtin_trap();
    return 0;
  }
  if (!parser.is_done()) return 0;
  const auto& route = std::get<hiedge::HttpRoute>(resolved);
  hiedge::HttpRequestView view;
  view.method = std::string_view(req.method_string().data(), req.method_string().size());
  view.target = std::string_view(req.target().data(), req.target().size());
  view.body = req.body();
  const hiedge::HttpReply reply = router.Handle(route, view);
  if (reply.status < 200 || reply.status > 599) __builtin_trap();
  return 0;
}
