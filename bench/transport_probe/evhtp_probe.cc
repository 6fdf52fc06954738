// The libevhtp side of the REST library trial (docs/architecture.md): the smallest
// server a hiedge transport on libevhtp would start from, answering the readiness probe
// on 2 event threads, with libevhtp's own limits (backlog 1024, 10 s read/write
// timeouts, 16 MiB body). Built by scripts/transport_trial.sh, never by CMake; the
// Beast side is the real `hiedge serve`.
#include <evhtp.h>

#include <cstdio>
#include <cstdlib>

namespace {

void Ready(evhtp_request_t* request, void*) {
  evhtp_headers_add_header(request->headers_out,
                           evhtp_header_new("Content-Type", "application/json", 0, 0));
  evbuffer_add_printf(request->buffer_out, "{\"ready\":true}");
  evhtp_send_reply(request, EVHTP_RES_OK);
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 18100;
  event_base* base = event_base_new();
  evhtp_t* htp = evhtp_new(base, nullptr);
  evhtp_set_cb(htp, "/v2/health/ready", Ready, nullptr);
  const timeval ten_seconds{10, 0};
  evhtp_set_timeouts(htp, &ten_seconds, &ten_seconds);
  evhtp_set_max_body_size(htp, 16 << 20);
  evhtp_use_threads_wexit(htp, nullptr, nullptr, 2, nullptr);
  if (evhtp_bind_socket(htp, "127.0.0.1", static_cast<uint16_t>(port), 1024) != 0) {
    std::fprintf(stderr, "cannot bind port %d\n", port);
    return 1;
  }
  std::fprintf(stderr, "evhtp probe on http://127.0.0.1:%d\n", port);
  event_base_loop(base, 0);
  return 0;
}
