# shellcheck shell=bash
# A real Kubernetes node for the test control plane (test/services/k8s.sh, started first if it is not running), on
# this machine: containerd + runc with the CNI bridge (host-local IPAM, portmap), a kubelet, kube-scheduler and
# kube-controller-manager from the same Go build as the test API server (test/k8s), and kube-router's NetworkPolicy
# firewall (iptables + ipset) so policies are enforced on packets. Pod images cannot be pulled: busybox-static is
# packed into local images (test/services/node/oci-image.py) and imported into containerd's k8s.io namespace; pods use
# `bulwark.test/busybox:1` with `imagePullPolicy: Never`. Everything stays on the bridge bwk0 (10.244.0.0/24); a chain
# of our own drops anything from the pod network to any other address, and a network namespace on the bridge
# (10.244.0.250, "the internet side") serves HTTP on 8080 and TCP 53 as a server outside the cluster would.
# Exports KUBE_NODE_NAME, KUBE_NODE_IMAGE, KUBE_NODE_INTERNET_IP, KUBE_NODE_API_URL (the API server as pods reach
# it), KUBE_NODE_PROBE (test/services/node/probe, built) and KUBE_NODE_NETNS (the internet side's namespace). Not a default service: `test/services/up node`.
# Details, and why kube-router rather than kube-network-policies: test/services/README.md ("The test node").

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
node_default=no

_node_dir="$STATE_DIR/node"
_node_cache="$CACHE_DIR/node"
_NODE_NAME=bulwark-node
_NODE_BRIDGE=bwk0
_NODE_GATEWAY=10.244.0.1
_NODE_CIDR=10.244.0.0/24
_NODE_INTERNET=10.244.0.250
_NODE_NETNS=bwk-internet
_NODE_IMAGE=bulwark.test/busybox:1
_NODE_PAUSE=bulwark.test/pause:1
_NODE_CHAIN=BULWARK-NODE
_NODE_KUBE_ROUTER=v2.1.0
# Stopped in this order (the reverse of start): nothing restarts what a later step removes.
_NODE_PROCS=(api-proxy internet kube-router kube-controller-manager kube-scheduler kubelet containerd)

# shellcheck source=node/setup.sh
source "$SERVICES_DIR/node/setup.sh"
# shellcheck source=node/components.sh
source "$SERVICES_DIR/node/components.sh"

node_status() {
  local p
  for p in "${_NODE_PROCS[@]}"; do pid_alive "$_node_dir/$p.pid" || return 1; done
  k8s_status 2>/dev/null || return 1
  _node_ready
}

node_export() {
  local API_URL
  API_URL=$(sed -n 's/^API_URL=//p' "$STATE_DIR/k8s/node-credentials")
  env_set KUBE_NODE_NAME "$_NODE_NAME"
  env_set KUBE_NODE_IMAGE "$_NODE_IMAGE"
  env_set KUBE_NODE_INTERNET_IP "$_NODE_INTERNET"
  env_set KUBE_NODE_API_URL "https://$_NODE_GATEWAY:${API_URL##*:}"
  env_set KUBE_NODE_PROBE "$(_node_probe_binary)"
  env_set KUBE_NODE_NETNS "$_NODE_NETNS"
}

node_start() {
  local t0 step
  [[ $(id -u) == 0 ]] || die "node: a kubelet, containerd and iptables need root; run test/services/up node as root"
  load_service k8s
  if ! k8s_status; then
    k8s_stop >/dev/null
    k8s_start
  fi
  t0=$(now_ms)
  _node_packages
  _node_kernel_checks
  rm -rf "$_node_dir"
  mkdir -p "$_node_dir"
  # shellcheck source=/dev/null
  source "$STATE_DIR/k8s/node-credentials" # NODE_TOKEN, SCHEDULER_TOKEN, KCM_TOKEN, SA_KEY, API_URL, API_CA, BINARY
  [[ $NODE_NAME == "$_NODE_NAME" ]] || die "node: the API server's node identity is $NODE_NAME, expected $_NODE_NAME"
  for step in _node_network _node_containerd _node_images _node_control_loops _node_kubelet _node_wait_ready _node_firewall _node_internet _node_api_proxy; do
    "$step"
  done
  node_export
  log "node: $_NODE_NAME Ready in $(fmt_ms $(($(now_ms) - t0))) (pods on $_NODE_CIDR, image $_NODE_IMAGE)"
}

node_stop() {
  local p pid stopped=
  # Pods first, while the kubelet still runs: their sandboxes, veths and IP leases go with them.
  if [[ -S $_node_dir/containerd.sock ]] && command -v crictl >/dev/null; then
    crictl --runtime-endpoint "unix://$_node_dir/containerd.sock" rmp -af >/dev/null 2>&1 || true
  fi
  for p in "${_NODE_PROCS[@]}"; do
    if pid_alive "$_node_dir/$p.pid"; then
      pid=$(<"$_node_dir/$p.pid")
      if pid_cmdline_has "$pid" "$_node_dir" || pid_cmdline_has "$pid" "$_node_cache"; then
        stop_pid "$pid" 20
        stopped=1
      fi
    fi
  done
  # Shims of containers still running (a kubelet killed before it stopped its pods) and the internet side's daemonised
  # server are children of nobody here.
  for pid in $(pids_with_cmdline "$_node_dir/"); do kill -KILL "$pid" 2>/dev/null || true; done
  _node_firewall_cleanup
  _node_network_cleanup
  if [[ -d $_node_dir ]]; then
    # Sandboxes leave their mounts (shm, rootfs overlays) behind when killed: unmount before removing the data.
    grep -o " $_node_dir[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$_node_dir"
  fi
  env_unset KUBE_NODE_NAME
  env_unset KUBE_NODE_IMAGE
  env_unset KUBE_NODE_INTERNET_IP
  env_unset KUBE_NODE_API_URL
  env_unset KUBE_NODE_PROBE
  env_unset KUBE_NODE_NETNS
  [[ -n $stopped ]] && log "node: stopped; pods, bridge, iptables/ipset state and data removed"
  return 0
}
