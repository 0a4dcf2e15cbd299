# shellcheck shell=bash
# Elasticsearch: one real node on loopback, the server jar (org.elasticsearch:elasticsearch) and its HTTP transport
# (org.elasticsearch.plugin:transport-netty4) from Maven Central, started in-process by our own small launcher
# (elasticsearch/launcher, compiled with javac at first use). Exports ELASTICSEARCH_URL. Plain HTTP, no security, no
# x-pack. What Elasticsearch keeps in modules that are not on Maven Central is absent: GET / (rest-root), the
# _data_stream API and data stream lifecycle (data-streams), match_only_text (mapper-extras), painless, reindex and
# the aggregations module, most of analysis-common. The launcher adds test-harness stand-ins of its own (README.md
# beside this file, section "elasticsearch"): three analysis components, and DELETE /_data_stream for clean-up.
#
# Knobs (environment):
#   ELASTICSEARCH_VERSION        server version to fetch (default 8.17.2: the newest 8.17 whose transport-netty4 is
#                                published too)
#   ELASTICSEARCH_PORT           first HTTP port tried (default 9280; the next free one up to 9299 if busy)
#   ELASTICSEARCH_JAVA_HOME      JDK to compile and run it with (default: Temurin 25 if present, else the newest 17+)
#   ELASTICSEARCH_JAVA_OPTS      heap etc. (default "-Xms256m -Xmx512m")
#   ELASTICSEARCH_START_TIMEOUT  seconds to wait for yellow health (default 180)
#   ELASTICSEARCH_CDS            "off" to skip the class-data-sharing archive (Java 19+; written when a node exits)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
elasticsearch_default=yes

ELASTICSEARCH_VERSION=${ELASTICSEARCH_VERSION:-8.17.2}
ELASTICSEARCH_CLUSTER=bulwark-test-es
ELASTICSEARCH_MAIN=org.elasticsearch.node.BulwarkTestNode
ELASTICSEARCH_MAX_PORT=9299
_es_pid="$STATE_DIR/elasticsearch.pid"
_es_port="$STATE_DIR/elasticsearch.port"
_es_base="$STATE_DIR/elasticsearch.base"
_es_log="$STATE_DIR/elasticsearch.log"

# _es_healthy PORT: our cluster answers on PORT with yellow or green health.
_es_healthy() {
  local body
  body=$(curl -s -m 5 "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null) || return 1
  [[ $body == *"\"cluster_name\":\"$ELASTICSEARCH_CLUSTER\""* && $body == *'"timed_out":false'* &&
     $body =~ \"status\":\"(green|yellow)\" ]]
}

elasticsearch_status() {
  pid_alive "$_es_pid" && [[ -f $_es_port && -f $_es_base ]] || return 1
  pid_cmdline_has "$(<"$_es_pid")" "$(<"$_es_base")" && _es_healthy "$(<"$_es_port")"
}

elasticsearch_export() {
  local java
  env_set ELASTICSEARCH_URL "http://127.0.0.1:$(<"$_es_port")"
  # For suites that need a node of their own (one they stop and restart): the JDK and the classpath this node runs on.
  if java=$(_es_find_jdk 2>/dev/null); then
    env_set ELASTICSEARCH_JAVA "$java/bin/java"
    env_set ELASTICSEARCH_CLASSPATH "$(_es_launcher_jar):$CACHE_DIR/elasticsearch/$ELASTICSEARCH_VERSION/lib/*"
    # The shared node's class-data archive, which such a node maps read-only (same JDK and classpath: ~2x faster start).
    local cds="$CACHE_DIR/elasticsearch/$ELASTICSEARCH_VERSION/cds-java$(_es_java_major "$java/bin/java").jsa"
    if [[ -f $cds && ${ELASTICSEARCH_CDS:-on} != off ]]; then env_set ELASTICSEARCH_CDS_ARCHIVE "$cds"; else env_unset ELASTICSEARCH_CDS_ARCHIVE; fi
  fi
}

# _es_java_major JAVA_BIN: 25 for "25.0.3", 17 for "17.0.15".
_es_java_major() { "$1" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1; }

# _es_find_jdk: print the home of a JDK 17+ with javac and jar (the launcher is compiled at first use). Temurin 25 first: on
# Java 19+ the JVM can map the loaded classes from a class-data archive, and Lucene uses its memory-segment I/O on 21+.
_es_find_jdk() {
  local cand home major seen=()
  if [[ -n ${ELASTICSEARCH_JAVA_HOME:-} ]]; then
    major=$(_es_java_major "$ELASTICSEARCH_JAVA_HOME/bin/java" 2>/dev/null || true)
    [[ ${major:-0} -ge 17 && -x $ELASTICSEARCH_JAVA_HOME/bin/javac ]] && { echo "$ELASTICSEARCH_JAVA_HOME"; return 0; }
    die "ELASTICSEARCH_JAVA_HOME=$ELASTICSEARCH_JAVA_HOME is not a JDK 17+ with javac (java: ${major:-none})"
  fi
  for cand in /usr/lib/jvm/temurin-25-jdk-amd64 ${JAVA_HOME:+"$JAVA_HOME"} $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    home=${cand%/}
    [[ -x $home/bin/java ]] || continue
    major=$(_es_java_major "$home/bin/java" || true)
    seen+=("$home=${major:-?}$([[ -x $home/bin/javac ]] || echo ',no javac')")
    [[ ${major:-0} -ge 17 && -x $home/bin/javac && -x $home/bin/jar ]] && { echo "$home"; return 0; }
  done
  die "the Elasticsearch test node needs a JDK 17+ with javac, found none (${seen[*]:-no java at all}).
  Get one of:
    - Eclipse Temurin 25 JDK unpacked at /usr/lib/jvm/temurin-25-jdk-amd64 (this project's machine image ships it),
      or any JDK 17+ with ELASTICSEARCH_JAVA_HOME=/path/to/jdk;
    - on Debian as root: apt-get install -y openjdk-17-jdk-headless"
}

# _es_fetch VERSION: print the folder holding the server's and transport's jars, resolving them with Maven on first use.
_es_fetch() {
  local version=$1 dir="$CACHE_DIR/elasticsearch/$1" tmp
  if [[ -f $dir/lib/.complete ]]; then echo "$dir/lib"; return 0; fi
  command -v mvn >/dev/null || apt_install maven >&2
  command -v mvn >/dev/null || die "Maven is missing: install Apache Maven 3.6+ (Debian: apt-get install -y maven)"
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/lib.tmp.XXXXXX")
  log "elasticsearch: fetching org.elasticsearch:elasticsearch $version and transport-netty4 with Maven (first use only)"
  if ! mvn -B -q -f "$SERVICES_DIR/elasticsearch/pom.xml" "-Delasticsearch.version=$version" \
       dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp" \
       >"$STATE_DIR/elasticsearch-fetch.log" 2>&1 ||
     [[ ! -f $tmp/elasticsearch-$version.jar || ! -f $tmp/transport-netty4-$version.jar ]]; then
    rm -rf "$tmp"
    tail_log "$STATE_DIR/elasticsearch-fetch.log" 25
    die "Maven could not fetch org.elasticsearch:elasticsearch:$version and org.elasticsearch.plugin:transport-netty4:$version
  from Maven Central. Check that Maven reaches Maven Central (network, proxy, mirrors in ~/.m2/settings.xml) and that
  both are published in this version (transport-netty4 is not published for every server release); pick another with
  ELASTICSEARCH_VERSION=<version>."
  fi
  touch "$tmp/.complete"
  rm -rf "${dir:?}/lib"
  mv "$tmp" "$dir/lib"
  echo "$dir/lib"
}

# _es_launcher_jar: the launcher for this version and these sources (a new hash recompiles). A jar, not a folder of
# classes: the JVM's class-data sharing refuses a classpath with a non-empty directory in it.
_es_launcher_jar() {
  local hash
  hash=$( (echo "$ELASTICSEARCH_VERSION"; find "$SERVICES_DIR/elasticsearch/launcher" -name '*.java' -type f | sort | xargs cat) |
    sha256sum | cut -c1-16)
  echo "$CACHE_DIR/elasticsearch/$ELASTICSEARCH_VERSION/launcher-$hash.jar"
}

# _es_compile JDK LIB: compile the launcher against the jars unless its jar for these sources exists.
_es_compile() {
  local jdk=$1 lib=$2 jar tmp
  jar=$(_es_launcher_jar)
  if [[ -f $jar ]]; then echo "$jar"; return 0; fi
  tmp=$(mktemp -d "$(dirname "$jar")/launcher.tmp.XXXXXX")
  # --release 17: the classes run on any JDK the server supports, whichever compiled them.
  if ! "$jdk/bin/javac" -nowarn --release 17 -d "$tmp/classes" -cp "$lib/*" \
       $(find "$SERVICES_DIR/elasticsearch/launcher" -name '*.java' -type f | sort) >"$STATE_DIR/elasticsearch-javac.log" 2>&1 ||
     ! "$jdk/bin/jar" --create --file "$tmp/launcher.jar" -C "$tmp/classes" . >>"$STATE_DIR/elasticsearch-javac.log" 2>&1; then
    rm -rf "$tmp"
    tail_log "$STATE_DIR/elasticsearch-javac.log" 30
    die "the Elasticsearch test launcher did not compile against Elasticsearch $ELASTICSEARCH_VERSION (its internal
  node-construction API changes between versions; 8.17.x is the one pinned and known to work)"
  fi
  rm -f "$(dirname "$jar")"/launcher-*.jar
  mv "$tmp/launcher.jar" "$jar"
  rm -rf "$tmp"
  echo "$jar"
}

elasticsearch_start() {
  local jdk java jmajor lib launcher port base pid t0
  command -v curl >/dev/null || apt_install curl
  jdk=$(_es_find_jdk) || exit 1
  java="$jdk/bin/java"
  jmajor=$(_es_java_major "$java")

  t0=$(now_ms)
  lib=$(_es_fetch "$ELASTICSEARCH_VERSION") || exit 1
  launcher=$(_es_compile "$jdk" "$lib") || exit 1
  log "elasticsearch: jars and launcher ready in $(fmt_ms $(($(now_ms) - t0))) ($(ls "$lib" | wc -l) jars in ${lib#"$REPO_ROOT"/})"

  port=$(free_port "${ELASTICSEARCH_PORT:-9280}" "$ELASTICSEARCH_MAX_PORT") ||
    die "no free port in ${ELASTICSEARCH_PORT:-9280}..$ELASTICSEARCH_MAX_PORT for Elasticsearch; set ELASTICSEARCH_PORT"
  base="$CACHE_DIR/elasticsearch-data-$port"
  rm -rf "$base"
  mkdir -p "$base/tmp"

  local -a opts
  read -r -a opts <<<"${ELASTICSEARCH_JAVA_OPTS:--Xms256m -Xmx512m}"
  opts+=(-XX:+UseG1GC -Dfile.encoding=UTF-8 -Djava.awt.headless=true "-Djava.io.tmpdir=$base/tmp"
         -Dlog4j2.formatMsgNoLookups=true -Des.networkaddress.cache.ttl=60)
  [[ $jmajor -ge 21 ]] && opts+=(--enable-native-access=ALL-UNNAMED)
  if [[ $jmajor -ge 19 && ${ELASTICSEARCH_CDS:-on} != off ]]; then
    opts+=(-XX:+AutoCreateSharedArchive "-XX:SharedArchiveFile=${lib%/lib}/cds-java$jmajor.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
  fi

  t0=$(now_ms)
  # setsid: the node outlives this script and a Ctrl-C in the terminal; 9>&- : it must not inherit the services lock.
  setsid "$java" "${opts[@]}" -cp "$launcher:$lib/*" "$ELASTICSEARCH_MAIN" "$base" "$port" "$ELASTICSEARCH_CLUSTER" \
    </dev/null >"$_es_log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$_es_pid"
  echo "$port" >"$_es_port"
  echo "$base" >"$_es_base"

  local deadline=$(($(now_ms) + ${ELASTICSEARCH_START_TIMEOUT:-180} * 1000))
  until _es_healthy "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail_log "$_es_log"
      elasticsearch_stop >/dev/null 2>&1 || true
      die "Elasticsearch exited during start-up (Java $jmajor at $java); full log: ${_es_log#"$REPO_ROOT"/}"
    fi
    if (($(now_ms) > deadline)); then
      tail_log "$_es_log"
      elasticsearch_stop >/dev/null 2>&1 || true
      die "Elasticsearch was not yellow on port $port after ${ELASTICSEARCH_START_TIMEOUT:-180}s (ELASTICSEARCH_START_TIMEOUT)"
    fi
    sleep 0.25
  done
  elasticsearch_export
  log "elasticsearch: Elasticsearch $ELASTICSEARCH_VERSION (Java $jmajor) ready at http://127.0.0.1:$port" \
      "in $(fmt_ms $(($(now_ms) - t0))) (JVM start to yellow health)"
}

elasticsearch_stop() {
  local pid stopped=
  if [[ -f $_es_pid ]]; then
    pid=$(<"$_es_pid")
    if pid_alive "$_es_pid" && [[ -f $_es_base ]] && pid_cmdline_has "$pid" "$(<"$_es_base")"; then
      stop_pid "$pid" 30
      stopped=1
    fi
  fi
  # Nodes left behind when test/.cache/services was deleted under them: matched by this checkout's data path only.
  for pid in $(pids_with_cmdline "$CACHE_DIR/elasticsearch-data-"); do
    pid_cmdline_has "$pid" "$ELASTICSEARCH_MAIN" || continue
    stop_pid "$pid" 30
    stopped=1
  done
  rm -rf "$CACHE_DIR"/elasticsearch-data-*
  rm -f "$_es_pid" "$_es_port" "$_es_base"
  env_unset ELASTICSEARCH_URL
  env_unset ELASTICSEARCH_JAVA
  env_unset ELASTICSEARCH_CLASSPATH
  env_unset ELASTICSEARCH_CDS_ARCHIVE
  [[ -n $stopped ]] && log "elasticsearch: stopped, data removed"
  return 0
}
