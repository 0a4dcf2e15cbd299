#!/usr/bin/env bash
# Runs podman's container healthchecks on their intervals. Podman schedules them with systemd timers; this machine has
# no systemd (PID 1 is the VM's init), so without this every container stays "starting" forever and a compose file's
# `depends_on: condition: service_healthy` never lets the dependent service start.
#
#   test/deploy/health-ticker.sh start   in the background (pid in test/.cache/deploy/health-ticker.pid); no-op if running
#   test/deploy/health-ticker.sh stop    stops the one `start` began
#   test/deploy/health-ticker.sh run     in the foreground
#
# Each running container with a healthcheck gets `podman healthcheck run` once per its interval (the first at once);
# podman itself applies the timeout, retries and start period and records the status `podman inspect` shows.
set -uo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

PID_FILE="$DEPLOY_CACHE/health-ticker.pid"
POLL_S=1

ticker_alive() {
  local pid
  [[ -f $PID_FILE ]] && pid=$(<"$PID_FILE") && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'health-ticker.sh run'
}

run() {
  declare -A due=()   # container id -> epoch ms of its next check
  local now id interval
  while :; do
    now=$(now_ms)
    # id and interval (seconds, fractional) of running containers that have a healthcheck
    while read -r id interval; do
      [[ -n $id && -n $interval ]] || continue
      if [[ -z ${due[$id]:-} || $now -ge ${due[$id]} ]]; then
        # in the background: a slow check must not delay the others
        podman healthcheck run "$id" >/dev/null 2>&1 &
        due[$id]=$((now + $(awk -v s="$interval" 'BEGIN { printf "%d", s * 1000 }')))
      fi
    done < <(podman ps -q --filter status=running 2>/dev/null | xargs -r podman inspect --format \
               '{{.Id}} {{if .Config.Healthcheck}}{{.Config.Healthcheck.Interval.Seconds}}{{end}}' 2>/dev/null)
    wait -n 2>/dev/null || true # reap finished checks without waiting for the slow ones
    sleep "$POLL_S"
  done
}

case ${1:-} in
  run) run ;;
  start)
    ticker_alive && exit 0
    mkdir -p "$DEPLOY_CACHE"
    setsid "${BASH_SOURCE[0]}" run </dev/null >"$DEPLOY_CACHE/health-ticker.log" 2>&1 &
    echo $! >"$PID_FILE"
    log "health ticker started (pid $!): podman healthchecks run on their intervals"
    ;;
  stop)
    if ticker_alive; then
      kill -- "-$(<"$PID_FILE")" 2>/dev/null || kill "$(<"$PID_FILE")" 2>/dev/null
      log "health ticker stopped"
    fi
    rm -f "$PID_FILE"
    ;;
  *) die "usage: $0 start|stop|run" ;;
esac
