#!/usr/bin/env bash
# `npm run test:node`: the containment suite on a real Kubernetes node (test/services/node.sh), outside `npm test`
# because the node's first build and start take minutes. Starts the test API server and the node, runs every
# test/node/*.node.ts file one at a time (the quarantine file holds the audit webhook's port), then removes the node
# (and the API server, when this run started it). Extra arguments filter the files by substring.
set -euo pipefail
cd "$(dirname "$0")/../.."

k8s_was_up=
test/services/status k8s >/dev/null 2>&1 && k8s_was_up=1
cleanup() {
  test/services/down node || true
  if [[ -z $k8s_was_up ]]; then test/services/down k8s || true; fi
}
trap cleanup EXIT

test/services/up k8s node
# Bulwark runs compiled in these tests, as `npm start` does.
npx tsc -b
files=()
for f in test/node/*.node.ts; do
  if (($# == 0)); then files+=("$f"); else for filter in "$@"; do [[ $f == *"$filter"* ]] && files+=("$f") && break; done; fi
done
((${#files[@]} > 0)) || { echo "no test/node file matches: $*" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
source test/.services.env
set +a
node --test --test-concurrency=1 --test-reporter=spec --conditions=source --import tsx "${files[@]}"
