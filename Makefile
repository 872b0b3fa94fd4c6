# The two commands of the README: `make mock` and `make test`.
GO      ?= go
ARGS    ?=
REPORTS ?= reports

.PHONY: mock test vet fmt-check bench build

## mock: serve the mock on localhost:8080 (flags in ARGS="--max-batch 20")
mock:
	$(GO) run ./mockserver/cmd/spacedog-mock $(ARGS)

## test: vet, format check, and every test under the race detector
test: vet fmt-check
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: the mock's benchmarks (README, Performance)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./mockserver/

## build: the mock's binary in bin/
build:
	$(GO) build -o bin/spacedog-mock ./mockserver/cmd/spacedog-mock
