#!/usr/bin/env bash
# The REST library trial behind docs/architecture.md: libevhtp (the probe in
# bench/transport_probe/, built here, never part of the product) against Boost.Beast
# (the real `hiedge serve`), both on 2 event threads, same machine, interleaved rounds.
#   1. throughput: wrk, 64 keep-alive connections, GET /v2/health/ready, 3 s per round
#   2. slow clients: 200 connections dripping header lines; a fresh client's probe time
#   3. slowloris: one connection sending a header line every 2 s; when is it cut off?
# Needs: libevhtp-dev libevent-dev wrk python3. Usage: scripts/transport_trial.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
g++ -O2 -std=c++20 bench/transport_probe/evhtp_probe.cc -o build/evhtp_probe \
  -levhtp -levent -levent_openssl -levent_pthreads -lssl -lcrypto -lpthread
export OPENBLAS_NUM_THREADS=1
build/evhtp_probe 18100 2>/dev/null &
EVHTP=$!
build/hiedge serve --model sml --port 18200 --grpc-port -1 --http-io-threads 2 \
  --drain-min-seconds 0 --no-progress 2>/dev/null &
BEAST=$!
trap 'kill $EVHTP $BEAST 2>/dev/null || true' EXIT
sleep 3
for round in $(seq "$ROUNDS"); do
  for lib in evhtp:18100 beast:18200; do
    name=${lib%%:*}; port=${lib##*:}
    wrk -t2 -c64 -d3s --latency "http://127.0.0.1:$port/v2/health/ready" |
      awk -v n="$name" -v r="$round" '/Requests\/sec/ {rps=$2} /^ +99%/ {p99=$2}
        END {printf "round %s %-6s throughput %9.0f req/s  p99 %s\n", r, n, rps, p99}'
  done
done
python3 - <<'PY'
import socket, time
for name, port in (("evhtp", 18100), ("beast", 18200)):
    drips = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n")
        drips.append(s)
    times = []
    for _ in range(5):
        for s in drips:
            try: s.sendall(b"X-Drip: 1\r\n")
            except OSError: pass
        t = time.time()
        c = socket.create_connection(("127.0.0.1", port))
        c.settimeout(20)
        c.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n\r\n")
        c.recv(100)
        times.append((time.time() - t) * 1000)
        c.close()
        time.sleep(0.2)
    times.sort()
    print(f"slow clients {name:6s}: fresh probe with 200 dripping connections p50 {times[2]:.2f} ms, max {times[-1]:.2f} ms")
    for s in drips: s.close()
    # Slowloris: a header line every 2 s; how long does the server keep the connection?
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v2/health/ready HTTP/1.1\r\nHost: t\r\n")
    start = time.time(); cut = None
    s.settimeout(2.0)
    while time.time() - start < 30:
        try:
            data = s.recv(1000)
            if not data or data: cut = time.time() - start; break
        except socket.timeout:
            try: s.sendall(b"X-Drip: 1\r\n")
            except OSError: cut = time.time() - start; break
    print(f"slowloris    {name:6s}: " + (f"cut off after {cut:.1f} s" if cut else "still open after 30 s"))
PY
