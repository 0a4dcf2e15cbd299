# shellcheck shell=bash
# The steps of test/services/node.sh (sourced by it; its variables are set there). Each step writes its config into
# $_node_dir and starts one process with its pid in $_node_dir/<name>.pid and its log in $_node_dir/<name>.log.

# Debian: containerd (CRI 1.6), runc, the CNI plugins, iptables + ipset (kube-router's firewall), conntrack (flushing
# connections), busybox-static (the pod image), iproute2 (the internet-side namespace).
_node_packages() {
  local missing=() cmd pkg
  for pair in containerd:containerd runc:runc ipset:ipset iptables:iptables conntrack:conntrack ip:iproute2 ctr:containerd; do
    cmd=${pair%%:*} pkg=${pair##*:}
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/portmap ]] || missing+=(containernetworking-plugins)
  [[ -x /bin/busybox ]] || missing+=(busybox-static)
  ((${#missing[@]} == 0)) || apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
  command -v go >/dev/null || die "node: Go is missing: kube-router is built from its Go module (Go 1.26+)"
}

# What the firewall needs from the kernel: bridged packets through iptables (br_netfilter), ipset, conntrack.
_node_kernel_checks() {
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] ||
    die "node: bridged pod traffic cannot reach iptables: the kernel has no br_netfilter (/proc/sys/net/bridge missing)"
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables || die "node: cannot set net.bridge.bridge-nf-call-iptables=1"
  echo 1 >/proc/sys/net/ipv4/ip_forward || die "node: cannot set net.ipv4.ip_forward=1"
  ipset list -n >/dev/null 2>&1 || die "node: ipset does not work here (kernel without ip_set?): $(ipset list -n 2>&1 | head -1)"
}

# The bridge exists before the kubelet starts: its gateway address is the node's InternalIP (the kubelet refuses a
# loopback node IP, and the API server reaches the kubelet there for logs and exec). Nothing from the pod network may
# leave the machine: a chain of ours drops it unless it stays on the bridge.
_node_network() {
  ip link show "$_NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$_NODE_BRIDGE" type bridge
  ip addr replace "$_NODE_GATEWAY/24" dev "$_NODE_BRIDGE"
  ip link set "$_NODE_BRIDGE" up
  iptables -w -N "$_NODE_CHAIN" 2>/dev/null || iptables -w -F "$_NODE_CHAIN"
  iptables -w -A "$_NODE_CHAIN" -s "$_NODE_CIDR" -d "$_NODE_CIDR" -j RETURN
  iptables -w -A "$_NODE_CHAIN" -s "$_NODE_CIDR" -j DROP
  iptables -w -C FORWARD -j "$_NODE_CHAIN" 2>/dev/null || iptables -w -I FORWARD 1 -j "$_NODE_CHAIN"
  mkdir -p "$_node_dir/cni"
  cat >"$_node_dir/cni/10-bulwark.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "bulwark-node",
  "plugins": [
    {"type": "bridge", "bridge": "$_NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$_node_dir/cni-ipam", "routes": [{"dst": "0.0.0.0/0"}],
              "ranges": [[{"subnet": "$_NODE_CIDR", "rangeStart": "10.244.0.10", "rangeEnd": "10.244.0.199", "gateway": "$_NODE_GATEWAY"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
}

_node_network_cleanup() {
  ip netns del "$_NODE_NETNS" 2>/dev/null || true
  ip link del "$_NODE_BRIDGE" 2>/dev/null || true
  if iptables -w -C FORWARD -j "$_NODE_CHAIN" 2>/dev/null; then iptables -w -D FORWARD -j "$_NODE_CHAIN"; fi
  iptables -w -F "$_NODE_CHAIN" 2>/dev/null || true
  iptables -w -X "$_NODE_CHAIN" 2>/dev/null || true
}

# _node_spawn NAME COMMAND...: start COMMAND in the background with its pid and log in the node's directory.
_node_spawn() {
  local name=$1
  shift
  "$@" </dev/null >"$_node_dir/$name.log" 2>&1 9>&- &
  echo $! >"$_node_dir/$name.pid"
}

# _node_wait WHAT SECONDS COMMAND...: until COMMAND succeeds; on timeout show the log of WHAT and fail.
_node_wait() {
  local what=$1 seconds=$2 deadline
  shift 2
  deadline=$(($(now_ms) + seconds * 1000))
  until "$@" >/dev/null 2>&1; do
    if (($(now_ms) > deadline)) || ! pid_alive "$_node_dir/$what.pid"; then
      tail_log "$_node_dir/$what.log"
      die "node: $what did not become ready within ${seconds}s"
    fi
    sleep 0.3
  done
}

# containerd with a configuration of its own (its root, state and socket under the node's directory): the CRI
# plugin's sandbox image is a local one; network namespaces are mounted under its state directory so `down` finds
# them; `restrict_oom_score_adj`: this machine's processes lack CAP_SYS_RESOURCE, and the CRI's sandbox asks for
# oom_score_adj -998 (runc then fails with "can't get final child's PID from pipe: EOF").
_node_containerd() {
  cat >"$_node_dir/containerd.toml" <<EOF
version = 2
root = "$_node_dir/containerd/root"
state = "$_node_dir/containerd/state"
[grpc]
  address = "$_node_dir/containerd.sock"
[ttrpc]
  address = "$_node_dir/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$_NODE_PAUSE"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$_node_dir/cni"
EOF
  _node_spawn containerd containerd --config "$_node_dir/containerd.toml"
  _node_wait containerd 30 ctr --address "$_node_dir/containerd.sock" version
}

# test/services/node/probe (a static Go program: connection probes in pods, the API server's proxy on the bridge),
# built once per source hash.
_node_probe_binary() {
  local src="$SERVICES_DIR/node/probe" bin
  bin="$_node_cache/bwk-probe-$(cat "$src/go.mod" "$src/main.go" | sha256sum | cut -c1-16)"
  if [[ ! -x $bin ]]; then
    mkdir -p "$_node_cache"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$bin.tmp" .) >&2 || die "node: building test/services/node/probe failed"
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

# The pod image and the sandbox ("pause") image, both busybox-static: built once per busybox binary (cached), then
# imported into the k8s.io namespace, where the CRI plugin looks.
_node_images() {
  local sum rootfs out applet probe
  probe=$(_node_probe_binary)
  sum=$( (sha256sum /bin/busybox "$probe"; cat "$SERVICES_DIR/node/oci-image.py") | sha256sum | cut -c1-16)
  out="$_node_cache/images-$sum"
  if [[ ! -f $out/busybox.tar || ! -f $out/pause.tar ]]; then
    rootfs=$(mktemp -d "$CACHE_DIR/node-rootfs.XXXXXX")
    mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/www" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev" "$out"
    cp /bin/busybox "$rootfs/bin/busybox"
    cp "$probe" "$rootfs/bin/bwk-probe"
    for applet in $(/bin/busybox --list); do [[ $applet == busybox ]] || ln -s busybox "$rootfs/bin/$applet"; done
    printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
    printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"
    echo ok >"$rootfs/www/index.html"
    python3 "$SERVICES_DIR/node/oci-image.py" "$rootfs" "$_NODE_IMAGE" "$out/busybox.tar"
    # The sandbox holds the pod's namespaces and does nothing else; it exits on SIGTERM as pause does.
    python3 "$SERVICES_DIR/node/oci-image.py" "$rootfs" "$_NODE_PAUSE" "$out/pause.tar" --cmd null \
      --entrypoint '["/bin/sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]'
    rm -rf "$rootfs"
  fi
  ctr --address "$_node_dir/containerd.sock" -n k8s.io images import "$out/busybox.tar" >/dev/null
  ctr --address "$_node_dir/containerd.sock" -n k8s.io images import "$out/pause.tar" >/dev/null
}
