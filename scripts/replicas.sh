#!/usr/bin/env bash
# Several `hiedge serve` replicas behind HAProxy (Debian's haproxy), REST and gRPC, on
# this machine: the scale-out of docs/deploy.md. Arguments go to every `hiedge serve`.
#
#   REPLICAS=2 REST_PORT=8000 GRPC_PORT=8001 scripts/replicas.sh --models-dir models --model lml
#
# Devices use REST_PORT (REST) or GRPC_PORT (gRPC, h2c). HAProxy checks each replica's
# readiness (GET /v2/health/ready, which a draining replica fails), routes by least
# connections, and resends a request whose replica died before answering to another
# one (inference is idempotent). Prints "replica <i> pid <pid> rest <port> grpc <port>"
# per replica, then "ready"; runs until interrupted, then stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
REPLICAS="${REPLICAS:-2}"
REST_PORT="${REST_PORT:-8000}"
GRPC_PORT="${GRPC_PORT:-8001}"
BUILD="${BUILD:-build}"
command -v haproxy >/dev/null || { echo "replicas: haproxy is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
WORK="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

rest_servers=""
grpc_servers=""
for i in $(seq 0 $((REPLICAS - 1))); do
  "$BUILD/hiedge" serve --port 0 --grpc-port 0 "$@" 2>"$WORK/replica$i.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 600); do
    grep -q "grpc://" "$WORK/replica$i.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/replica$i.log" >&2; exit 1; }
    sleep 0.05
  done
  rest=$(grep -o 'http://[^:]*:[0-9]*' "$WORK/replica$i.log" | head -1 | sed 's/.*://')
  grpc=$(grep -o 'grpc://[^:]*:[0-9]*' "$WORK/replica$i.log" | head -1 | sed 's/.*://')
  [ -n "$rest" ] && [ -n "$grpc" ] || { cat "$WORK/replica$i.log" >&2; exit 1; }
  echo "replica $i pid $pid rest $rest grpc $grpc"
  # Health: the replica's REST readiness, for its gRPC port too (check port ...).
  rest_servers+="  server r$i 127.0.0.1:$rest check"$'\n'
  grpc_servers+="  server g$i 127.0.0.1:$grpc proto h2 check port $rest check-proto h1"$'\n'
done

cat >"$WORK/haproxy.cfg" <<EOF
global
  maxconn 8000
  log stderr format short local0 "${HAPROXY_LOG_LEVEL:-warning}"

defaults
  mode http
  log global
  option httplog
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  timeout check 500ms
  # A request whose replica refused the connection, closed it without an answer or
  # died is sent again, to another replica (redispatch). Admission refusals (503)
  # are answers: they go back to the device, which falls back at once.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout
  option httpchk GET /v2/health/ready
  http-check expect status 200
  default-server inter 200ms fall 1 rise 2 on-marked-down shutdown-sessions

frontend rest
  bind 127.0.0.1:$REST_PORT
  default_backend rest_replicas

backend rest_replicas
  balance leastconn
$rest_servers
frontend grpc
  bind 127.0.0.1:$GRPC_PORT proto h2
  default_backend grpc_replicas

backend grpc_replicas
  balance leastconn
$grpc_servers
EOF
haproxy -c -q -f "$WORK/haproxy.cfg"
haproxy -db -f "$WORK/haproxy.cfg" &
balancer=$!
pids+=("$balancer")
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$REST_PORT") 2>/dev/null && break
  sleep 0.05
done
echo "ready: rest 127.0.0.1:$REST_PORT grpc 127.0.0.1:$GRPC_PORT"
# Runs while the balancer does; a replica that dies is the balancer's to route around.
wait "$balancer" || true
