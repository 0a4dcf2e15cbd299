#!/bin/bash
# Entrypoint of the OpenSearch stand-in (see Containerfile): `opensearch` starts the node the way upstream's image
# does from the same environment; any other command runs as given.
set -euo pipefail
if [[ ${1:-} != opensearch ]]; then exec "$@"; fi
shift

# Upstream's heap default (config/jvm.options: -Xms1g -Xmx1g), then OPENSEARCH_JAVA_OPTS, whose last -Xm* wins.
read -r -a java_opts <<<"-Xms1g -Xmx1g ${OPENSEARCH_JAVA_OPTS:-}"
java_opts+=(-XX:+UseG1GC -Dfile.encoding=UTF-8 -Djava.awt.headless=true -Djava.io.tmpdir=/tmp
            --enable-native-access=ALL-UNNAMED)

# The launcher reads the dotted settings and DISABLE_SECURITY_PLUGIN from the environment itself (bash cannot see
# variables whose names hold dots); -Ename=value arguments work as with upstream's `opensearch` command.
exec java "${java_opts[@]}" -cp "$OPENSEARCH_HOME/lib/*:$OPENSEARCH_HOME/launcher" OpenSearchStandIn \
  -basePath "$OPENSEARCH_HOME/runner" -confPath "$OPENSEARCH_PATH_CONF" \
  -dataPath "$OPENSEARCH_HOME/data" -logsPath "$OPENSEARCH_HOME/logs" \
  -numOfNode 1 -baseHttpPort 9199 -clusterName docker-cluster "$@"
