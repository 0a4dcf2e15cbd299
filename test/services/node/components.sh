# _node_kubeconfig FILE TOKEN: a kubeconfig for one component's identity (tokens from test/services/k8s.sh).
_node_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: test, cluster: {server: "$API_URL", certificate-authority: "$API_CA"}}]
users: [{name: component, user: {token: "$2"}}]
contexts: [{name: test, context: {cluster: test, user: component}}]
current-context: test
EOF
}

# Scheduling and the controllers a node's workloads need (ReplicaSets, disruption budgets, garbage collection, service
# account tokens); each controller under its own service account, as the default RBAC expects. The ClusterTrustBundle
# publisher is off: the test API server's serving certificate is self-signed, not a CA.
_node_control_loops() {
  _node_kubeconfig "$_node_dir/scheduler.kubeconfig" "$SCHEDULER_TOKEN"
  _node_kubeconfig "$_node_dir/kcm.kubeconfig" "$KCM_TOKEN"
  _node_spawn kube-scheduler "$BINARY" kube-scheduler --kubeconfig="$_node_dir/scheduler.kubeconfig" \
    --authentication-kubeconfig="$_node_dir/scheduler.kubeconfig" --authorization-kubeconfig="$_node_dir/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0
  _node_spawn kube-controller-manager "$BINARY" kube-controller-manager --kubeconfig="$_node_dir/kcm.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --use-service-account-credentials=true \
    --service-account-private-key-file="$SA_KEY" --root-ca-file="$API_CA" --allocate-node-cidrs=false \
    --controllers='*,-kube-apiserver-serving-clustertrustbundle-publisher-controller'
}

# The kubelet, as the node identity the Node authorizer admits (system:node:bulwark-node). On this machine: cgroup v1
# controllers (so `failCgroupV1: false` and the cgroupfs driver), swap allowed, no disk-pressure eviction (cadvisor
# cannot size the VM's disk here), its API on the bridge address with anonymous access for the API server's log and
# exec calls (the test API server has no kubelet client certificate; the bridge is not reachable from elsewhere).
_node_kubelet() {
  local port
  port=$(free_port 10250 10270) || die "node: no free port in 10250..10270 for the kubelet"
  mkdir -p "$_node_dir/pki" "$_node_dir/kubelet"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$_NODE_NAME" -addext "subjectAltName=IP:$_NODE_GATEWAY" \
    -keyout "$_node_dir/pki/kubelet.key" -out "$_node_dir/pki/kubelet.crt" 2>/dev/null || die "node: openssl could not make the kubelet certificate"
  _node_kubeconfig "$_node_dir/kubelet.kubeconfig" "$NODE_TOKEN"
  # A node object left by an earlier run would read Ready before this kubelet said anything.
  _node_api DELETE "/api/v1/nodes/$_NODE_NAME" || true
  cat >"$_node_dir/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $_NODE_GATEWAY
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 0
tlsCertFile: $_node_dir/pki/kubelet.crt
tlsPrivateKeyFile: $_node_dir/pki/kubelet.key
authentication: {anonymous: {enabled: true}, webhook: {enabled: false}}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$_node_dir/containerd.sock
imageServiceEndpoint: unix://$_node_dir/containerd.sock
resolvConf: ""
evictionHard: {memory.available: "100Mi", nodefs.available: "0%", imagefs.available: "0%", nodefs.inodesFree: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
localStorageCapacityIsolation: false
maxPods: 60
syncFrequency: 5s
fileCheckFrequency: 5s
nodeStatusUpdateFrequency: 5s
shutdownGracePeriod: 0s
EOF
  _node_spawn kubelet "$BINARY" kubelet --config="$_node_dir/kubelet.yaml" --kubeconfig="$_node_dir/kubelet.kubeconfig" \
    --root-dir="$_node_dir/kubelet" --hostname-override="$_NODE_NAME" --node-ip="$_NODE_GATEWAY" --cert-dir="$_node_dir/pki"
}

# kube-router v2.1.0 from its Go module (the one version the module proxy serves here; only its firewall runs, on
# this machine's throwaway bridge), cached by version.
_node_kube_router_binary() {
  local bin="$_node_cache/kube-router-$_NODE_KUBE_ROUTER" t0
  if [[ ! -x $bin ]]; then
    t0=$(now_ms)
    log "node: building kube-router $_NODE_KUBE_ROUTER from the Go module proxy (first time on this machine: a few minutes)"
    mkdir -p "$_node_cache/gobin"
    GOBIN="$_node_cache/gobin" go install "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@$_NODE_KUBE_ROUTER" >&2 ||
      die "node: building kube-router failed (needs the Go module proxy)"
    mv "$_node_cache/gobin/kube-router" "$bin"
    log "node: kube-router built in $(fmt_ms $(($(now_ms) - t0)))"
  fi
  echo "$bin"
}

# NetworkPolicy on packets: kube-router's network policy controller alone (no routing, no service proxy), iptables
# and ipset on this host, under an identity that may only read what it needs (minted by TokenRequest).
_node_firewall() {
  local bin token health
  bin=$(_node_kube_router_binary)
  _node_api POST /api/v1/namespaces/kube-system/serviceaccounts '{"metadata":{"name":"bulwark-test-firewall"}}' || true
  _node_api POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{"metadata":{"name":"bulwark-test-firewall"},"rules":[{"apiGroups":[""],"resources":["pods","namespaces","nodes","services","endpoints"],"verbs":["get","list","watch"]},{"apiGroups":["networking.k8s.io"],"resources":["networkpolicies"],"verbs":["get","list","watch"]},{"apiGroups":["discovery.k8s.io"],"resources":["endpointslices"],"verbs":["get","list","watch"]}]}' || true
  _node_api POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"metadata":{"name":"bulwark-test-firewall"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"bulwark-test-firewall"},"subjects":[{"kind":"ServiceAccount","name":"bulwark-test-firewall","namespace":"kube-system"}]}' || true
  token=$(_node_api_out POST /api/v1/namespaces/kube-system/serviceaccounts/bulwark-test-firewall/token \
    '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":172800}}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])') || die "node: could not mint the firewall's token"
  _node_kubeconfig "$_node_dir/firewall.kubeconfig" "$token"
  health=$(free_port 20244 20264) || die "node: no free port for kube-router's health check"
  _node_spawn kube-router "$bin" --kubeconfig="$_node_dir/firewall.kubeconfig" --hostname-override="$_NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --health-port="$health" --metrics-port=0
  _node_wait kube-router 60 curl -sf "http://127.0.0.1:$health/healthz"
}

# kube-router's own --cleanup-config crashes here (its service proxy cleanup needs IPVS, which this kernel lacks) before
# it removes anything, so the chains it and the kubelet made (names fixed by those projects) and its ipsets are
# removed by name: jumps first, then the chains, then the sets they referenced.
_node_firewall_cleanup() {
  local table rule chain set ours='KUBE-ROUTER-|KUBE-POD-FW-|KUBE-NWPLCY-|KUBE-FIREWALL|KUBE-KUBELET-CANARY|KUBE-IPTABLES-HINT'
  for table in filter nat mangle; do
    iptables -w -t "$table" -S 2>/dev/null | grep -E "^-A [A-Z]+ .*-j ($ours)" | sed 's/^-A /-D /' | while read -r rule; do
      eval "iptables -w -t $table $rule" 2>/dev/null || true
    done || true # no rule of ours: grep finds nothing
    for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk -v re="^($ours)" '$1 == "-N" && $2 ~ re { print $2 }'); do
      iptables -w -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables -w -t "$table" -S 2>/dev/null | awk -v re="^($ours)" '$1 == "-N" && $2 ~ re { print $2 }'); do
      iptables -w -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  for set in $(ipset list -n 2>/dev/null | grep -E '^(KUBE-SRC-|KUBE-DST-|kube-router-)'); do ipset destroy "$set" 2>/dev/null || true; done
}

# "The internet side": a network namespace on the bridge with a server outside the cluster (HTTP on 8080, and on TCP
# 53 where a quarantine's DNS allowance lets traffic through).
_node_internet() {
  mkdir -p "$_node_dir/internet"
  echo internet >"$_node_dir/internet/index.html"
  ip netns add "$_NODE_NETNS"
  ip link add bwk-inet-h type veth peer name bwk-inet-n
  ip link set bwk-inet-h master "$_NODE_BRIDGE" up
  ip link set bwk-inet-n netns "$_NODE_NETNS"
  ip -n "$_NODE_NETNS" addr add "$_NODE_INTERNET/24" dev bwk-inet-n
  ip -n "$_NODE_NETNS" link set bwk-inet-n up
  ip -n "$_NODE_NETNS" link set lo up
  ip -n "$_NODE_NETNS" route add default via "$_NODE_GATEWAY"
  _node_spawn internet ip netns exec "$_NODE_NETNS" /bin/busybox sh -c \
    "/bin/busybox httpd -p 53 -h '$_node_dir/internet' && exec /bin/busybox httpd -f -p 8080 -h '$_node_dir/internet'"
  _node_wait internet 10 curl -sf -m 2 "http://$_NODE_INTERNET:8080/"
}

# Pods reach the API server (which listens on loopback only) through a proxy on the bridge address, as pods reach
# the `kubernetes` Service in a cluster: what a token mounted in a pod can do is tried from inside the pod.
_node_api_proxy() {
  local port=${API_URL##*:}
  _node_spawn api-proxy "$(_node_probe_binary)" proxy "$_NODE_GATEWAY:$port" "127.0.0.1:$port"
  _node_wait api-proxy 10 curl -s -o /dev/null --cacert "$API_CA" --connect-to "127.0.0.1:$port:$_NODE_GATEWAY:$port" "https://127.0.0.1:$port/readyz"
}

# _node_api METHOD PATH [JSON]: an admin call to the test API server (KUBE_ADMIN_TOKEN from k8s.sh's env file).
_node_api() { _node_api_out "$@" >/dev/null; }
_node_api_out() {
  local admin
  admin=$(sed -n 's/^export KUBE_ADMIN_TOKEN=//p' "$STATE_DIR/k8s/env")
  curl -sf --cacert "$API_CA" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' -X "$1" "$API_URL$2" ${3:+-d "$3"}
}

# Ready: the API server holds the node with condition Ready=True.
_node_ready() {
  _node_api_out GET "/api/v1/nodes/$_NODE_NAME" |
    python3 -c 'import json,sys; n=json.load(sys.stdin); sys.exit(0 if any(c["type"]=="Ready" and c["status"]=="True" for c in n["status"]["conditions"]) else 1)' 2>/dev/null
}

# The firewall identifies its node by name when it starts: the kubelet registers first.
_node_wait_ready() {
  _node_wait kubelet 120 _node_ready
}
