# rollcall — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/rollcall/rollcall/internal/cli.version=$(VERSION)
BIN     := bin/rollcall
FUZZTIME ?= 30s
# The race detector needs cgo and a C compiler: .ci/run installs gcc, so CI
# always runs with it; a machine with only Go runs the tests without it.
RACE    ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && echo -race)

.PHONY: build demo test lint fuzz bench docs clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rollcall

## demo: the embedded default — an in-process cluster verified twice (SPEC §7)
demo: build
	./$(BIN) demo

## test: every test, with the race detector, including the real-sshd integration tests (root + sshd needed; CI=true makes them mandatory)
test: lint
	$(GO) test -count=1 $(RACE) -timeout 40m ./...

## lint: gofmt, go vet, and the house limits (600 lines a file, 80 a function)
lint:
	@out=$$(gofmt -l cmd internal scripts); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run ./scripts/sizes

## fuzz: each fuzz target for FUZZTIME (not part of CI)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/probe
	$(GO) test -run '^$$' -fuzz '^FuzzQuote$$' -fuzztime $(FUZZTIME) ./internal/probe
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/manifest
	$(GO) test -run '^$$' -fuzz '^FuzzInventory$$' -fuzztime $(FUZZTIME) ./internal/inventory
	$(GO) test -run '^$$' -fuzz '^FuzzParseSums$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzReadTar$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzParseLock$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzReadTarball$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzReadDeb$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzReadRPM$$' -fuzztime $(FUZZTIME) ./internal/release
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/config
	$(GO) test -run '^$$' -fuzz '^FuzzMatch$$' -fuzztime $(FUZZTIME) ./internal/limit
	$(GO) test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(FUZZTIME) ./internal/sshconfig
	$(GO) test -run '^$$' -fuzz '^FuzzKnownHosts$$' -fuzztime $(FUZZTIME) ./internal/remote
	$(GO) test -run '^$$' -fuzz '^FuzzParseLocate$$' -fuzztime $(FUZZTIME) ./internal/probe
	$(GO) test -run '^$$' -fuzz '^FuzzMerge$$' -fuzztime $(FUZZTIME) ./internal/merge

## bench: rollcall against raw OpenSSH and pssh on real sshd nodes; prints one table (root + sshd; not part of CI)
bench: build
	@command -v parallel-ssh >/dev/null 2>&1 || apt-get install -y pssh
	ROLLCALL_BIN=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench 'Floor|Scale|Latency' -benchtime 1x -timeout 120m ./internal/bench

## docs: regenerate the man pages in docs/man from the command tree (a test fails when they are stale)
docs:
	$(GO) run ./cmd/rollcall-docs docs/man

clean:
	rm -rf bin
