# workbinkit — two commands on a fresh machine: `make mock` and `make test`.
# Every tool is pinned: Go modules by go.mod/go.sum, staticcheck by version below,
# JavaScript peers and linters by package.json/package-lock.json (installed with npm ci).

GO            ?= go
NPM           ?= npm
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GINKGO        := $(GO) run github.com/onsi/ginkgo/v2/ginkgo
NODE_STAMP    := node_modules/.package-lock.json
REDOCLY       := node_modules/.bin/redocly

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-20s %s\n", $$1, $$2}'

.PHONY: deps
deps: go-deps $(NODE_STAMP) chromium ## install Go modules, the pinned npm packages and Debian's chromium

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

.PHONY: go-deps
go-deps:
	$(GO) mod download

$(NODE_STAMP): package.json package-lock.json
	$(NPM) ci --no-audit --no-fund

.PHONY: test
test: deps vet staticcheck lint-spec gotest ## every check CI runs

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
	$(GO) build -o $(CURDIR)/bin/workbinkit ./cmd/workbinkit
	exec $(CURDIR)/bin/workbinkit mock $(MOCK_ARGS)

.PHONY: bench-mock
bench-mock: ## mock server speed: bare net/http vs pull vs pull+notification, start-up, idle CometD heap
	$(GO) test ./mockserver -run '^$$' -bench '^BenchmarkMockServer$$' -benchtime 1x -count 1

.PHONY: bench-proxy
bench-proxy: ## proxy speed in one run: recording 100,000 exchanges (RSS), pull p99 direct vs proxied at 1,000/s, event delay at 1,000 long polls
	$(GO) test ./proxy -run '^$$' -bench '^BenchmarkProxy(Recording|Pulls|Delivery)$$' -benchtime 1x -count 1

# The conformance suite (conformance/): make conform TARGET=https://host:port [CONFORM_ARGS="--config my.yaml --strict"].
# Reports (JUnit, Ginkgo JSON, conformance report JSON + Markdown) go to reports/. --workdir makes a
# relative --config (and report/CA paths) relative to where make runs, not to ./conformance.
CONFORM_PROCS ?= 2
REPORTS       := $(CURDIR)/reports

.PHONY: conform
conform: ## run the conformance suite against TARGET (e.g. make conform TARGET=http://127.0.0.1:8090); reports in reports/
	@test -n "$(TARGET)" || { echo "usage: make conform TARGET=http://127.0.0.1:8090 [CONFORM_ARGS='--config my.yaml --strict']" >&2; exit 2; }
	@mkdir -p $(REPORTS)
	$(GINKGO) --procs=$(CONFORM_PROCS) --junit-report=$(REPORTS)/conformance-junit.xml --json-report=$(REPORTS)/conformance-ginkgo.json \
		./conformance -- --workdir=$(CURDIR) --target=$(TARGET) --report-json=$(REPORTS)/conformance-report.json \
		--report-markdown=$(REPORTS)/conformance-report.md $(CONFORM_ARGS)

.PHONY: conformance-binary
conformance-binary: ## build bin/conformance.test, the suite as one binary taking the same flags
	@mkdir -p bin
	$(GINKGO) build -o $(CURDIR)/bin/conformance.test ./conformance

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
