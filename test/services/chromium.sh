# shellcheck shell=bash
# Chromium for the console's browser tests (test/console): Debian's `chromium` package, installed with apt as root
# when missing, driven by the `playwright-core` npm package over CDP. Playwright's own browser download cannot work
# here (no host but the package registries is reachable), and a distribution package is also what a CI machine can
# install the same way. Nothing runs between tests: each test file launches its own headless browser, so "running"
# means "installed and able to start headless". Exports CHROMIUM_PATH.
#
# Knobs (environment):
#   CHROMIUM_PATH   use this binary instead of /usr/bin/chromium (it must start headless the same way)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
chromium_default=yes # a bare `up` (npm test, CI) installs it: the console suite needs it, a missing one fails

# Debian 12 ships 156 today; playwright-core speaks CDP to any recent Chromium, 120+ is what it has been run against.
CHROMIUM_MIN_MAJOR=120
_chromium_state="$STATE_DIR/chromium.path"
_chromium_log="$STATE_DIR/chromium.log"

_chromium_binary() { echo "${CHROMIUM_PATH:-/usr/bin/chromium}"; }

# _chromium_major BINARY: the major version `BINARY --version` reports ("Chromium 156.0.8078.129 built on Debian…").
_chromium_major() { "$1" --version 2>/dev/null | sed -n 's/^[^0-9]*\([0-9][0-9]*\)\..*/\1/p' | head -n 1; }

chromium_status() {
  local bin major
  [[ -f $_chromium_state ]] || return 1
  bin=$(<"$_chromium_state")
  [[ -x $bin ]] || return 1
  major=$(_chromium_major "$bin")
  [[ -n $major && $major -ge $CHROMIUM_MIN_MAJOR ]]
}

chromium_export() { env_set CHROMIUM_PATH "$(<"$_chromium_state")"; }

chromium_start() {
  local bin major t0
  bin=$(_chromium_binary)
  # fonts-liberation: the package only recommends a font, and a page screenshot without one is boxes.
  if [[ ! -x $bin ]]; then apt_install chromium fonts-liberation; fi
  [[ -x $bin ]] || die "no Chromium at $bin: as root, apt-get update && apt-get install -y chromium fonts-liberation (or set CHROMIUM_PATH)"
  major=$(_chromium_major "$bin")
  [[ -n $major && $major -ge $CHROMIUM_MIN_MAJOR ]] ||
    die "$bin reports '$("$bin" --version 2>&1 | head -n 1)': Chromium $CHROMIUM_MIN_MAJOR+ needed (Debian: apt-get install -y chromium)"

  # Prove it starts headless (shared libraries, fonts): print a page's DOM and exit. --no-sandbox: as root Chromium
  # refuses to start with its sandbox (it needs an unprivileged user); the suites launch it the same way.
  t0=$(now_ms)
  if ! timeout 60 "$bin" --headless --no-sandbox --disable-gpu --dump-dom 'data:text/html,<p>bulwark-chromium-ok</p>' \
    >"$_chromium_log" 2>&1 </dev/null 9>&-; then
    tail_log "$_chromium_log"
    die "$bin did not start headless (see the log above); reinstall with: apt-get install -y --reinstall chromium"
  fi
  grep -q bulwark-chromium-ok "$_chromium_log" || { tail_log "$_chromium_log"; die "$bin started but rendered nothing"; }
  echo "$bin" >"$_chromium_state"
  chromium_export
  log "chromium: Chromium $major at $bin starts headless ($(fmt_ms $(($(now_ms) - t0))))"
}

chromium_stop() {
  # Nothing runs between suites, and an installed package stays installed: only forget the address.
  rm -f "$_chromium_state"
  env_unset CHROMIUM_PATH
  return 0
}
