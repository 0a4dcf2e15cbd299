# Bulwark's image: the compiled JavaScript (npm run build), production dependencies only, one image for every service.
#
#   docker run bulwark                      the all-in-one (`npm start`): embedded SQLite store in /var/lib/bulwark
#   docker run bulwark collector|api|correlator|responder     one scale-mode service (README "Scale mode")
#   docker run bulwark node services/collector/dist/main.js   the same, spelled out (what the Kubernetes manifests use)
#
# Non-root (uid 1000), read-only root filesystem friendly (writes only /var/lib/bulwark and /tmp), tini as PID 1 so
# SIGTERM reaches node, which drains within server.shutdown_timeout (README "Operations"). Base images are named fully
# qualified (docker.io/library/...): Docker resolves them the same, and podman needs no short-name configuration.

# ---- manifests: only the package.json files, so the dependency layer below is reused while only sources change ------
FROM docker.io/library/node:20-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -name package.json -not -path '*/node_modules/*' -exec cp --parents '{}' /tmp/ ';' \
 && mkdir /manifests && cp package-lock.json /manifests/ && cp -r /tmp/. /manifests/

# ---- build ---------------------------------------------------------------------------------------------------------
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
# `npm ci` is `npm ci --ignore-scripts` + the install scripts package.json allows (allowScripts: better-sqlite3 compiles
# its addon; esbuild is only for tsx, a dev tool) + our `prepare` (npm run build), split in
# two layers: the lockfile's dependencies (better-sqlite3's native addon takes minutes to compile) stay cached while
# only sources change, and `prepare` runs below once the sources are in.
RUN npm ci --ignore-scripts \
 && npm rebuild better-sqlite3
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"
# What runs, and nothing else: production node_modules (workspace packages are symlinks into packages/ and services/),
# each workspace's package.json and dist/, the CLI's bin, the console's browser bundle (packages/console/bundle, built
# by `npm run build`), the bundled rules and playbooks (found relative to the
# compiled modules: ../../../rules/ from packages/detection/dist), the compose helpers and the entrypoint.
RUN mkdir /out \
 && cp -a package.json node_modules rules playbooks /out/ \
 && for ws in packages/* services/*; do \
      mkdir -p "/out/$ws" && cp -a "$ws/package.json" "$ws/dist" "/out/$ws/"; \
      if [ -d "$ws/bin" ]; then cp -a "$ws/bin" "/out/$ws/"; fi; \
      if [ -d "$ws/bundle" ]; then cp -a "$ws/bundle" "/out/$ws/"; fi; \
    done \
 && mkdir -p /out/deploy && cp -a deploy/compose /out/deploy/ \
 && find /out -name '*.map' -delete

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
COPY --from=build /out/ /app/
# Numeric, so Kubernetes' runAsNonRoot can verify it (the node image's user `node` is uid 1000). /app stays root's:
# the service cannot rewrite its own code.
USER 1000:1000
VOLUME /var/lib/bulwark
EXPOSE 8080
# node, not curl: the image has no curl. fetch is global in Node 20.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.BULWARK_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/compose/entrypoint.sh"]
# `npm start`
CMD ["node", "--max-semi-space-size=32", "services/all-in-one/dist/main.js"]
