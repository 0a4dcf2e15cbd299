# shellcheck shell=bash
# Shared by test/services/up, down and status: paths, the env file, ports, pids, installs, and the dispatcher.
#
# A service is one file, test/services/<name>.sh, that defines:
#   <name>_default=yes|no   whether a bare `up` (no names) starts it
#   <name>_start            fetch/install what it needs, start it, wait until ready, then call <name>_export.
#                           Called only when <name>_status failed. Fails (non-zero, with a message saying how to get
#                           the missing piece) when it cannot run: never a silent skip.
#   <name>_stop             stop it if running, remove its throwaway data and env lines; succeeds when already down.
#   <name>_status           exit 0 when running and healthy (a later `up` then reuses it); prints nothing.
#   <name>_export           write its addresses to test/.services.env with env_set.
# Files whose name starts with "_" are helpers, not services.

SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SERVICES_DIR/../.." && pwd)"
CACHE_DIR="$REPO_ROOT/test/.cache"          # gitignored: downloads, data dirs
STATE_DIR="$CACHE_DIR/services"             # gitignored: pid files, ports, logs
ENV_FILE="$REPO_ROOT/test/.services.env"    # gitignored: `export NAME=value` lines for the suites

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# fmt_ms 6312 -> 6.3s
fmt_ms() { printf '%d.%01ds' $(( $1 / 1000 )) $(( ($1 % 1000) / 100 )); }

# ---- env file ----------------------------------------------------------------------------------------------------

# env_set NAME VALUE: replace NAME's line in test/.services.env (or add it), keeping every other service's lines.
env_set() {
  local name=$1 value=$2 tmp
  tmp="$(mktemp "$ENV_FILE.XXXXXX")"
  if [[ -f $ENV_FILE ]]; then grep -v "^export $name=" "$ENV_FILE" >"$tmp" || true; fi
  printf 'export %s=%s\n' "$name" "$value" >>"$tmp"
  mv "$tmp" "$ENV_FILE"
}

# env_unset NAME: drop NAME's line; removes the file once no service is left in it.
env_unset() {
  local name=$1 tmp
  [[ -f $ENV_FILE ]] || return 0
  tmp="$(mktemp "$ENV_FILE.XXXXXX")"
  grep -v "^export $name=" "$ENV_FILE" >"$tmp" || true
  if [[ -s $tmp ]]; then mv "$tmp" "$ENV_FILE"; else rm -f "$tmp" "$ENV_FILE"; fi
}

# ---- ports and processes -----------------------------------------------------------------------------------------

# port_busy PORT: something accepts connections on 127.0.0.1:PORT.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port FROM TO: the first port in [FROM, TO] nothing listens on.
free_port() {
  local p
  for ((p = $1; p <= $2; p++)); do port_busy "$p" || { echo "$p"; return 0; }; done
  return 1
}

# pid_alive PIDFILE: the pid in PIDFILE is a live process.
pid_alive() {
  local pid
  [[ -f $1 ]] && pid="$(<"$1")" && [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# pid_cmdline_has PID TEXT: the process's command line contains TEXT (guards against a recycled pid).
pid_cmdline_has() {
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
  [[ $cmdline == *"$2"* ]] # matched in bash: a grep would carry TEXT in its own command line
}

# stop_pid PID [SECONDS]: SIGTERM, wait up to SECONDS (default 30), then SIGKILL.
stop_pid() {
  local pid=$1 wait_s=${2:-30} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_s * 10; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid ignored SIGTERM for ${wait_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# pids_with_cmdline TEXT: pids of processes whose command line contains TEXT (an absolute path under this checkout's
# test/.cache, so only processes these scripts started are ever matched).
pids_with_cmdline() {
  local d pid
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    [[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
    pid_cmdline_has "$pid" "$1" 2>/dev/null && echo "$pid"
  done
  return 0
}

# tail_log FILE [LINES]: show the end of a log after a failure.
tail_log() {
  [[ -f $1 ]] || { log "(no log at $1)"; return 0; }
  printf -- '----- last %s lines of %s -----\n' "${2:-40}" "$1" >&2
  tail -n "${2:-40}" "$1" >&2
  printf -- '----- end of %s -----\n' "$1" >&2
}

# ---- installs ------------------------------------------------------------------------------------------------------

_APT_UPDATED=
# apt_install PKG...: Debian packages, as root only; anyone else gets the command to run.
apt_install() {
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    die "missing $*: install it as root with: apt-get update && apt-get install -y $*"
  fi
  if [[ -z $_APT_UPDATED ]]; then
    log "apt-get update"
    apt-get update -qq >"$STATE_DIR/apt.log" 2>&1 || { tail_log "$STATE_DIR/apt.log"; die "apt-get update failed"; }
    _APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  # A package's own daemon (e.g. redis-server on 6379) must not be started by the install: these scripts start their
  # own throwaway instance. policy-rc.d answering 101 is Debian's switch for that; only while this install runs.
  local policy=/usr/sbin/policy-rc.d own_policy=
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1; fi
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >>"$STATE_DIR/apt.log" 2>&1 || rc=$?
  [[ -n $own_policy ]] && rm -f "$policy"
  ((rc == 0)) || { tail_log "$STATE_DIR/apt.log"; die "apt-get install -y $* failed"; }
}

# apt_has PKG: Debian offers PKG on this machine (refreshes the package lists first, as root).
apt_has() {
  command -v apt-cache >/dev/null || return 1
  if [[ $(id -u) == 0 && -z $_APT_UPDATED ]]; then apt-get update -qq >"$STATE_DIR/apt.log" 2>&1 && _APT_UPDATED=1; fi
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}

# ---- dispatcher ----------------------------------------------------------------------------------------------------

known_services() {
  local f n
  for f in "$SERVICES_DIR"/*.sh; do
    n=$(basename "$f" .sh)
    [[ $n == _* ]] || echo "$n"
  done
}

load_service() {
  local name=$1
  [[ $name =~ ^[a-z0-9_]+$ && -f $SERVICES_DIR/$name.sh ]] ||
    die "unknown service '$name' (known: $(known_services | paste -sd' '))"
  # shellcheck source=/dev/null
  source "$SERVICES_DIR/$name.sh"
}

# services_main up|down|status [name...]
services_main() {
  local cmd=$1 name names=() rc=0 t0
  shift
  mkdir -p "$STATE_DIR"
  if (($#)); then
    names=("$@")
  else
    for name in $(known_services); do
      load_service "$name"
      local default_var="${name}_default"
      if [[ $cmd != up || ${!default_var:-no} == yes ]]; then names+=("$name"); fi
    done
  fi
  for name in "${names[@]}"; do load_service "$name"; done

  # One up/down at a time per checkout; the fd is closed for the services themselves (see each start function).
  exec 9>"$STATE_DIR/.lock"
  if [[ $cmd != status ]] && ! flock -w 900 9; then die "another test/services/$cmd held $STATE_DIR/.lock for 15 min"; fi

  for name in "${names[@]}"; do
    case $cmd in
      up)
        if "${name}_status"; then
          "${name}_export"
          log "$name: already running and healthy, reused"
        else
          "${name}_stop" # clear a dead or unhealthy leftover first
          t0=$(now_ms)
          "${name}_start" # under set -e: any failing step ends `up` non-zero
          log "$name: up in $(fmt_ms $(($(now_ms) - t0))) (total, including any download)"
        fi
        ;;
      down) "${name}_stop" || rc=1 ;;
      status)
        if "${name}_status"; then echo "$name: running"; else echo "$name: stopped"; rc=1; fi
        ;;
    esac
  done
  if [[ $cmd == up && -f $ENV_FILE ]]; then log "addresses in ${ENV_FILE#"$REPO_ROOT"/}: $(tr '\n' ' ' <"$ENV_FILE")"; fi
  return $rc
}
