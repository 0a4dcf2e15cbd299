# shellcheck shell=bash
# Shared by the test/deploy scripts: paths, logging, timings, apt installs, and the podman environment.
#
# Podman reads its engine settings from $CONTAINERS_CONF when that is set (and then from that file only), so every
# script here points it at a file this project writes under test/.cache/deploy: nothing in /etc is edited.

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$DEPLOY_DIR/../.." && pwd)"
DEPLOY_CACHE="$REPO_ROOT/test/.cache/deploy"   # gitignored (test/.cache/): rootfs and image tarballs, logs, venv
export CONTAINERS_CONF="$DEPLOY_CACHE/containers.conf"
# podman build writes OCI images by default, and the OCI format has no HEALTHCHECK: the Dockerfile's would be dropped
# (with a warning). Docker's format keeps it, as `docker build` does.
export BUILDAH_FORMAT=docker

log() { printf '[deploy] %s\n' "$*" >&2; }
die() { printf '[deploy] ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
fmt_ms() { printf '%d.%01ds' $(( $1 / 1000 )) $(( ($1 % 1000) / 100 )); }

# tail_log FILE [LINES]: show the end of a log after a failure.
tail_log() {
  [[ -f $1 ]] || return 0
  printf -- '----- last %s lines of %s -----\n' "${2:-40}" "$1" >&2
  tail -n "${2:-40}" "$1" >&2
  printf -- '----- end of %s -----\n' "$1" >&2
}

need_root() {
  [[ $(id -u) == 0 ]] || die "run as root: podman here runs rootful (CNI bridge networking, no user namespaces set up).
  Try: sudo $0 $*"
}

_APT_UPDATED=
# apt_install PKG...: install the Debian packages that are missing (as root); the package's own daemons are not started.
apt_install() {
  local missing=() p
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get on this machine"
  mkdir -p "$DEPLOY_CACHE"
  if [[ -z $_APT_UPDATED ]]; then
    log "apt-get update"
    apt-get update -qq >"$DEPLOY_CACHE/apt.log" 2>&1 || { tail_log "$DEPLOY_CACHE/apt.log"; die "apt-get update failed: check the Debian mirror in /etc/apt/sources.list*"; }
    _APT_UPDATED=1
  fi
  log "apt-get install -y ${missing[*]}"
  # policy-rc.d answering 101 keeps an install from starting the package's daemon (podman.socket, redis-server, ...).
  local policy=/usr/sbin/policy-rc.d own_policy='' rc=0
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$DEPLOY_CACHE/apt.log" 2>&1 || rc=$?
  [[ -n $own_policy ]] && rm -f "$policy"
  ((rc == 0)) || { tail_log "$DEPLOY_CACHE/apt.log"; die "apt-get install -y ${missing[*]} failed (log above)"; }
}
