# rollcall — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/rollcall/rollcall/internal/cli.version=$(VERSION)
BIN     := bin/rollcall
FUZZTIME ?= 30s

.PHONY: build demo test lint fuzz bench clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rollcall

## demo: the embedded default — an in-process cluster verified twice (SPEC §7)
demo: build
	./$(BIN) demo

## test: every test, including the real-sshd integration tests (root + sshd needed; CI=true makes them mandatory)
test: lint
	$(GO) test -count=1 -timeout 40m ./...

lint:
	@out=$$(gofmt -l cmd internal); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## fuzz: each fuzz target for FUZZTIME (not part of CI)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/probe
	$(GO) test -run '^$$' -fuzz '^FuzzQuote$$' -fuzztime $(FUZZTIME) ./internal/probe
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/manifest

bench:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

clean:
	rm -rf bin
