# shellcheck shell=bash
# Kubernetes API server: a real kube-apiserver run in-process with an embedded etcd by the Go program in test/k8s
# (built once with the machine's Go from the Go module proxy, cached by source hash in test/.cache/k8s). Token auth
# (admin, attacker, responder), RBAC, service-account signing keys, and the audit webhook in batch mode pointed at
# KUBE_AUDIT_PORT (a loopback collector the e2e suite starts there, with KUBE_AUDIT_TOKEN as its ingest token).
# Exports KUBE_API_URL, KUBE_CA_FILE, KUBE_ADMIN_TOKEN, KUBE_ATTACKER_TOKEN, KUBE_RESPONDER_TOKEN, KUBE_AUDIT_PORT,
# KUBE_AUDIT_TOKEN, KUBE_AUDIT_TLS_CERT/_KEY (client-go sends the webhook token only over TLS, so the Bulwark the
# suite starts on KUBE_AUDIT_PORT serves HTTPS with this certificate: server.tls), KUBE_AUDIT_CLIENT_CA and
# KUBE_AUDIT_CLIENT_CN (the webhook also presents a client certificate with that CN, signed by that CA: mTLS).
#
# Knobs (environment):
#   KUBE_PORT        first port tried for the API server (default 6443; next free up to 6460)

# shellcheck disable=SC2034 # read by the dispatcher in _lib.sh as ${name}_default
k8s_default=yes

_k8s_dir="$STATE_DIR/k8s"
_k8s_pid="$STATE_DIR/k8s.pid"
_k8s_log="$STATE_DIR/k8s.log"

# _k8s_binary: builds test/k8s once per source hash; prints the binary's path.
_k8s_binary() {
  local src="$REPO_ROOT/test/k8s" hash bin
  command -v go >/dev/null || die "Go is missing: the test control plane is built from test/k8s with Go 1.26+"
  # The version stamped in: kubelet and API server report it (nodes show v1.37.2, not v0.0.0-master).
  local version ldflags
  version=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$src/go.mod")
  ldflags="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$version")"
  hash=$( (cat "$src/go.mod" "$src/go.sum" "$src/main.go"; echo "$ldflags") | sha256sum | cut -c1-16)
  bin="$CACHE_DIR/k8s/bulwark-test-apiserver-$hash"
  if [[ ! -x $bin ]]; then
    local t0
    t0=$(now_ms)
    log "k8s: building kube-apiserver, etcd and the node components from test/k8s (first time on this machine: several minutes)"
    mkdir -p "$CACHE_DIR/k8s"
    (cd "$src" && go build -ldflags "$ldflags" -o "$bin.tmp" .) >&2 || die "building test/k8s failed (needs the Go module proxy)"
    mv "$bin.tmp" "$bin"
    log "k8s: built in $(fmt_ms $(($(now_ms) - t0)))"
  fi
  echo "$bin"
}

k8s_status() {
  pid_alive "$_k8s_pid" && [[ -f $_k8s_dir/env ]] || return 1
  # shellcheck source=/dev/null
  (source "$_k8s_dir/env" && curl -sf --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $KUBE_ADMIN_TOKEN" "$KUBE_API_URL/readyz" >/dev/null)
}

k8s_export() {
  local line
  while IFS= read -r line; do
    [[ $line =~ ^export\ ([A-Z0-9_]+)=(.*)$ ]] && env_set "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
  done <"$_k8s_dir/env"
}

# _k8s_api METHOD PATH JSON: one admin call to the API server (setup of RBAC objects).
_k8s_api() {
  curl -sf --cacert "$_k8s_dir/certs/apiserver.crt" -H "Authorization: Bearer $_k8s_admin" -H 'Content-Type: application/json' \
    -X "$1" "$_k8s_url$2" -d "$3" >/dev/null
}

k8s_start() {
  local bin port etcd_port audit_port t0 deadline
  bin=$(_k8s_binary)
  port=$(free_port "${KUBE_PORT:-6443}" 6460) || die "no free port in ${KUBE_PORT:-6443}..6460 for the API server"
  etcd_port=$(free_port 23790 23890) || die "no free port for the embedded etcd"
  audit_port=$(free_port 18480 18499) || die "no free port for the audit webhook target"
  rm -rf "$_k8s_dir"
  mkdir -p "$_k8s_dir/certs"
  openssl genrsa -out "$_k8s_dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$_k8s_dir/sa.key" -pubout -out "$_k8s_dir/sa.pub" 2>/dev/null
  _k8s_admin="adm-$(openssl rand -hex 16)"
  local attacker="atk-$(openssl rand -hex 16)" responder="rsp-$(openssl rand -hex 16)" audit_token
  audit_token="bwk_kubeaudit_$(openssl rand -hex 16)"
  # The last three are the identities of the test node's components (test/services/node.sh), which only `up node`
  # uses: the kubelet as the node (the Node authorizer admits it), and the scheduler and controller manager under
  # the user names Kubernetes' default RBAC already binds.
  local node_token="nod-$(openssl rand -hex 16)" scheduler_token="sch-$(openssl rand -hex 16)" kcm_token="kcm-$(openssl rand -hex 16)"
  cat >"$_k8s_dir/tokens.csv" <<CSV
$_k8s_admin,bulwark-test-admin,1,system:masters
$attacker,mallory@example.com,2,developers
$responder,system:serviceaccount:bulwark:responder,3,system:serviceaccounts
$node_token,system:node:bulwark-node,4,system:nodes
$scheduler_token,system:kube-scheduler,5
$kcm_token,system:kube-controller-manager,6
CSV
  # client-go sends credentials only over TLS: the Bulwark the suite starts for the webhook serves this certificate...
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bulwark-test-collector -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$_k8s_dir/collector.key" -out "$_k8s_dir/collector.crt" 2>/dev/null || die "openssl could not make the collector certificate"
  # ... and presents a client certificate (CN kube-apiserver-audit, from a CA of its own) beside its token, as a real
  # API server would to a webhook that authenticates by mTLS (server.tls.client_ca_file): client-go sends both.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bulwark-test-audit-client-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$_k8s_dir/audit-client-ca.key" -out "$_k8s_dir/audit-client-ca.crt" 2>/dev/null || die "openssl could not make the audit client CA"
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver-audit -keyout "$_k8s_dir/audit-client.key" -out "$_k8s_dir/audit-client.csr" 2>/dev/null &&
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$_k8s_dir/audit-client.ext" &&
    openssl x509 -req -in "$_k8s_dir/audit-client.csr" -CA "$_k8s_dir/audit-client-ca.crt" -CAkey "$_k8s_dir/audit-client-ca.key" -CAcreateserial \
      -days 2 -extfile "$_k8s_dir/audit-client.ext" -out "$_k8s_dir/audit-client.crt" 2>/dev/null || die "openssl could not make the audit client certificate"
  cat >"$_k8s_dir/audit-webhook.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: bulwark, cluster: {server: "https://127.0.0.1:$audit_port/v1/ingest/k8s-audit", certificate-authority: "$_k8s_dir/collector.crt"}}]
users: [{name: kube-apiserver, user: {token: "$audit_token", client-certificate: "$_k8s_dir/audit-client.crt", client-key: "$_k8s_dir/audit-client.key"}}]
contexts: [{name: bulwark, context: {cluster: bulwark, user: kube-apiserver}}]
current-context: bulwark
YAML
  t0=$(now_ms)
  "$bin" -data "$_k8s_dir" -etcd-port "$etcd_port" -- \
    --bind-address=127.0.0.1 --secure-port="$port" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none --cert-dir="$_k8s_dir/certs" \
    --token-auth-file="$_k8s_dir/tokens.csv" --authorization-mode=Node,RBAC --anonymous-auth=false \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$_k8s_dir/sa.pub" --service-account-signing-key-file="$_k8s_dir/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/16 \
    --allow-privileged=true --disable-admission-plugins=ServiceAccount \
    --audit-policy-file="$REPO_ROOT/deploy/audit-policy.yaml" --audit-webhook-config-file="$_k8s_dir/audit-webhook.kubeconfig" \
    --audit-webhook-mode=batch --audit-webhook-batch-max-wait="${KUBE_AUDIT_MAX_WAIT:-1s}" --audit-webhook-initial-backoff=1s \
    </dev/null >"$_k8s_log" 2>&1 9>&- &
  echo $! >"$_k8s_pid"
  _k8s_url="https://127.0.0.1:$port"
  deadline=$(($(now_ms) + 120000))
  until [[ -f $_k8s_dir/certs/apiserver.crt ]] &&
    curl -sf --cacert "$_k8s_dir/certs/apiserver.crt" -H "Authorization: Bearer $_k8s_admin" "$_k8s_url/readyz" >/dev/null; do
    if ! pid_alive "$_k8s_pid" || (($(now_ms) > deadline)); then
      tail_log "$_k8s_log"
      k8s_stop >/dev/null 2>&1 || true
      die "the API server did not become ready on port $port within 120 s"
    fi
    sleep 0.5
  done

  # The attacker: broad rights on workloads, secrets and bindings, and `bind` on cluster roles — not cluster-admin.
  _k8s_api POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"bulwark-test-attacker"},"rules":[{"apiGroups":[""],"resources":["pods","pods/exec","pods/attach","secrets","serviceaccounts","serviceaccounts/token","namespaces"],"verbs":["*"]},{"apiGroups":["rbac.authorization.k8s.io"],"resources":["rolebindings","clusterrolebindings"],"verbs":["*"]},{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"verbs":["get","list","bind"]}]}' ||
    die "k8s: could not create the attacker ClusterRole"
  _k8s_api POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"bulwark-test-attacker"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"bulwark-test-attacker"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"mallory@example.com"}]}' ||
    die "k8s: could not bind the attacker ClusterRole"

  # The responder: exactly the ClusterRole Bulwark ships (deploy/responder-clusterrole.yaml), converted to JSON with
  # the repository's own YAML parser.
  local role
  role=$(cd "$REPO_ROOT" && node -e 'const y=require("yaml");process.stdout.write(JSON.stringify(y.parse(require("fs").readFileSync(process.argv[1],"utf8"))))' \
    deploy/responder-clusterrole.yaml) || die "k8s: could not read deploy/responder-clusterrole.yaml (npm install first)"
  _k8s_api POST /apis/rbac.authorization.k8s.io/v1/clusterroles "$role" || die "k8s: could not create the responder ClusterRole"
  _k8s_api POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"bulwark-responder"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"bulwark-responder"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"system:serviceaccount:bulwark:responder"}]}' ||
    die "k8s: could not bind the responder ClusterRole"

  cat >"$_k8s_dir/env" <<ENV
export KUBE_API_URL=$_k8s_url
export KUBE_CA_FILE=$_k8s_dir/certs/apiserver.crt
export KUBE_ADMIN_TOKEN=$_k8s_admin
export KUBE_ATTACKER_TOKEN=$attacker
export KUBE_RESPONDER_TOKEN=$responder
export KUBE_AUDIT_PORT=$audit_port
export KUBE_AUDIT_TOKEN=$audit_token
export KUBE_AUDIT_TLS_CERT=$_k8s_dir/collector.crt
export KUBE_AUDIT_TLS_KEY=$_k8s_dir/collector.key
export KUBE_AUDIT_CLIENT_CA=$_k8s_dir/audit-client-ca.crt
export KUBE_AUDIT_CLIENT_CN=kube-apiserver-audit
ENV
  # Not exported to the suites: only test/services/node.sh reads these.
  printf '%s\n' "NODE_NAME=bulwark-node" "NODE_TOKEN=$node_token" "SCHEDULER_TOKEN=$scheduler_token" "KCM_TOKEN=$kcm_token" \
    "SA_KEY=$_k8s_dir/sa.key" "API_URL=$_k8s_url" "API_CA=$_k8s_dir/certs/apiserver.crt" "BINARY=$bin" >"$_k8s_dir/node-credentials"
  k8s_export
  log "k8s: kube-apiserver ready at $_k8s_url in $(fmt_ms $(($(now_ms) - t0))) (audit webhook → 127.0.0.1:$audit_port)"
}

k8s_stop() {
  local stopped=
  if pid_alive "$_k8s_pid" && pid_cmdline_has "$(<"$_k8s_pid")" bulwark-test-apiserver; then
    stop_pid "$(<"$_k8s_pid")" 15
    stopped=1
  fi
  rm -rf "$_k8s_dir"
  rm -f "$_k8s_pid"
  local name
  for name in KUBE_API_URL KUBE_CA_FILE KUBE_ADMIN_TOKEN KUBE_ATTACKER_TOKEN KUBE_RESPONDER_TOKEN KUBE_AUDIT_PORT KUBE_AUDIT_TOKEN \
    KUBE_AUDIT_TLS_CERT KUBE_AUDIT_TLS_KEY KUBE_AUDIT_CLIENT_CA KUBE_AUDIT_CLIENT_CN; do
    env_unset "$name"
  done
  [[ -n $stopped ]] && log "k8s: stopped, data removed"
  return 0
}
