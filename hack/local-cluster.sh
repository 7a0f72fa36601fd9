#!/usr/bin/env bash
# The local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kwok (fake nodes whose pods turn Running and Ready without containers), all on free
# loopback ports, as plain processes.
#
#   hack/local-cluster.sh up       start a fresh cluster (no-op when it already runs)
#   hack/local-cluster.sh down     stop it (safe to run twice); logs stay for reading
#   hack/local-cluster.sh status   which components run, and the kubeconfig (exit 0 only when
#                                  all run)
#   hack/local-cluster.sh smoke    check that a Deployment gets ready pods and a Service endpoints
#
# Environment:
#   STRIDE_CLUSTER_DIR  state of this cluster (default: .cluster under the repository root);
#                       several clusters run side by side with different directories
#   STRIDE_NODES        number of fake nodes (default 2)
#   STRIDE_OWNER_PID    when set, the cluster stops by itself once this process has exited
#   STRIDE_BIN_DIR      use the control plane binaries from this directory instead of
#                       hack/install-binaries.sh
#
# The cluster's kubeconfig is $STRIDE_CLUSTER_DIR/kubeconfig, its logs are under
# $STRIDE_CLUSTER_DIR/logs/<component>.log and its PIDs under $STRIDE_CLUSTER_DIR/pids/.
# `up` always starts from empty storage: the objects of a stopped cluster are not kept.
set -euo pipefail

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_DIR/.." && pwd)
# shellcheck source=hack/lib/util.sh
source "$HACK_DIR/lib/util.sh"

DIR=${STRIDE_CLUSTER_DIR:-$REPO_ROOT/.cluster}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
NODES=${STRIDE_NODES:-2}
KUBECONFIG_FILE=$DIR/kubeconfig
PID_DIR=$DIR/pids
LOG_DIR=$DIR/logs
PKI_DIR=$DIR/pki
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

running() { stride::pid_alive "$PID_DIR/$1.pid"; }

any_running() {
  local c
  for c in "${COMPONENTS[@]}"; do running "$c" && return 0; done
  return 1
}

all_running() {
  local c
  for c in "${COMPONENTS[@]}"; do running "$c" || return 1; done
}

kc() { "$BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# start NAME CMD... runs CMD in its own session with its output in logs/NAME.log and records
# its PID. The subshell is not a process group leader, so setsid does not fork and $! is the
# PID of CMD itself.
start() {
  local name=$1
  shift
  stride::log "starting $name"
  if command -v setsid >/dev/null 2>&1; then
    (exec setsid "$@") >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  else
    (exec "$@") >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$PID_DIR/$name.pid"
}

# fail_with NAME MESSAGE stops everything, shows the end of NAME's log and exits 1.
fail_with() {
  local name=$1
  shift
  stride::log "error: $*"
  if [ -f "$LOG_DIR/$name.log" ]; then
    echo "----- last lines of $LOG_DIR/$name.log" >&2
    tail -n 25 "$LOG_DIR/$name.log" >&2
    echo "-----" >&2
  fi
  down >/dev/null 2>&1 || true
  stride::log "logs are in $LOG_DIR"
  exit 1
}

alive_or_fail() {
  running "$1" || fail_with "$1" "$1 exited"
}

# wait_until SECONDS COMPONENT WHAT CMD... polls CMD, failing early when COMPONENT dies.
wait_until() {
  local timeout=$1 comp=$2 what=$3 deadline
  shift 3
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    alive_or_fail "$comp"
    [ "$SECONDS" -ge "$deadline" ] && fail_with "$comp" "timed out after ${timeout}s waiting for $what"
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

etcd_ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'
  else
    port_open "$ETCD_PORT"
  fi
}

apiserver_ready() {
  local url=https://127.0.0.1:$API_PORT/readyz
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 2 --cacert "$PKI_DIR/ca.crt" -H "Authorization: Bearer $TOKEN" "$url"
  else
    kc get --raw /readyz --request-timeout=2s
  fi
}

make_pki() {
  rm -rf "$PKI_DIR"
  mkdir -p "$PKI_DIR"
  (
    cd "$PKI_DIR"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout ca.key -out ca.crt -subj "/CN=stride-local-ca" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
      -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' \
      "$SERVICE_IP" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >token
    printf '%s,stride-admin,stride-admin,"system:masters"\n' "$(cat token)" >tokens.csv
    chmod 600 ./*.key token tokens.csv
  )
}

write_kubeconfig() {
  local tmp=$KUBECONFIG_FILE.tmp
  cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: stride-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: stride-admin
  user:
    token: $TOKEN
contexts:
- name: stride-local
  context:
    cluster: stride-local
    user: stride-admin
    namespace: default
current-context: stride-local
EOF
  chmod 600 "$tmp"
  mv "$tmp" "$KUBECONFIG_FILE"
}

node_manifests() {
  local i name
  for ((i = 0; i < NODES; i++)); do
    name=kwok-node-$i
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
spec: {}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "500", ephemeral-storage: 1Ti}
  capacity: {cpu: "64", memory: 256Gi, pods: "500", ephemeral-storage: 1Ti}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
EOF
  done
}

nodes_ready() {
  local out
  out=$(kc get nodes -l type=kwok -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.spec.taints}{"\n"}{end}')
  [ "$(echo "$out" | grep -c ' True $' || true)" -ge "$NODES" ]
}

start_watchdog() {
  [ -n "${STRIDE_OWNER_PID:-}" ] || return 0
  local owner=$STRIDE_OWNER_PID self
  self=$HACK_DIR/$(basename "${BASH_SOURCE[0]}")
  # It runs `down` itself once the owner has gone; exec keeps its PID, so `down` knows not
  # to stop itself.
  (
    export STRIDE_CLUSTER_DIR=$DIR
    # shellcheck disable=SC2016 # expanded by the inner bash
    exec setsid bash -c 'while [ "$(awk "{print \$3}" "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ]; do sleep 1; done; exec "$2" down' \
      stride-watchdog "$owner" "$self"
  ) >"$LOG_DIR/watchdog.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/watchdog.pid"
}

up() {
  if all_running; then
    stride::log "already up ($DIR)"
    echo "export KUBECONFIG=$KUBECONFIG_FILE"
    return 0
  fi
  if any_running; then
    stride::log "partly up: stopping the rest first"
    down
  fi
  local start_time=$SECONDS
  if [ -n "${STRIDE_BIN_DIR:-}" ]; then
    BIN_DIR=$STRIDE_BIN_DIR
  else
    BIN_DIR=$("$HACK_DIR/install-binaries.sh" | tail -n1)
  fi
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
    [ -x "$BIN_DIR/$b" ] || stride::die "missing $BIN_DIR/$b (run hack/install-binaries.sh)"
  done
  [ -f "$BIN_DIR/kwok-stages.yaml" ] || stride::die "missing $BIN_DIR/kwok-stages.yaml"

  rm -rf "$DIR/etcd" "$LOG_DIR" "$PID_DIR" "$KUBECONFIG_FILE"
  mkdir -p "$LOG_DIR" "$PID_DIR"
  make_pki
  TOKEN=$(cat "$PKI_DIR/token")
  local ports
  ports=$(stride::free_ports 3)
  ETCD_PORT=$(sed -n 1p <<<"$ports")
  ETCD_PEER_PORT=$(sed -n 2p <<<"$ports")
  API_PORT=$(sed -n 3p <<<"$ports")
  printf 'ETCD_PORT=%s\nETCD_PEER_PORT=%s\nAPI_PORT=%s\n' "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" >"$DIR/ports.env"
  echo "$BIN_DIR" >"$DIR/bin-dir"
  write_kubeconfig
  start_watchdog

  start etcd "$BIN_DIR/etcd" \
    --name=stride \
    --data-dir="$DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="stride=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true \
    --log-level=warn
  wait_until 30 etcd "etcd on port $ETCD_PORT" etcd_ready

  start kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$API_PORT" \
    --cert-dir="$PKI_DIR" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" \
    --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --token-auth-file="$PKI_DIR/tokens.csv" \
    --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --endpoint-reconciler-type=none \
    --allow-privileged=true \
    --profiling=false \
    --v=0
  wait_until 60 kube-apiserver "kube-apiserver /readyz on port $API_PORT" apiserver_ready

  start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --controllers='*,-serviceaccount-token' \
    --use-service-account-credentials=false \
    --leader-elect=false \
    --secure-port=0 \
    --service-account-private-key-file="$PKI_DIR/sa.key" \
    --root-ca-file="$PKI_DIR/ca.crt" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --concurrent-deployment-syncs=10 \
    --concurrent-replicaset-syncs=10 \
    --kube-api-qps=200 \
    --kube-api-burst=400 \
    --v=0

  start kube-scheduler "$BIN_DIR/kube-scheduler" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --leader-elect=false \
    --secure-port=0 \
    --kube-api-qps=200 \
    --kube-api-burst=400 \
    --v=0

  start kwok "$BIN_DIR/kwok" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --manage-all-nodes=true \
    --config="$BIN_DIR/kwok-stages.yaml" \
    --cidr=10.0.0.0/16 \
    --node-ip=127.0.0.1

  stride::log "creating $NODES fake nodes"
  node_manifests | kc apply -f - >/dev/null || fail_with kube-apiserver "could not create the nodes"
  wait_until 60 kwok "$NODES Ready nodes without taints" nodes_ready
  wait_until 60 kube-controller-manager "the default ServiceAccount" kc get serviceaccount default -n default
  local c
  for c in "${COMPONENTS[@]}"; do alive_or_fail "$c"; done
  stride::log "up in $((SECONDS - start_time))s; logs in $LOG_DIR"
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
}

# down stops every process at once: the cluster is disposable (`up` starts from empty storage),
# so an orderly shutdown buys nothing and would take longer.
down() {
  local c self=$$ files=() running_now=()
  # A watchdog that runs `down` itself must not stop itself.
  if [ "$(cat "$PID_DIR/watchdog.pid" 2>/dev/null || true)" = "$self" ]; then
    rm -f "$PID_DIR/watchdog.pid"
  fi
  for c in watchdog "${COMPONENTS[@]}"; do
    files+=("$PID_DIR/$c.pid")
    stride::pid_alive "$PID_DIR/$c.pid" && running_now+=("$c")
  done
  [ ${#running_now[@]} -gt 0 ] && stride::log "stopping ${running_now[*]}"
  stride::stop_pids 2 "${files[@]}"
  stride::log "down ($DIR)"
}

status() {
  local c state rc=0
  for c in "${COMPONENTS[@]}"; do
    if running "$c"; then
      state="running (pid $(cat "$PID_DIR/$c.pid"))"
    else
      state="stopped"
      rc=1
    fi
    printf '%-24s %s\n' "$c" "$state"
  done
  echo "kubeconfig: $KUBECONFIG_FILE"
  echo "logs:       $LOG_DIR"
  return $rc
}

# smoke checks by hand what the tests rely on: a 3-replica Deployment gets 3 ready pods and
# its Service gets endpoints.
smoke() {
  all_running || stride::die "the cluster at $DIR is not up"
  BIN_DIR=$(cat "$DIR/bin-dir")
  local ns=stride-smoke-$RANDOM t0
  kc create namespace "$ns" >/dev/null
  t0=$(date +%s%3N)
  kc -n "$ns" create deployment nginx --image=nginx --replicas=3 >/dev/null
  kc -n "$ns" expose deployment nginx --port=80 >/dev/null
  kc -n "$ns" rollout status deployment/nginx --timeout=60s >&2
  stride::log "3/3 ready after $(($(date +%s%3N) - t0)) ms"
  stride::wait_for 30 "endpoints of Service nginx" \
    bash -c "[ \"\$(\"$BIN_DIR/kubectl\" --kubeconfig '$KUBECONFIG_FILE' -n $ns get endpointslices -l kubernetes.io/service-name=nginx -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | wc -w)\" -eq 3 ]"
  kc -n "$ns" get deployment,pods,endpointslices -o wide >&2
  kc delete namespace "$ns" --wait=false >/dev/null
  stride::log "smoke test passed"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  status) status ;;
  smoke) smoke ;;
  *)
    echo "usage: $0 up|down|status|smoke" >&2
    exit 2
    ;;
esac
