#!/usr/bin/env bash
# `npm run check:promtool`: Prometheus's own `promtool check rules` on deploy/prometheus/bulwark-alerts.yaml. promtool
# is built from the Go module proxy into test/.cache/bin the first time (a long build: 10–35 minutes on 2 cores), so
# this is not part of `npm test`; there, every expression is parsed with Prometheus's grammar and checked against a
# real /metrics (test/e2e/metrics-queries.test.ts) and the rules' shape against the Operator's CRD on a real API server.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=v0.316.0
bin="$PWD/test/.cache/bin"
if [[ ! -x "$bin/promtool" ]]; then
  command -v go >/dev/null || { echo "go is needed to build promtool (Go 1.26+)" >&2; exit 1; }
  echo "building promtool $version into $bin (once)…" >&2
  GOBIN="$bin" go install "github.com/prometheus/prometheus/cmd/promtool@$version"
fi
"$bin/promtool" check rules deploy/prometheus/bulwark-alerts.yaml
