# Stride: the front door. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN_VERSION ?= v0.20.0
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_GEN_VERSION)
GOLANGCI_LINT_VERSION ?= v2.6.2
STRIDE_CLUSTER_DIR ?= $(shell pwd)/.cluster
export STRIDE_CLUSTER_DIR
TEST_TIMEOUT ?= 60m

.DEFAULT_GOAL := help

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate the CRDs and RBAC from the API types and markers.
	$(CONTROLLER_GEN) rbac:roleName=stride-manager crd:maxDescLen=1024,generateEmbeddedObjectMeta=true paths="./api/..." paths="./controllers/..." \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	go run ./hack/crdtrim config/crd/bases
	cp config/crd/bases/*.yaml charts/stride/crds/
	cp config/rbac/role.yaml charts/stride/files/role.yaml

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./api/..."

.PHONY: fmt
fmt: ## go fmt.
	go fmt ./...

.PHONY: vet
vet: ## go vet.
	go vet ./...

.PHONY: lint
lint: fmt vet ## Static checks (gofmt, go vet, and golangci-lint when installed).
	@if command -v golangci-lint >/dev/null; then golangci-lint run ./...; else echo "golangci-lint not installed: ran gofmt and go vet only"; fi

.PHONY: verify
verify: manifests generate ## Fail when generated files (CRDs, RBAC, deepcopy) are stale.
	@if [ -n "$$(git status --porcelain -- config api charts)" ]; then \
		echo "Generated files are stale; run 'make manifests generate' and commit:"; \
		git status --porcelain -- config api charts; git --no-pager diff --stat -- config api charts; exit 1; fi
	@echo "generated files are up to date"

.PHONY: test
test: manifests generate fmt vet binaries ## Run every test: unit, API validation and end to end on the local control plane.
	KUBEBUILDER_ASSETS="$$(hack/install-binaries.sh 2>/dev/null | tail -n1)" \
		go test ./... -count=1 -timeout $(TEST_TIMEOUT) $(TEST_ARGS)

.PHONY: test-unit
test-unit: ## Run only the unit tests (no control plane).
	go test -count=1 ./api/... ./internal/... ./cmd/...

.PHONY: bench
bench: ## Run the benchmarks.
	go test -run '^$$' -bench . -benchmem ./internal/... ./controllers/...

##@ Build

.PHONY: build
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build: ## Build bin/manager, bin/kubectl-stride and the demo's metrics source.
	go build -ldflags "-X main.version=$(VERSION)" -o $(LOCALBIN)/manager .
	go build -ldflags "-s -w -X github.com/stride-dev/stride/internal/cli.Version=$(VERSION)" -o $(LOCALBIN)/kubectl-stride ./cmd/kubectl-stride
	go build -o $(LOCALBIN)/demo-metrics ./hack/demo-metrics

.PHONY: binaries
binaries: ## Build the local control plane's binaries into the cache (only when missing).
	hack/install-binaries.sh >/dev/null
	hack/install-prometheus.sh >/dev/null

.PHONY: run
run: manifests generate ## Run the operator against the current kubeconfig.
	go run . --leader-elect=false

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply -f config/crd/bases

##@ Local control plane

.PHONY: cluster-up
cluster-up: binaries ## Start the local control plane (etcd, apiserver, controller-manager, scheduler, kwok).
	hack/local-cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local control plane.
	hack/local-cluster.sh down

.PHONY: demo
demo: binaries build ## Local control plane + Prometheus + operator: a canary promoted, then one rolled back by analysis.
	hack/demo.sh

$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)
