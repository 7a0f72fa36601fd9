#!/usr/bin/env bash
# make demo: a real canary with analysis and an automatic rollback, on the local control plane.
#
#   1. starts the local control plane, a Prometheus server, the demo metrics source and the
#      operator (all as plain processes on loopback ports);
#   2. deploys web v1 (4 pods) with a canary strategy whose steps run a success-rate
#      analysis against Prometheus;
#   3. deploys v2 (healthy): promoted step by step;
#   4. deploys v3 (30% of its requests fail): the analysis fails and Stride rolls back.
#
# Ctrl-C or the end tears everything down. STRIDE_DEMO_KEEP=1 keeps it running at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEMO_DIR=${STRIDE_DEMO_DIR:-$ROOT/.demo}
export STRIDE_CLUSTER_DIR=$DEMO_DIR/cluster
BIN=$ROOT/bin
PIDS=()

bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
say() { printf '%s\n' "$*"; }

cleanup() {
  local code=$?
  trap - EXIT INT TERM
  if [ "${STRIDE_DEMO_KEEP:-}" = 1 ] && [ $code -eq 0 ]; then
    say "Left running (STRIDE_DEMO_KEEP=1): export KUBECONFIG=$KUBECONFIG; stop with: hack/local-cluster.sh down and kill ${PIDS[*]}"
    return
  fi
  say ""
  say "Tearing down the demo"
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  hack/local-cluster.sh down >/dev/null 2>&1 || true
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_http() { # url what
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  say "$2 did not come up; logs in $DEMO_DIR"
  exit 1
}

mkdir -p "$DEMO_DIR"
rm -rf "$DEMO_DIR/prometheus"

bold "Starting the local control plane"
hack/local-cluster.sh down >/dev/null 2>&1 || true
hack/local-cluster.sh up 2>&1 | grep -v '^\[install-binaries\]' | grep -v '^export ' || true
export KUBECONFIG=$STRIDE_CLUSTER_DIR/kubeconfig
export PATH=$BIN:$PATH
kubectl apply -f config/crd/bases >/dev/null
kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null
kubectl get nodes

bold "Starting Prometheus, the demo metrics source and the operator"
MPORT=$(free_port)
PPORT=$(free_port)
"$BIN/demo-metrics" --listen "127.0.0.1:$MPORT" --namespace demo >"$DEMO_DIR/demo-metrics.log" 2>&1 &
PIDS+=($!)
mkdir -p "$DEMO_DIR/prometheus"
cat >"$DEMO_DIR/prometheus/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: demo
  static_configs: [{targets: ["127.0.0.1:$MPORT"]}]
EOF
PROMETHEUS=$(hack/install-prometheus.sh | tail -n1)
"$PROMETHEUS" --config.file="$DEMO_DIR/prometheus/prometheus.yml" --storage.tsdb.path="$DEMO_DIR/prometheus/data" \
  --web.listen-address="127.0.0.1:$PPORT" >"$DEMO_DIR/prometheus.log" 2>&1 &
PIDS+=($!)
"$BIN/manager" --leader-elect=false --metrics-bind-address=0 --health-probe-bind-address=0 >"$DEMO_DIR/manager.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PPORT/-/ready" Prometheus
wait_http "http://127.0.0.1:$MPORT/metrics" demo-metrics
say "Prometheus http://127.0.0.1:$PPORT   metrics source http://127.0.0.1:$MPORT/metrics   logs in $DEMO_DIR"

bold "Deploying web v1: 4 pods, a canary strategy with success-rate analysis"
kubectl create namespace demo >/dev/null
sed "s#PROMETHEUS_URL#http://127.0.0.1:$PPORT#" hack/demo/rollout.yaml | kubectl apply -n demo -f -
kubectl stride status web -n demo --timeout 2m >/dev/null
kubectl get rollouts -n demo

bold "Deploying v2 (healthy): the canary moves in step by step while Prometheus watches"
kubectl stride set image web web=demo/web:v2 -n demo
set +e
kubectl stride status web -n demo -w --timeout 4m
v2=$?
set -e
if [ $v2 -ne 0 ]; then say "v2 did not become healthy (exit $v2); see $DEMO_DIR/manager.log"; exit 1; fi

bold "Deploying v3 (30% of its requests fail): the analysis catches it and Stride rolls back"
kubectl patch rollout web -n demo --type=merge -p \
  '{"spec":{"template":{"metadata":{"annotations":{"demo.stride.dev/error-rate":"0.3"}},"spec":{"containers":[{"name":"web","image":"demo/web:v3"}]}}}}'
set +e
kubectl stride status web -n demo -w --timeout 4m
v3=$?
set -e
if [ $v3 -ne 1 ]; then say "v3 was not rolled back (exit $v3); see $DEMO_DIR/manager.log"; exit 1; fi

bold "Summary"
kubectl get rollouts -n demo -o wide
say ""
kubectl get analysisruns -n demo
say ""
kubectl get events -n demo --field-selector involvedObject.kind=Rollout --sort-by=.lastTimestamp \
  -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message | tail -n 25
say ""
say "v2 was promoted after its analyses passed; v3 was rolled back automatically:"
kubectl get rollout web -n demo -o jsonpath='{.status.message}{"\n"}'
