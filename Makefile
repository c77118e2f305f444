# workbinkit — two commands on a fresh machine: `make mock` and `make test`.
# Every tool is pinned: Go modules by go.mod/go.sum, staticcheck by version below,
# JavaScript peers and linters by package.json/package-lock.json (installed with npm ci).

GO            ?= go
NPM           ?= npm
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GINKGO        := $(GO) run github.com/onsi/ginkgo/v2/ginkgo
NODE_STAMP    := node_modules/.package-lock.json
REDOCLY       := node_modules/.bin/redocly

# The version `workbinkit version` prints, linked into every binary this Makefile builds (mock,
# conformance-binary, conform, dist, image): `git describe`, or "devel" outside a git checkout.
# Only the command line overrides it (make dist VERSION=v1.2.3), not a VERSION in the environment.
ifneq ($(origin VERSION),command line)
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
endif
# -s -w: no symbol table or DWARF (a third smaller; panics still print their stack traces).
GO_LDFLAGS := -s -w -X github.com/workbinkit/workbinkit/internal/version.override=$(VERSION)
# Static binaries (no cgo: they run on any Linux, in a scratch image) without local paths.
GOBUILD    := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(GO_LDFLAGS)"

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

.PHONY: deps
deps: go-deps $(NODE_STAMP) chromium podman ## install Go modules, the pinned npm packages, Debian's chromium and podman

# The browser tests drive Debian's chromium with playwright-core (no browser download): install it
# when it is missing and we may (root with apt-get), else say what to do and stop.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null || \
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }; \
	else echo "chromium is missing: install it (sudo apt-get install -y chromium) or set CHROMIUM=/path/to/chromium" >&2; \
		test -n "$(CHROMIUM)"; fi; }

# The image test (internal/disttest) builds the image with Debian's podman: install it when it
# is missing and we may (root with apt-get); else the test says it is skipped, and why.
.PHONY: podman
podman:
	@command -v podman >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's podman for the image test"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y podman >/dev/null || \
		{ apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y podman >/dev/null; }; \
	else echo "podman is missing: the image test will be skipped (sudo apt-get install -y podman to run it)" >&2; fi; }

.PHONY: go-deps
go-deps:
	$(GO) mod download

$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

.PHONY: test
test: deps vet staticcheck lint-spec lint-ci gotest ## every check CI runs

.PHONY: vet
vet:
	$(GO) vet ./...

.PHONY: staticcheck
staticcheck:
	$(GO) run $(STATICCHECK) ./...

.PHONY: gotest
gotest: $(NODE_STAMP)
	$(GO) test -race -count=1 ./...

.PHONY: lint-spec
lint-spec: $(NODE_STAMP) ## lint spec/openapi.yaml, spec/asyncapi.yaml and spec/mock-admin.yaml (kin-openapi + Redocly)
	$(GO) run ./cmd/workbinkit spec lint
	$(REDOCLY) lint --config spec/redocly.yaml spec/openapi.yaml spec/asyncapi.yaml spec/mock-admin.yaml

.PHONY: bench-bayeux
bench-bayeux: $(NODE_STAMP) ## benchmark the Bayeux server against faye 1.4.3 (1,000 sessions; BENCH_BAYEUX_FLAGS=-h lists options)
	$(GO) run ./bayeux/internal/bayeuxbench $(BENCH_BAYEUX_FLAGS)

.PHONY: mock
# The mock runs as its own binary rather than under `go run`: `go run` dies on SIGTERM and leaves
# its child running, and answers 1 for a mock that stopped cleanly on SIGINT.
mock: ## run the mock server with the built-in fixtures (more flags: make mock MOCK_ARGS="--help")
	$(GOBUILD) -o $(CURDIR)/bin/workbinkit ./cmd/workbinkit
	exec $(CURDIR)/bin/workbinkit mock $(MOCK_ARGS)

.PHONY: bench-mock
bench-mock: ## mock server speed: bare net/http vs pull vs pull+notification, start-up, idle CometD heap
	$(GO) test ./mockserver -run '^$$' -bench '^BenchmarkMockServer$$' -benchtime 1x -count 1

.PHONY: bench-proxy
bench-proxy: ## proxy speed in one run: recording 100,000 exchanges (RSS), pull p99 direct vs proxied at 1,000/s, event delay at 1,000 long polls a side
	$(GO) test ./proxy -run '^$$' -bench '^BenchmarkProxy(Recording|Pulls|Delivery)$$' -benchtime 1x -count 1

# The conformance suite (conformance/): make conform TARGET=https://host:port [CONFORM_ARGS="--config my.yaml --strict"].
# Reports (JUnit, Ginkgo JSON, conformance report JSON + Markdown) go to reports/. --workdir makes a
# relative --config (and report/CA paths) relative to where make runs, not to ./conformance.
#
# The suite writes every report itself, before its processes exit (also at its --deadline and on
# Ctrl-C or SIGTERM). make must return only after that: GNU make exits at once on SIGINT and passes
# SIGTERM to its recipe only, and the ginkgo CLI passes no signal on to the suite's processes. So
# the recipe is jobrun (conformance/internal/jobrun), which runs the ginkgo CLI as a job of its own:
# at a terminal Ctrl-C reaches the run, not make, and a SIGTERM to make reaches the whole run. Both
# are built rather than run by `go run`, which would die on SIGTERM and leave the run behind.
CONFORM_PROCS ?= 2
REPORTS       := $(CURDIR)/reports
GINKGO_CLI    ?= $(CURDIR)/bin/ginkgo
JOBRUN        := $(dir $(GINKGO_CLI))jobrun

.PHONY: conform
conform: ## run the conformance suite against TARGET (e.g. make conform TARGET=http://127.0.0.1:8090); reports in reports/
	@test -n "$(TARGET)" || { echo "usage: make conform TARGET=http://127.0.0.1:8090 [CONFORM_ARGS='--config my.yaml --strict']" >&2; exit 2; }
	@mkdir -p $(REPORTS) $(dir $(GINKGO_CLI))
	$(GO) build -o $(GINKGO_CLI) github.com/onsi/ginkgo/v2/ginkgo
	$(GO) build -o $(JOBRUN) ./conformance/internal/jobrun
	@exec $(JOBRUN) $(GINKGO_CLI) --trimpath --ldflags="$(GO_LDFLAGS)" --procs=$(CONFORM_PROCS) ./conformance -- --workdir=$(CURDIR) --target=$(TARGET) \
		--report-json=$(REPORTS)/conformance-report.json --report-markdown=$(REPORTS)/conformance-report.md \
		--report-junit=$(REPORTS)/conformance-junit.xml --report-ginkgo-json=$(REPORTS)/conformance-ginkgo.json $(CONFORM_ARGS)

.PHONY: conformance-binary
conformance-binary: ## build bin/conformance.test, the suite as one binary taking the same flags
	@mkdir -p bin
	CGO_ENABLED=0 $(GINKGO) build --trimpath --ldflags="$(GO_LDFLAGS)" -o $(CURDIR)/bin/conformance.test ./conformance

# FUZZ_TARGETS lists the fuzz targets `make fuzz` runs, as PACKAGE:FUNC words
# (e.g. ./fixtures:FuzzConvertPyRepr); add yours with `FUZZ_TARGETS += ./pkg:FuzzXxx`.
FUZZTIME     ?= 30s
FUZZ_TARGETS := ./fixtures:FuzzConvertPyRepr ./bayeux:FuzzParseError ./bayeux:FuzzDecodeReply \
                ./bayeux:FuzzDecodeMessages ./bayeux:FuzzServeHTTP
FUZZ_TARGETS += ./mockserver/state:FuzzCommands ./mockserver/state:FuzzWithMembers ./mockserver/state:FuzzOperate
FUZZ_TARGETS += ./mockserver:FuzzRequest
FUZZ_TARGETS += ./spec:FuzzRouteTable ./spec:FuzzValidateMessage ./spec:FuzzValidateRequestBody ./spec:FuzzSplitPointer ./spec:FuzzLoadSchema
FUZZ_TARGETS += ./har:FuzzReader ./observe:FuzzSplitFrames ./observe:FuzzObserve

.PHONY: fuzz
fuzz: ## run every fuzz target in FUZZ_TARGETS for FUZZTIME each (e.g. make fuzz FUZZTIME=2m)
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "== $$pkg $$fn ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$(FUZZTIME) $$pkg; \
	done

# Release archives: make dist [VERSION=v1.2.3] [DIST_PLATFORMS="linux/amd64 ..."]. Each platform's
# static binary goes to $(DIST)/build/OS_ARCH/, then internal/dist packs it with README.md,
# CHANGELOG.md and LICENSE (if any) as $(DIST)/workbinkit_VERSION_OS_ARCH.tar.gz (.zip for
# Windows) and writes $(DIST)/SHA256SUMS. Entry times are the last commit's (or SOURCE_DATE_EPOCH),
# so the same commit and toolchain give the same archives.
DIST           ?= $(CURDIR)/dist
DIST_PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64
HOST_PLATFORM   = $(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH)

.PHONY: dist
dist: ## release archives (Linux and macOS amd64/arm64, Windows amd64) and SHA256SUMS in dist/
	@mkdir -p $(DIST)
	@set -e; for p in $(DIST_PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; exe=; [ "$$os" != windows ] || exe=.exe; \
		echo "go build $$os/$$arch $(VERSION)"; \
		GOOS=$$os GOARCH=$$arch $(GOBUILD) -o $(DIST)/build/$${os}_$${arch}/workbinkit$$exe ./cmd/workbinkit; \
	done
	@$(GO) run ./internal/dist --dir $(DIST) --version $(VERSION) \
		--mtime $${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || echo 0)} $(DIST_PLATFORMS)

.PHONY: dist-host
dist-host: DIST_PLATFORMS = $(HOST_PLATFORM)
dist-host: dist ## only this machine's release archive (what the tests unpack)

# The container image: FROM scratch with the static linux binary and the CA certificates, both
# staged in $(DIST)/image/ (nothing is pulled at build time). CONTAINER=docker works as well;
# IMAGE_ARCH=arm64 builds another architecture's image (no emulation: the Containerfile runs nothing).
CONTAINER  ?= podman
IMAGE      ?= localhost/workbinkit:$(VERSION)
IMAGE_ARCH  = $(shell $(GO) env GOARCH)
CA_CERTS   ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: image
image: ## container image IMAGE (default localhost/workbinkit:VERSION) from Containerfile, with podman (CONTAINER=docker)
	@test -r $(CA_CERTS) || { echo "$(CA_CERTS) is missing: install ca-certificates or set CA_CERTS=/path/to/bundle.pem" >&2; exit 1; }
	@command -v $(CONTAINER) >/dev/null || { echo "$(CONTAINER) is missing: apt-get install -y podman, or CONTAINER=docker" >&2; exit 1; }
	@mkdir -p $(DIST)/image/work
	GOOS=linux GOARCH=$(IMAGE_ARCH) $(GOBUILD) -o $(DIST)/image/workbinkit ./cmd/workbinkit
	cp $(CA_CERTS) $(DIST)/image/ca-certificates.crt
	$(CONTAINER) build --platform linux/$(IMAGE_ARCH) --build-arg VERSION=$(VERSION) -f Containerfile -t $(IMAGE) $(DIST)/image

# The CI examples (examples/ci/): actionlint checks the GitHub workflows; the GitLab jobs are
# parsed, and every workbinkit command line in both checked against the binary, by go test ./examples/ci.
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: lint-ci
lint-ci: ## lint the GitHub Actions examples with actionlint (pinned)
	$(GO) run $(ACTIONLINT) examples/ci/github/*.yml
