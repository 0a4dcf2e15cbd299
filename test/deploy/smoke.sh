#!/usr/bin/env bash
# The path Bulwark's Dockerfile and compose file take under podman here, end to end, each step timed:
#   1. podman ready (test/deploy/podman.sh), base images (test/deploy/base-images.sh node redis [opensearch])
#   2. `podman build` of the top-level Dockerfile, unchanged
#   3. `podman run`: /healthz answers on a loopback port, the image's HEALTHCHECK passes, tini is PID 1, the user is
#      not root, SIGTERM stops it cleanly
#   4. compose (test/deploy/compose.sh): `condition: service_healthy` holds a dependent back until its dependency is
#      healthy (smoke/gate.yml); Bulwark + Redis come up healthy (smoke/compose.yml), the profiled service stays down,
#      and with SMOKE_OPENSEARCH=1 the `search` profile brings the OpenSearch stand-in up healthy too
# Run as root. Leaves the images; removes its containers, networks and volumes.
set -euo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

IMAGE=localhost/bulwark:dev
SMOKE="$DEPLOY_DIR/smoke"
PROJECT=bulwark-smoke

step() { log "== $*"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_for SECONDS CMD...: until CMD succeeds; fails after SECONDS.
wait_for() {
  local limit=$1 t0
  shift
  t0=$(now_ms)
  until "$@" >/dev/null 2>&1; do
    (($(now_ms) - t0 < limit * 1000)) || return 1
    sleep 0.5
  done
}

health_is() { [[ $(podman inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null) == "$2" ]]; }

cleanup() {
  podman rm -f -t0 bulwark-smoke-run >/dev/null 2>&1 || true
  "$DEPLOY_DIR/compose.sh" -p "$PROJECT-gate" -f "$SMOKE/gate.yml" down -t 0 >/dev/null 2>&1 || true
  "$DEPLOY_DIR/compose.sh" -p "$PROJECT" -f "$SMOKE/compose.yml" --profile search down -v -t 5 >/dev/null 2>&1 || true
  "$DEPLOY_DIR/compose.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

need_root "$@"
t_all=$(now_ms)
step "podman and base images"
"$DEPLOY_DIR/podman.sh"
images=(node redis)
[[ ${SMOKE_OPENSEARCH:-0} == 1 ]] && images+=(opensearch)
"$DEPLOY_DIR/base-images.sh" "${images[@]}"

step "podman build of the Dockerfile (log: test/.cache/deploy/bulwark-build.log)"
t0=$(now_ms)
podman build --pull=never -t "$IMAGE" "$REPO_ROOT" >"$DEPLOY_CACHE/bulwark-build.log" 2>&1 ||
  { tail_log "$DEPLOY_CACHE/bulwark-build.log"; die "podman build failed"; }
log "built $IMAGE in $(fmt_ms $(($(now_ms) - t0))) ($(podman image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec))"
[[ $(podman image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE") == *healthz* ]] ||
  die "the built image has no HEALTHCHECK (built in OCI format? BUILDAH_FORMAT=docker keeps it)"

step "podman run: /healthz on a loopback port"
port=$(free_port)
t0=$(now_ms)
podman run -d --pull=never --name bulwark-smoke-run -p "127.0.0.1:$port:8080" "$IMAGE" >/dev/null
wait_for 180 curl -fs "http://127.0.0.1:$port/healthz" || { podman logs bulwark-smoke-run 2>&1 | tail -20; die "no /healthz on 127.0.0.1:$port"; }
log "/healthz answered on 127.0.0.1:$port $(fmt_ms $(($(now_ms) - t0))) after podman run: $(curl -fs "http://127.0.0.1:$port/healthz")"
podman healthcheck run bulwark-smoke-run >/dev/null || die "the image's HEALTHCHECK failed while /healthz answers"
pid1=$(podman exec bulwark-smoke-run cat /proc/1/cmdline | tr '\0' ' ')
[[ $pid1 == /usr/bin/tini* ]] || die "PID 1 is not tini: $pid1"
uid=$(podman exec bulwark-smoke-run id -u)
[[ $uid != 0 ]] || die "the service runs as root"
t0=$(now_ms)
podman stop -t 30 bulwark-smoke-run >/dev/null
code=$(podman inspect -f '{{.State.ExitCode}}' bulwark-smoke-run)
[[ $code == 0 ]] || die "SIGTERM: exit code $code (expected 0)"
log "HEALTHCHECK passes; PID 1: tini; uid $uid; SIGTERM -> exit 0 in $(fmt_ms $(($(now_ms) - t0)))"
podman rm -f -t0 bulwark-smoke-run >/dev/null

step "compose: condition service_healthy holds the dependent back"
"$DEPLOY_DIR/compose.sh" -p "$PROJECT-gate" -f "$SMOKE/gate.yml" up -d >"$DEPLOY_CACHE/gate-up.log" 2>&1 &
up_pid=$!
wait_for 60 health_is "$PROJECT-gate_gate_1" starting || die "gate container did not start (log: $DEPLOY_CACHE/gate-up.log)"
sleep 5 # five healthcheck intervals in which the gate stays unhealthy
if podman container exists "$PROJECT-gate_dependent_1"; then die "dependent was created while gate was not healthy"; fi
podman exec "$PROJECT-gate_gate_1" /bin/busybox touch /www/ready
wait_for 60 podman container exists "$PROJECT-gate_dependent_1" || die "dependent was not created once gate turned healthy"
wait "$up_pid" || { tail_log "$DEPLOY_CACHE/gate-up.log"; die "compose up of gate.yml failed"; }
log "dependent absent while gate was starting, created once it was healthy"
"$DEPLOY_DIR/compose.sh" -p "$PROJECT-gate" -f "$SMOKE/gate.yml" down -t 0 >/dev/null 2>&1

step "compose: bulwark + redis"
export BULWARK_SMOKE_PORT
BULWARK_SMOKE_PORT=$(free_port)
t0=$(now_ms)
"$DEPLOY_DIR/compose.sh" -p "$PROJECT" -f "$SMOKE/compose.yml" up -d >"$DEPLOY_CACHE/compose-up.log" 2>&1 ||
  { tail_log "$DEPLOY_CACHE/compose-up.log"; die "compose up failed"; }
wait_for 180 health_is "${PROJECT}_bulwark_1" healthy || die "bulwark did not turn healthy under compose"
log "bulwark healthy $(fmt_ms $(($(now_ms) - t0))) after compose up: $(curl -fs "http://127.0.0.1:$BULWARK_SMOKE_PORT/readyz")"
if podman container exists "${PROJECT}_search_1"; then die "the search service started without its profile"; fi
keys=$(podman exec "${PROJECT}_redis_1" redis-cli --raw keys 'bulwark:*' | wc -l)
((keys > 0)) || die "Bulwark left no bus keys in the compose Redis (BULWARK_REDIS_URL=redis://redis:6379 unused?)"
log "profiled service stays down; Bulwark's bus is on the compose Redis ($keys keys)"

if [[ ${SMOKE_OPENSEARCH:-0} == 1 ]]; then
  step "compose: --profile search adds the OpenSearch stand-in"
  t0=$(now_ms)
  "$DEPLOY_DIR/compose.sh" -p "$PROJECT" -f "$SMOKE/compose.yml" --profile search up -d >>"$DEPLOY_CACHE/compose-up.log" 2>&1
  wait_for 240 health_is "${PROJECT}_search_1" healthy || die "OpenSearch did not turn healthy under compose"
  body=$(podman exec "${PROJECT}_bulwark_1" node -e \
    "fetch('http://search:9200/_cluster/health').then(r=>r.text()).then(t=>console.log(t))")
  [[ $body == *'"status":"green"'* || $body == *'"status":"yellow"'* ]] || die "search:9200 from bulwark: $body"
  log "OpenSearch healthy $(fmt_ms $(($(now_ms) - t0))) after profile up; reached from bulwark as search:9200"
fi

t0=$(now_ms)
"$DEPLOY_DIR/compose.sh" -p "$PROJECT" -f "$SMOKE/compose.yml" --profile search down -v -t 10 >/dev/null 2>&1
log "compose down in $(fmt_ms $(($(now_ms) - t0)))"
log "smoke passed in $(fmt_ms $(($(now_ms) - t_all)))"
