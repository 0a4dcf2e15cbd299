# Bulwark's image. Groundwork: proven under podman on the project's machine (test/deploy/README.md); the service
# still runs from TypeScript through tsx, to be switched to the compiled JavaScript.
#
# Base images are named fully qualified (docker.io/library/...): Docker resolves them the same, and podman then needs
# no short-name configuration.

# ---- manifests: only the package.json files, so the npm ci layer below is reused while only sources change ----------
FROM docker.io/library/node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -name package.json -not -path '*/node_modules/*' -exec cp --parents '{}' /tmp/ ';' \
 && mkdir /manifests && cp package-lock.json /manifests/ && cp -r /tmp/. /manifests/ \
 && find /manifests -type f | sort

# ---- build: dependencies (better-sqlite3's addon compiled here), then the sources ------------------------------------
FROM docker.io/library/node:20-bookworm-slim AS build
# python3, make and g++: node-gyp compiles better-sqlite3 when no prebuilt binary can be downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# node-gyp would fetch Node's headers from nodejs.org; the node image ships them in /usr/local/include/node.
ENV npm_config_nodedir=/usr/local \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN npm ci
COPY . .
# The compiled build goes here (tsc -b), then: RUN npm prune --omit=dev
RUN node -e "require('better-sqlite3')(':memory:').prepare('select 1 as one').get()" \
 && npm prune --omit=dev

# ---- runtime -------------------------------------------------------------------------------------------------------
FROM docker.io/library/node:20-bookworm-slim
# tini as PID 1: forwards SIGTERM to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/bulwark \
 && chown 1000:1000 /var/lib/bulwark
ENV NODE_ENV=production \
    BULWARK_DATA_DIR=/var/lib/bulwark \
    BULWARK_PORT=8080
WORKDIR /app
COPY --from=build /app /app
# Numeric, so Kubernetes' runAsNonRoot can verify it (the node image's user `node` is uid 1000).
USER 1000:1000
VOLUME /var/lib/bulwark
EXPOSE 8080
# node, not curl: the image has no curl. fetch is global in Node 20.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BULWARK_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-semi-space-size=32", "--import", "tsx", "services/all-in-one/src/main.ts"]
