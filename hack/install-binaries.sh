#!/usr/bin/env bash
# Builds the pinned binaries of the local control plane into a cache keyed by version:
# kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok, helm (and kubectl when
# the machine has none). Each binary is built only when missing. Prints the bin directory last.
#
#   STRIDE_CACHE_DIR   where the cache lives (default: ${XDG_CACHE_HOME:-$HOME/.cache}/stride)
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.6}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
HELM_VERSION=${HELM_VERSION:-v3.22.0}

CACHE_DIR=${STRIDE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/stride}
BIN_DIR="$CACHE_DIR/bin/k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
WORK_DIR="$CACHE_DIR/build"
mkdir -p "$BIN_DIR" "$WORK_DIR"

log() { echo "[install-binaries] $*" >&2; }

# A throwaway module that requires a module whose go.mod replaces its staging modules with
# local paths, and replaces each of them by its published version instead.
make_module() { # dir module version staging-prefix staging-version
  local dir=$1 mod=$2 ver=$3 prefix=$4 sver=$5
  [ -f "$dir/go.sum" ] && [ -f "$dir/.ready" ] && return 0
  mkdir -p "$dir"
  (
    cd "$dir"
    rm -f go.mod go.sum
    go mod init stride.local/build >/dev/null 2>&1
    go mod download -json "$mod@$ver" >/dev/null
    local gomod
    gomod=$(go env GOMODCACHE)/cache/download/$(echo "$mod" | sed 's/[A-Z]/!\L&/g')/@v/$ver.mod
    go mod edit -require "$mod@$ver"
    for m in $(grep -E "^\s*${prefix}[^ ]* => \./" "$gomod" | awk '{print $1}' | sort -u); do
      go mod edit -replace "$m=$m@$sver"
    done
    # a tools file so that `go mod tidy` keeps what we build
    printf 'package build\n' > doc.go
    touch .ready
  )
}

build_kube() {
  local name=$1
  [ -x "$BIN_DIR/$name" ] && return 0
  log "building $name $KUBE_VERSION (a few minutes on a cold cache)"
  local dir="$WORK_DIR/kubernetes-$KUBE_VERSION"
  make_module "$dir" k8s.io/kubernetes "$KUBE_VERSION" "k8s.io/" "v0${KUBE_VERSION#v1}"
  local major minor
  major=$(echo "${KUBE_VERSION#v}" | cut -d. -f1)
  minor=$(echo "${KUBE_VERSION#v}" | cut -d. -f2)
  local pkg=k8s.io/component-base/version
  (
    cd "$dir"
    GOFLAGS=-mod=mod go build -trimpath -o "$BIN_DIR/$name.tmp" \
      -ldflags "-s -w -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean" \
      "k8s.io/kubernetes/cmd/$name"
  )
  mv "$BIN_DIR/$name.tmp" "$BIN_DIR/$name"
}

build_etcd() {
  [ -x "$BIN_DIR/etcd" ] && return 0
  log "building etcd $ETCD_VERSION"
  local dir="$WORK_DIR/etcd-$ETCD_VERSION"
  make_module "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "go.etcd.io/etcd/" "$ETCD_VERSION"
  (
    cd "$dir"
    GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "$BIN_DIR/etcd.tmp" "$BIN_DIR/etcd"
}

build_kwok() {
  if [ ! -x "$BIN_DIR/kwok" ]; then
    log "building kwok $KWOK_VERSION"
    GOBIN="$BIN_DIR" GOFLAGS= go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi
  if [ ! -f "$BIN_DIR/kwok-stages.yaml" ]; then
    local src
    src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    local out="$BIN_DIR/kwok-stages.yaml.tmp"
    : > "$out"
    for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      echo "---" >> "$out"
      cat "$src/kustomize/stage/$f" >> "$out"
      echo >> "$out"
    done
    mv "$out" "$BIN_DIR/kwok-stages.yaml"
  fi
}

build_kubectl() {
  if command -v kubectl >/dev/null 2>&1; then
    ln -sf "$(command -v kubectl)" "$BIN_DIR/kubectl"
    return 0
  fi
  [ -x "$BIN_DIR/kubectl" ] && return 0
  log "building kubectl $KUBE_VERSION"
  local dir="$WORK_DIR/kubernetes-$KUBE_VERSION"
  make_module "$dir" k8s.io/kubernetes "$KUBE_VERSION" "k8s.io/" "v0${KUBE_VERSION#v1}"
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/kubectl" k8s.io/kubectl/cmd/kubectl 2>/dev/null) ||
    (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/kubectl" k8s.io/kubernetes/cmd/kubectl)
}

# helm renders and installs charts/stride in the install tests.
build_helm() {
  [ -x "$BIN_DIR/helm-$HELM_VERSION" ] || {
    log "building helm $HELM_VERSION"
    GOBIN="$BIN_DIR/helm-build" GOFLAGS= go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    mv "$BIN_DIR/helm-build/helm" "$BIN_DIR/helm-$HELM_VERSION"
    rmdir "$BIN_DIR/helm-build"
  }
  ln -sf "helm-$HELM_VERSION" "$BIN_DIR/helm"
}

want=${*:-"etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl helm"}
for b in $want; do
  case $b in
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    kubectl) build_kubectl ;;
    helm) build_helm ;;
    kube-*) build_kube "$b" ;;
    *) log "unknown binary $b"; exit 2 ;;
  esac
  [ -e "$BIN_DIR/$b" ] && log "ok $b"
done
echo "$BIN_DIR"
