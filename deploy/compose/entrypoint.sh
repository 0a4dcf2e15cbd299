#!/bin/sh
# The image's entrypoint (after tini): a service's name runs that service with the command line of its npm script
# (package.json), anything else runs as given (`node services/collector/dist/main.js`, `node packages/cli/bin/bulwark.mjs
# tokens list`, `sh`). exec: node replaces this shell, so tini's SIGTERM reaches node itself.
set -e
case "$1" in
  all-in-one | collector) exec node --max-semi-space-size=32 "services/$1/dist/main.js" ;;
  api | correlator | responder) exec node "services/$1/dist/main.js" ;;
  *) exec "$@" ;;
esac
