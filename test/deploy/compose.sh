#!/usr/bin/env bash
# Runs a compose file under podman on this machine, with `depends_on: condition: service_healthy` and profiles
# honoured:
#
#   test/deploy/compose.sh [docker-compose arguments...]   e.g. -p bulwark -f docker-compose.yml --profile scale up -d
#   test/deploy/compose.sh stop                             stops the API service and health ticker this script started
#
# The implementation is docker-compose 1.29 (Debian's package) talking to podman's Docker-compatible API on a socket
# of this checkout (test/.cache/deploy/podman.sock), because with Debian 12's podman 4.3 neither podman-compose honours
# `condition: service_healthy`: 1.0.3 (Debian) starts the dependent at once and knows no --profile; 1.6.0 (PyPI) logs
# "Ignored ... condition check due to podman 4.3.1 doesn't support healthy" (it needs `podman wait
# --condition=healthy`, podman 4.6+). `podman compose` does not exist before podman 4.7. docker-compose 1.29 polls
# the containers' health itself, which test/deploy/health-ticker.sh keeps current (no systemd timers here).
# Compose v1 limits the compose file to: no top-level `name:` (use -p), the rest of the compose spec it knows
# (profiles, depends_on conditions, healthchecks, named volumes, env files, secrets as files).
set -euo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

SOCKET="$DEPLOY_CACHE/podman.sock"
SERVICE_PID="$DEPLOY_CACHE/podman-service.pid"
export DOCKER_HOST="unix://$SOCKET"

service_alive() {
  local pid
  [[ -f $SERVICE_PID ]] && pid=$(<"$SERVICE_PID") && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "system service"
}

start_service() {
  service_alive && return 0
  rm -f "$SOCKET"
  # --time=0: no idle timeout; the socket is this checkout's, so a system-wide podman.socket is left alone.
  setsid podman system service --time=0 "unix://$SOCKET" </dev/null >"$DEPLOY_CACHE/podman-service.log" 2>&1 &
  echo $! >"$SERVICE_PID"
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fs --unix-socket "$SOCKET" http://podman/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail_log "$DEPLOY_CACHE/podman-service.log"
  die "podman system service did not answer on $SOCKET"
}

if [[ ${1:-} == stop ]]; then
  "$DEPLOY_DIR/health-ticker.sh" stop
  if service_alive; then kill "$(<"$SERVICE_PID")"; log "podman API service stopped"; fi
  rm -f "$SERVICE_PID" "$SOCKET"
  exit 0
fi

need_root "$@"
[[ -f $CONTAINERS_CONF ]] || die "no $CONTAINERS_CONF: run test/deploy/podman.sh first"
apt_install docker-compose
start_service
"$DEPLOY_DIR/health-ticker.sh" start
exec docker-compose "$@"
