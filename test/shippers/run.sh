#!/usr/bin/env bash
# `npm run test:shippers` (and .ci/run): the shipper conformance suite. Real shippers against the real `npm start`:
#   rsyslog + omelasticsearch   Debian packages (rsyslog, rsyslog-elasticsearch), installed with apt; its daemon is
#                               never started: each test runs its own rsyslogd with a private config and pid file
#   syslog-ng elasticsearch-http  Debian packages that conflict with rsyslog, so `apt-get download` + `dpkg -x` into
#                               test/.cache/shippers/syslog-ng/<version>/ and run from there
#   elasticsearch-py, opensearch-py  PyPI, in a venv under test/.cache/shippers/ (test/shippers/python/requirements.txt)
#   go-elasticsearch BulkIndexer  test/shippers/go-bulk/ built with the machine's Go, cached by source hash
#   OpenTelemetry Collector      test/shippers/otelcol/ (the Collector's modules: OTLP in, otlphttp out), likewise
# then every test/shippers/*.shipper.ts, one file at a time (extra arguments filter the files by substring). Every
# missing piece fails with a message saying how to get it; nothing is skipped. Run as root (apt).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE=$ROOT/test/.cache/shippers   # gitignored (test/.cache/)
mkdir -p "$CACHE"

log() { printf '[shippers] %s\n' "$*" >&2; }
die() { printf '[shippers] ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
tail_log() { [[ -f $1 ]] && { printf -- '----- last lines of %s -----\n' "$1" >&2; tail -n 30 "$1" >&2; }; return 0; }

[[ $(id -u) == 0 ]] || die "run as root: the suite installs Debian packages with apt-get. Try: sudo $0 $*"
[[ -d node_modules/tsx ]] || die "no node_modules: run npm install (or npm ci) first"
command -v go >/dev/null || die "no go on PATH: the go-elasticsearch shipper is built from test/shippers/go-bulk (install Go ≥ 1.26 from go.dev/dl)"
t_all=$(now_ms)

# apt_install PKG...: the missing Debian packages; policy-rc.d answering 101 keeps an install from starting a daemon.
_apt_updated=
apt_install() {
  local missing=() p policy=/usr/sbin/policy-rc.d own_policy='' rc=0
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "missing Debian packages ${missing[*]} and no apt-get on this machine"
  if [[ -z $_apt_updated ]]; then
    apt-get update -qq >"$CACHE/apt.log" 2>&1 || { tail_log "$CACHE/apt.log"; die "apt-get update failed: check /etc/apt/sources.list*"; }
    _apt_updated=1
  fi
  log "apt-get install -y ${missing[*]}"
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$CACHE/apt.log" 2>&1 || rc=$?
  [[ -n $own_policy ]] && rm -f "$policy"
  ((rc == 0)) || { tail_log "$CACHE/apt.log"; die "apt-get install -y ${missing[*]} failed (log above)"; }
}

# rsyslog, and the libraries the unpacked syslog-ng links against (its own packages are not installed).
apt_install rsyslog rsyslog-elasticsearch python3-venv libivykis0 libnet1 libpcre3 libwrap0 libcurl4 libjson-c5 libglib2.0-0
export SHIPPERS_RSYSLOGD=/usr/sbin/rsyslogd
[[ -n $(find /usr/lib -name omelasticsearch.so -print -quit) ]] ||
  die "rsyslog's omelasticsearch module is missing: apt-get install rsyslog-elasticsearch"

sng_version=$(apt-cache show --no-all-versions syslog-ng-core 2>/dev/null | sed -n 's/^Version: //p' | head -1)
[[ -n $sng_version ]] || { apt-get update -qq >>"$CACHE/apt.log" 2>&1; sng_version=$(apt-cache show --no-all-versions syslog-ng-core | sed -n 's/^Version: //p' | head -1); }
[[ -n $sng_version ]] || die "apt knows no syslog-ng-core package: add Debian's main archive to /etc/apt/sources.list"
SNG_ROOT=$CACHE/syslog-ng/$sng_version
if [[ ! -x $SNG_ROOT/usr/sbin/syslog-ng ]]; then
  log "syslog-ng $sng_version: apt-get download + dpkg -x into $SNG_ROOT"
  rm -rf "$SNG_ROOT" "$CACHE/debs" && mkdir -p "$CACHE/debs" "$SNG_ROOT"
  # apt-get warns that the download runs unsandboxed (the _apt user cannot write here): harmless for a download.
  (cd "$CACHE/debs" && apt-get download syslog-ng-core syslog-ng-mod-http syslog-ng-scl >>"$CACHE/apt.log" 2>&1) ||
    { tail_log "$CACHE/apt.log"; die "apt-get download syslog-ng-core syslog-ng-mod-http syslog-ng-scl failed (log above)"; }
  for deb in "$CACHE"/debs/*.deb; do dpkg -x "$deb" "$SNG_ROOT"; done
fi
export SHIPPERS_SYSLOG_NG_ROOT=$SNG_ROOT
LD_LIBRARY_PATH=$SNG_ROOT/usr/lib/syslog-ng "$SNG_ROOT/usr/sbin/syslog-ng" --version >/dev/null 2>&1 ||
  die "the unpacked syslog-ng does not run (a library missing? try: LD_LIBRARY_PATH=$SNG_ROOT/usr/lib/syslog-ng ldd $SNG_ROOT/usr/sbin/syslog-ng)"

# Debian's python3 (not a pyenv shim): its venv module comes from the python3-venv package installed above.
req=test/shippers/python/requirements.txt
VENV=$CACHE/venv
if [[ ! -f $VENV/.requirements ]] || ! cmp -s "$req" "$VENV/.requirements"; then
  log "python venv with $(grep -v '^#' "$req" | tr '\n' ' ')"
  rm -rf "$VENV"
  /usr/bin/python3 -m venv "$VENV" || die "python3 -m venv failed: apt-get install python3-venv"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req" >"$CACHE/pip.log" 2>&1 ||
    { tail_log "$CACHE/pip.log"; die "pip install -r $req failed (log above): is PyPI reachable?"; }
  cp "$req" "$VENV/.requirements"
fi
export SHIPPERS_PYTHON=$VENV/bin/python

# The Go shipper, rebuilt only when its source changes.
go_hash=$(cat test/shippers/go-bulk/go.mod test/shippers/go-bulk/go.sum test/shippers/go-bulk/*.go | sha256sum | cut -c1-16)
GO_BULK=$CACHE/go-bulk/$go_hash/go-bulk
if [[ ! -x $GO_BULK ]]; then
  log "building test/shippers/go-bulk (go-elasticsearch) into $GO_BULK"
  mkdir -p "$(dirname "$GO_BULK")"
  (cd test/shippers/go-bulk && nice -n 10 go build -o "$GO_BULK" .) >"$CACHE/go-build.log" 2>&1 ||
    { tail_log "$CACHE/go-build.log"; die "go build of test/shippers/go-bulk failed (log above): is the Go module proxy reachable?"; }
fi
export SHIPPERS_GO_BULK=$GO_BULK

# The OpenTelemetry Collector from its own modules (OTLP receiver, batch, otlphttp exporter), likewise cached.
otel_hash=$(cat test/shippers/otelcol/go.mod test/shippers/otelcol/go.sum test/shippers/otelcol/*.go | sha256sum | cut -c1-16)
OTELCOL=$CACHE/otelcol/$otel_hash/otelcol
if [[ ! -x $OTELCOL ]]; then
  log "building test/shippers/otelcol (OpenTelemetry Collector v0.165.0 modules) into $OTELCOL: a few minutes the first time"
  mkdir -p "$(dirname "$OTELCOL")"
  (cd test/shippers/otelcol && nice -n 10 go build -trimpath -o "$OTELCOL" .) >"$CACHE/otelcol-build.log" 2>&1 ||
    { tail_log "$CACHE/otelcol-build.log"; die "go build of test/shippers/otelcol failed (log above): is the Go module proxy reachable?"; }
fi
export SHIPPERS_OTELCOL=$OTELCOL
log "shippers ready in $(( ($(now_ms) - t_all) / 1000 ))s"

# Bulwark runs compiled in these tests, as `npm start` does.
nice -n 10 npx tsc -b
files=()
for f in test/shippers/*.shipper.ts; do
  if (($# == 0)); then files+=("$f"); else for filter in "$@"; do [[ $f == *"$filter"* ]] && files+=("$f") && break; done; fi
done
((${#files[@]} > 0)) || die "no test/shippers file matches: $*"
t0=$(now_ms)
node --test --test-concurrency=1 --test-reporter=spec --conditions=source --import tsx "${files[@]}"
log "test:shippers in $(( ($(now_ms) - t_all) / 1000 ))s (tests $(( ($(now_ms) - t0) / 1000 ))s)"
