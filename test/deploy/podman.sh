#!/usr/bin/env bash
# Makes podman usable on this machine and proves it: installs the Debian packages, writes the project's own
# containers.conf (test/.cache/deploy/containers.conf, read through CONTAINERS_CONF: /etc is left alone), then runs a
# throwaway container on the CNI bridge with a port published on loopback. Idempotent; run as root.
#
#   test/deploy/podman.sh            install what is missing, write the config, check
#   test/deploy/podman.sh --check    check only (no install); exit 1 with the fix when something is missing
#
# Other scripts source test/deploy/_lib.sh, which exports the same CONTAINERS_CONF: a plain `podman ...` in a shell
# needs `export CONTAINERS_CONF=$PWD/test/.cache/deploy/containers.conf` first (see test/deploy/README.md for why).
set -euo pipefail
# shellcheck source=test/deploy/_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"

# podman: engine; runc: the OCI runtime used instead of crun (see write_containers_conf); containernetworking-plugins:
# the CNI bridge and portmap plugins podman 4.3 uses; ...-dnsname: service names resolve on a compose network (CNI has
# no DNS of its own); iptables: what portmap and firewall program; debootstrap: the base root filesystem;
# busybox-static: the one-file image this check runs. (Compose: test/deploy/compose.sh.)
PACKAGES=(podman runc containernetworking-plugins golang-github-containernetworking-plugin-dnsname iptables debootstrap
          busybox-static)
CHECK_IMAGE=localhost/bulwark-podman-check:1

check_only=
[[ ${1:-} == --check ]] && check_only=1

# write_containers_conf: the engine settings this machine needs, each for a reason podman cannot find out itself.
write_containers_conf() {
  local nofile nproc pid_max
  # Rootful podman asks for nofile=1048576 and nproc=4194304 by default, but this machine's processes lack
  # CAP_SYS_RESOURCE and cannot raise a hard limit ("setrlimit RLIMIT_NOFILE: Operation not permitted"). Stay at the
  # machine's hard limits. nproc: conmon here runs with a hard limit of kernel.pid_max (32768), lower than the
  # shell's; anything above it fails the same way.
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)
  [[ $nofile == unlimited ]] && nofile=1048576
  [[ $nproc == unlimited || $nproc -gt $pid_max ]] && nproc=$pid_max
  mkdir -p "$DEPLOY_CACHE"
  cat >"$CONTAINERS_CONF.tmp" <<EOF
# Written by test/deploy/podman.sh for this machine; read by podman through CONTAINERS_CONF. Regenerated on each run.
[containers]
# The machine's hard limits (podman's rootful defaults are higher and cannot be set without CAP_SYS_RESOURCE).
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
# crun 1.8 refuses this machine's cgroup layout: v1 controllers plus a cgroup2 mount with hugetlb enabled
# ("cgroups in hybrid mode not supported"); runc runs containers on it.
runtime = "runc"
cgroup_manager = "cgroupfs"
# No systemd here (PID 1 is the VM's init): no journald events, no systemd timers for healthchecks
# (test/deploy/health-ticker.sh runs them instead).
events_logger = "file"

[network]
network_backend = "cni"
EOF
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
}

# check_image: a one-file image (busybox-static) so this check needs no base image and no registry.
check_image() {
  podman image exists "$CHECK_IMAGE" && return 0
  local dir
  dir=$(mktemp -d "$DEPLOY_CACHE/check-rootfs.XXXXXX")
  mkdir -p "$dir/bin" "$dir/www"
  cp /bin/busybox "$dir/bin/busybox"
  ln -s busybox "$dir/bin/sh"
  echo ok >"$dir/www/index.html"
  tar -C "$dir" -c . | podman import --change 'CMD ["/bin/sh"]' - "$CHECK_IMAGE" >/dev/null 2>&1
  rm -rf "$dir"
}

check_podman() {
  local fix="run test/deploy/podman.sh as root (installs: ${PACKAGES[*]})"
  command -v podman >/dev/null || die "podman is not installed: $fix"
  command -v runc >/dev/null || die "runc is not installed: $fix"
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/portmap ]] || die "CNI plugins missing in /usr/lib/cni: $fix"
  [[ -x /bin/busybox ]] || die "busybox-static is not installed: $fix"
  [[ -f $CONTAINERS_CONF ]] || die "no $CONTAINERS_CONF: $fix"

  local out port t0
  t0=$(now_ms)
  check_image
  # 1. a container starts within the machine's limits and gets an address on the CNI bridge.
  if ! out=$(podman run --rm --pull=never "$CHECK_IMAGE" /bin/busybox sh -c \
        'echo limits $(/bin/busybox sh -c "ulimit -n"); /bin/busybox ip -4 -o addr show eth0' 2>&1); then
    die "podman run failed: $out
  Seen here: 'setrlimit ... Operation not permitted' = default_ulimits above the hard limits (ulimit -Hn / -Hu);
  'cgroups in hybrid mode not supported' = crun instead of runc; CNI errors = containernetworking-plugins/iptables
  missing. Re-run test/deploy/podman.sh as root; its containers.conf is $CONTAINERS_CONF."
  fi
  [[ $out == *"inet "* ]] || die "the container got no IPv4 address on the CNI bridge (podman network 'podman'): $out"
  log "podman run: ok ($(tr '\n' ' ' <<<"$out"| sed 's/  */ /g'))"

  # 2. a port published on loopback reaches a server in the container (what the compose tests rely on).
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  podman rm -f -t0 bulwark-podman-check >/dev/null 2>&1 || true
  podman run -d --rm --pull=never --name bulwark-podman-check -p "127.0.0.1:$port:8080" "$CHECK_IMAGE" \
    /bin/busybox httpd -f -p 8080 -h /www >/dev/null
  local i body=
  for ((i = 0; i < 50; i++)); do
    body=$(curl -fs -m 2 "http://127.0.0.1:$port/" 2>/dev/null) && break
    sleep 0.2
  done
  podman rm -f -t0 bulwark-podman-check >/dev/null 2>&1 || true
  [[ $body == ok ]] || die "a port published on 127.0.0.1:$port did not reach the container (CNI portmap/iptables):
  check 'iptables -t nat -S' works and containernetworking-plugins is installed"
  log "podman port publish on 127.0.0.1: ok; checks took $(fmt_ms $(($(now_ms) - t0)))"
}

need_root "$@"
if [[ -z $check_only ]]; then
  apt_install "${PACKAGES[@]}"
  write_containers_conf
fi
check_podman
log "podman $(podman --version | awk '{print $3}') ready; CONTAINERS_CONF=$CONTAINERS_CONF"
