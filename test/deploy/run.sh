#!/usr/bin/env bash
# `npm run test:deploy` (and .ci/run): the image and docker-compose.yml, run for real under podman on this machine.
#   1. podman ready (podman.sh), the base images the Dockerfile and compose file name (base-images.sh)
#   2. `podman build` of the top-level Dockerfile, unchanged, tagged as docker-compose.yml names it
#   3. test/deploy/compose.e2e.ts: the image read-only/non-root/tini/SIGTERM; the default profile and the scale profile
#      each up and healthy, the breach's incident through the composed stack, down/up with nothing lost
# Every missing piece fails with a message; nothing is skipped. Run as root. Leaves the images (the next run reuses
# them and the build's layers); removes the test's containers, networks and volumes.
set -euo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

# What docker-compose.yml runs when BULWARK_IMAGE is unset.
IMAGE=${BULWARK_IMAGE:-localhost/bulwark:latest}
export BULWARK_IMAGE=$IMAGE

need_root "$@"
[[ -d $REPO_ROOT/node_modules/tsx ]] || die "no node_modules: run npm install (or npm ci) first: the e2e runs under tsx"
trap '"$DEPLOY_DIR/compose.sh" stop >/dev/null 2>&1 || true' EXIT
t_all=$(now_ms)

t0=$(now_ms)
"$DEPLOY_DIR/podman.sh"
"$DEPLOY_DIR/base-images.sh" debian node redis opensearch
log "podman and base images ready in $(fmt_ms $(($(now_ms) - t0)))"

t0=$(now_ms)
log "podman build of the Dockerfile as $IMAGE (log: test/.cache/deploy/bulwark-build.log)"
podman build --pull=never -t "$IMAGE" "$REPO_ROOT" >"$DEPLOY_CACHE/bulwark-build.log" 2>&1 ||
  { tail_log "$DEPLOY_CACHE/bulwark-build.log"; die "podman build of the Dockerfile failed (log above)"; }
[[ $(podman image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE") == *healthz* ]] ||
  die "the built image has no HEALTHCHECK (built in OCI format? BUILDAH_FORMAT=docker keeps it)"
log "built $IMAGE in $(fmt_ms $(($(now_ms) - t0))) ($(podman image inspect -f '{{.Size}}' "$IMAGE" | numfmt --to=iec))"

t0=$(now_ms)
cd "$REPO_ROOT"
node --conditions=source --import tsx --test --test-reporter=spec --test-timeout=1200000 test/deploy/compose.e2e.ts ||
  die "test/deploy/compose.e2e.ts failed (above)"
log "compose e2e passed in $(fmt_ms $(($(now_ms) - t0))); test:deploy in $(fmt_ms $(($(now_ms) - t_all)))"
