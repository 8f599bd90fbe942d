# The one place that knows how to build, test, run and benchmark kbench.

GO      ?= go
BIN     := bin/kbench
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
# The shared Apache Kafka cluster the integration tests run against.
TEST_CLUSTER_DIR ?= $(CURDIR)/.test-cluster
# Arguments for 'make run'.
RUN_ARGS ?= --workload failover
# The peers benchmark's own cluster, and its arguments (see 'bin/kbench-peers --help').
PEERS_CLUSTER_DIR ?= $(CURDIR)/.peers-cluster
PEERS_ARGS ?=
# Tools built from the Go module proxy on first use, kept in the user's
# cache rather than the checkout, so a fresh clone does not build them
# again; a new version here builds anew.
TOOLS_DIR ?= $(HOME)/.cache/kbench/tools
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_LINT_VERSION)
GOTESTSUM_VERSION := v1.13.0
GOTESTSUM := $(TOOLS_DIR)/gotestsum-$(GOTESTSUM_VERSION)
# The suite's events (go test -json), from which 'make test' prints the
# slowest tests.
TEST_JSON := $(CURDIR)/bin/test-events.json
# The cases 'make test-long' runs: those 'make test' skips as long (see
# longTest in bench) and those it runs with one driver (driversFor).
LONG_TESTS := ^(TestProxied|TestLocalExactlyOnceLeaderKill|TestLocalExactlyOnceCoordinatorKill|TestLocalExactlyOnceTransform)$$
# The packages whose tests use the shared cluster, run one at a time.
SHARED_PKGS := bench cmd/kbench cluster/local drivers/franz drivers/confluent

# Each fuzz target's time in 'make fuzz' (part of 'make test').
FUZZTIME ?= 5s
# package:FuzzTarget, each run for FUZZTIME.
FUZZ_TARGETS := workload:FuzzParseWorkload workload:FuzzSet workload:FuzzParseFaultFlag \
	profiles:FuzzParseTuning profiles:FuzzJavaProperties

.PHONY: build run test test-long unit deploy-test image bench bench-pacing bench-peers lint fmt fuzz clean

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/kbench

# The main job: fetch Apache Kafka on first use, start a 3-broker cluster on
# 127.0.0.1, run the workload, stop the cluster, print the summary.
run: build
	$(BIN) run $(RUN_ARGS)

# Every test: lint, then the whole suite with the race detector, in two
# lanes at once. The packages whose tests use the shared real 3-broker
# Apache Kafka cluster (SHARED_PKGS) run one at a time (-p 1: they share,
# and fail, one cluster); every other package, clusters of its own
# included, runs in the second lane. The shared cluster starts here with
# the fast-failover profile (a dead broker is fenced after 3 s, not 9 s)
# and is always stopped. The test binaries are built first, in parallel
# ('-exec true' runs none of them). The slowest tests are listed at the
# end, pass or fail.
test: lint build fuzz deploy-test $(GOTESTSUM)
	@set -e; \
	$(GO) test -race -count=1 -exec true ./... >/dev/null; \
	trap '$(BIN) cluster down --dir $(TEST_CLUSTER_DIR)' EXIT; \
	$(call shared_cluster_up); \
	other=$$($(GO) list ./... | grep -v -x -F $(foreach p,$(SHARED_PKGS),-e github.com/kbench/kbench/$(p))); \
	status=0; \
	$(GOTESTSUM) --format pkgname-and-test-fails --jsonfile $(TEST_JSON).other -- \
		-race -count=1 -p 1 -timeout 25m $$other > bin/test-other.log 2>&1 & other_pid=$$!; \
	$(GOTESTSUM) --format pkgname-and-test-fails --jsonfile $(TEST_JSON).shared -- \
		-race -count=1 -p 1 -timeout 25m $(addprefix ./,$(SHARED_PKGS)) || status=$$?; \
	wait $$other_pid || status=$$?; \
	echo "the other lane:"; cat bin/test-other.log; \
	echo "slowest tests (over 5 s):"; \
	cat $(TEST_JSON).shared $(TEST_JSON).other > $(TEST_JSON); \
	$(GOTESTSUM) tool slowest --jsonfile $(TEST_JSON) --threshold 5s | head -n 15; \
	exit $$status

# The long cases 'make test' skips: the network faults on a proxied
# cluster of their own (with a rolling restart and latency on replication
# links), the exactly-once failovers with every driver on the shared
# cluster, and a sweep over cluster sizes that starts clusters of 1 and 3
# nodes.
test-long: build $(GOTESTSUM)
	@set -e; \
	trap '$(BIN) cluster down --dir $(TEST_CLUSTER_DIR)' EXIT; \
	$(call shared_cluster_up); \
	export KBENCH_LONG_TESTS=1; \
	$(GOTESTSUM) --format standard-verbose -- \
		-race -count=1 -timeout 20m -run '$(LONG_TESTS)' ./bench/; \
	unset KBENCH_LOCAL_DIR KBENCH_BOOTSTRAP; \
	$(GOTESTSUM) --format standard-verbose -- \
		-race -count=1 -timeout 10m -run '^TestLocalSweepNodes$$' ./cmd/kbench/

# shared_cluster_up (re)starts the shared test cluster and exports where
# it is for the tests (KBENCH_NET_TESTS=1: tests may start clusters of
# their own too).
define shared_cluster_up
$(BIN) cluster down --dir $(TEST_CLUSTER_DIR) >/dev/null 2>&1 || true; \
	$(BIN) cluster up --dir $(TEST_CLUSTER_DIR) --profile fast-failover; \
	export KBENCH_LOCAL_DIR=$(TEST_CLUSTER_DIR); \
	export KBENCH_BOOTSTRAP=$$($(BIN) cluster bootstrap --dir $(TEST_CLUSTER_DIR)); \
	export KBENCH_NET_TESTS=1
endef

# Fast tests only: no Kafka needed (integration tests skip themselves).
unit: deploy-test
	$(GO) test -race -count=1 ./...

# The manifests' checks: deploy/ is a module of its own, so that the
# Kubernetes API types its test decodes into stay out of kbench's, and
# './...' from here does not reach it.
deploy-test:
	cd deploy && $(GO) test -count=1 ./...  # no -race: it checks files, and compressing the image's layer under -race takes a minute

# kbench's container image as a tarball for 'podman load' or 'docker load',
# written by deploy/mkimage with no Docker daemon and no registry: the
# binary, the libraries it links from this machine, CA certificates, a user
# (deploy/README.md). 'docker build -f deploy/Dockerfile .' is the other way.
image: build
	cd deploy && $(GO) build -o $(CURDIR)/bin/mkimage ./mkimage
	bin/mkimage -binary $(BIN) -version $(VERSION) -tag kbench:$(VERSION) -o bin/kbench-image.tar

# Every fuzz target for a short, bounded time; findings land in the
# package's testdata/fuzz and then run with the ordinary tests.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/

# The pacer against this machine's own floor, both pacings, with a client
# that costs nothing: PACING_SECONDS per rate (rare stalls need long runs).
PACING_SECONDS ?= 10
bench-pacing:
	$(GO) test -run '^TestPacingPrecision$$' -count=1 -v ./bench/ -args -pacing.seconds=$(PACING_SECONDS)

# kbench against Apache Kafka's kafka-producer-perf-test and
# kafka-consumer-perf-test, on a 3-broker cluster of its own, started here
# and always stopped; the table and peers.json go to kbench-results/.
bench-peers: build
	$(GO) build -o bin/kbench-peers ./cmd/peers
	@set -e; \
	$(BIN) cluster down --dir $(PEERS_CLUSTER_DIR) >/dev/null 2>&1 || true; \
	trap '$(BIN) cluster down --dir $(PEERS_CLUSTER_DIR)' EXIT; \
	$(BIN) cluster up --dir $(PEERS_CLUSTER_DIR); \
	bin/kbench-peers --kbench $(BIN) --bootstrap $$($(BIN) cluster bootstrap --dir $(PEERS_CLUSTER_DIR)) $(PEERS_ARGS)

# gofmt, go vet, golangci-lint (.golangci.yml) and a tidy go.mod, for
# kbench's module and deploy's; kbench's requires no Kubernetes module.
lint: $(GOLANGCI_LINT)
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd deploy && $(GO) vet ./...
	$(GOLANGCI_LINT) run ./...
	cd deploy && $(GOLANGCI_LINT) run ./...
	$(GO) mod tidy -diff
	cd deploy && $(GO) mod tidy -diff
	@if grep -n 'k8s\.io' go.mod; then echo "go.mod: Kubernetes modules belong in deploy/go.mod"; exit 1; fi

# Rewrites what lint's formatters find (gofmt, import groups) in place.
fmt: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) fmt ./...
	cd deploy && $(GOLANGCI_LINT) fmt ./...

$(GOLANGCI_LINT):
	@mkdir -p $(TOOLS_DIR)/.new
	GOBIN=$(TOOLS_DIR)/.new $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(TOOLS_DIR)/.new/golangci-lint $@

$(GOTESTSUM):
	@mkdir -p $(TOOLS_DIR)/.new
	GOBIN=$(TOOLS_DIR)/.new $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)
	mv $(TOOLS_DIR)/.new/gotestsum $@

clean:
	rm -rf bin
