# shellcheck shell=bash
# Redis: one throwaway, memory-only server on loopback from Debian's redis-server package (installed with apt as root
# when missing). Exports REDIS_URL. Started by a bare `up`: the BullMQ bus suite (packages/bus) needs it.
#
# Knobs (environment):
#   REDIS_PORT   first port tried (default 6390; the next free one up to 6399 if busy)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
redis_default=yes

REDIS_MIN_MAJOR=6 # BullMQ wants Redis 6.2+; Debian 12 ships 7.0
_redis_pid="$STATE_DIR/redis.pid"
_redis_port="$STATE_DIR/redis.port"
_redis_log="$STATE_DIR/redis.log"

# _redis_ping PORT: the server on PORT answers PING with PONG (plain bash, no redis-cli needed).
_redis_ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ $reply == +PONG* ]]
  ) 2>/dev/null
}

redis_status() {
  pid_alive "$_redis_pid" && [[ -f $_redis_port ]] || return 1
  pid_cmdline_has "$(<"$_redis_pid")" redis-server && _redis_ping "$(<"$_redis_port")"
}

redis_export() { env_set REDIS_URL "redis://127.0.0.1:$(<"$_redis_port")"; }

redis_start() {
  local port data version t0 deadline
  command -v redis-server >/dev/null || apt_install redis-server
  command -v redis-server >/dev/null || die "redis-server is missing: as root, apt-get install -y redis-server"
  version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
  [[ ${version%%.*} -ge $REDIS_MIN_MAJOR ]] ||
    die "redis-server ${version:-?} is too old: Redis $REDIS_MIN_MAJOR+ needed (Debian 12: apt-get install -y redis-server)"

  port=$(free_port "${REDIS_PORT:-6390}" 6399) || die "no free port in ${REDIS_PORT:-6390}..6399 for Redis; set REDIS_PORT"
  data="$CACHE_DIR/redis-data-$port"
  rm -rf "$data"
  mkdir -p "$data"
  rm -f "$_redis_pid"
  echo "$port" >"$_redis_port"

  t0=$(now_ms)
  # Memory only (no RDB, no AOF); 9>&- : the daemon must not inherit the services lock.
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes --save '' --appendonly no \
    --daemonize yes --pidfile "$_redis_pid" --logfile "$_redis_log" --dir "$data" </dev/null 9>&- ||
    { tail_log "$_redis_log"; die "redis-server refused to start"; }

  deadline=$(($(now_ms) + 30000))
  until _redis_ping "$port"; do
    if (($(now_ms) > deadline)); then
      tail_log "$_redis_log"
      redis_stop >/dev/null 2>&1 || true
      die "Redis did not answer PING on port $port within 30s"
    fi
    sleep 0.1
  done
  redis_export
  log "redis: Redis $version ready at redis://127.0.0.1:$port in $(fmt_ms $(($(now_ms) - t0)))"
}

redis_stop() {
  local stopped=
  if pid_alive "$_redis_pid" && pid_cmdline_has "$(<"$_redis_pid")" redis-server; then
    stop_pid "$(<"$_redis_pid")" 10
    stopped=1
  fi
  rm -rf "$CACHE_DIR"/redis-data-*
  rm -f "$_redis_pid" "$_redis_port"
  env_unset REDIS_URL
  [[ -n $stopped ]] && log "redis: stopped, data removed"
  return 0
}
