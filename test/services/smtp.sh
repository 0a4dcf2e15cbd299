# shellcheck shell=bash
# SMTP: a real SMTP listener on loopback (test/services/smtp-listener.mjs, the `smtp-server` npm package from the
# repo's devDependencies) that accepts mail with AUTH PLAIN/LOGIN as the test user or without auth, and writes each
# message as an .eml file into a throwaway directory. Plain SMTP, no STARTTLS. Exports SMTP_HOST, SMTP_PORT, SMTP_USER,
# SMTP_PASSWORD (random per start) and SMTP_MAILDIR. Started by a bare `up`: the notify.email suite needs it.
#
# Knobs (environment):
#   SMTP_LISTEN_PORT   first port tried (default 2525; the next free one up to 2545 if busy)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
smtp_default=yes

_smtp_script="$SERVICES_DIR/smtp-listener.mjs"
_smtp_pid="$STATE_DIR/smtp.pid"
_smtp_port="$STATE_DIR/smtp.port"
_smtp_password="$STATE_DIR/smtp.password"
_smtp_log="$STATE_DIR/smtp.log"
_smtp_user=bulwark-test

# _smtp_greets PORT: the server on PORT sends our SMTP greeting (plain bash, no client needed).
_smtp_greets() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    IFS= read -r -t 2 reply <&3 || exit 1
    printf 'QUIT\r\n' >&3
    [[ $reply == 220*bulwark-test-smtp* ]]
  ) 2>/dev/null
}

smtp_status() {
  pid_alive "$_smtp_pid" && [[ -f $_smtp_port && -f $_smtp_password ]] || return 1
  pid_cmdline_has "$(<"$_smtp_pid")" "$_smtp_script" && _smtp_greets "$(<"$_smtp_port")"
}

smtp_export() {
  local port
  port=$(<"$_smtp_port")
  env_set SMTP_HOST 127.0.0.1
  env_set SMTP_PORT "$port"
  env_set SMTP_USER "$_smtp_user"
  env_set SMTP_PASSWORD "$(<"$_smtp_password")"
  env_set SMTP_MAILDIR "$CACHE_DIR/smtp-data-$port"
}

smtp_start() {
  local port maildir password t0 deadline
  command -v node >/dev/null || die "node is missing: Node 20+ is needed"
  [[ -d $REPO_ROOT/node_modules/smtp-server ]] || die "the smtp-server package is missing: run npm install at the repo root"

  port=$(free_port "${SMTP_LISTEN_PORT:-2525}" 2545) || die "no free port in ${SMTP_LISTEN_PORT:-2525}..2545 for SMTP; set SMTP_LISTEN_PORT"
  maildir="$CACHE_DIR/smtp-data-$port"
  rm -rf "$maildir"
  mkdir -p "$maildir"
  password=$(openssl rand -hex 16 2>/dev/null || od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && echo "$password" >"$_smtp_password")
  echo "$port" >"$_smtp_port"

  t0=$(now_ms)
  # The password reaches the listener through its environment, not its command line; 9>&- : the listener must not
  # inherit the services lock.
  (cd "$REPO_ROOT" && SMTP_LISTEN_PORT=$port SMTP_MAILDIR=$maildir SMTP_USER=$_smtp_user SMTP_PASSWORD=$password \
    exec setsid node "$_smtp_script" </dev/null >"$_smtp_log" 2>&1 9>&-) &
  echo $! >"$_smtp_pid"

  deadline=$(($(now_ms) + 15000))
  until _smtp_greets "$port"; do
    if ! pid_alive "$_smtp_pid" || (($(now_ms) > deadline)); then
      tail_log "$_smtp_log"
      smtp_stop >/dev/null 2>&1 || true
      die "the SMTP listener did not greet on port $port within 15 s"
    fi
    sleep 0.1
  done
  smtp_export
  log "smtp: listener ready at smtp://127.0.0.1:$port (mail to ${maildir#"$REPO_ROOT"/}) in $(fmt_ms $(($(now_ms) - t0)))"
}

smtp_stop() {
  local stopped=
  if pid_alive "$_smtp_pid" && pid_cmdline_has "$(<"$_smtp_pid")" "$_smtp_script"; then
    stop_pid "$(<"$_smtp_pid")" 10
    stopped=1
  fi
  rm -rf "$CACHE_DIR"/smtp-data-*
  rm -f "$_smtp_pid" "$_smtp_port" "$_smtp_password"
  local name
  for name in SMTP_HOST SMTP_PORT SMTP_USER SMTP_PASSWORD SMTP_MAILDIR; do env_unset "$name"; done
  [[ -n $stopped ]] && log "smtp: stopped, mail removed"
  return 0
}
