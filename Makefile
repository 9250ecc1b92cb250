# qapi-go developer targets. See README.md.
GO ?= go
QAPI_GEN = $(GO) run ./cmd/qapi-gen
FUZZTIME ?= 60s

.PHONY: all generate check-generated test test-short vet bench fuzz update-schema

all: generate test

# The older releases the bindings span besides the vendored (newest) one:
# every release kept in testdata/schemas (docs/updating-qemu.md).
QMP_OLDER = $(foreach f,$(sort $(wildcard testdata/schemas/*/qapi/qapi-schema.json)),-also $(f))
QGA_OLDER = $(foreach f,$(sort $(wildcard testdata/schemas/*/qga/qapi-schema.json) testdata/schemas/qga-5.0/qapi-schema.json),-also $(f))

## generate: regenerate gen/qmp and gen/qga (and their server packages gen/qmp/qmpserver, gen/qga/qgaserver) for the range of releases: schema/ (newest) and testdata/schemas
generate:
	$(QAPI_GEN) generate -package qmp -out gen/qmp $(QMP_OLDER) qmp
	$(QAPI_GEN) generate -package qga -out gen/qga $(QGA_OLDER) qga

## check-generated: fail when gen/ differs from what the generator writes
# (the copy lies outside the module, so the bindings' import paths, which
# generate takes from go.mod, are given)
MODULE = github.com/qapi-go/qapi
check-generated:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	cp -R gen "$$tmp/gen" && \
	$(QAPI_GEN) generate -package qmp -out "$$tmp/gen/qmp" -import $(MODULE)/gen/qmp $(QMP_OLDER) qmp && \
	$(QAPI_GEN) generate -package qga -out "$$tmp/gen/qga" -import $(MODULE)/gen/qga $(QGA_OLDER) qga && \
	if ! diff -r gen "$$tmp/gen" >"$$tmp/diff"; then \
		head -n 40 "$$tmp/diff"; \
		echo "gen/ is stale: run 'make generate' and commit the result"; exit 1; \
	fi; echo "gen/ is up to date"

## vet: go vet every package
vet:
	$(GO) vet ./...

## test: the whole test suite (integration tests need QEMU; with CI=true they must not skip)
test: vet
	$(GO) test -race -count=1 ./...

## test-short: unit tests only, no race detector
test-short:
	$(GO) test -short ./...

## bench: every benchmark with allocations
bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list='^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

## update-schema: add a newer QEMU release at the top of the range: make update-schema QEMU=PATH (source tree or tarball); the vendored one moves to testdata/schemas
update-schema:
	@test -n "$(QEMU)" || { echo "usage: make update-schema QEMU=PATH"; exit 2; }
	$(QAPI_GEN) update-schema -schema-dir schema -older testdata/schemas "$(QEMU)"
