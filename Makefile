# The two commands of the README: `make mock` and `make test`.
GO      ?= go
ARGS    ?=
REPORTS ?= reports

.PHONY: mock test vet fmt-check unit suites-2016 suites-binary bench build

## mock: serve the mock on localhost:8080 (flags in ARGS="--max-batch 20")
mock:
	$(GO) run ./mockserver/cmd/spacedog-mock $(ARGS)

## test: vet, format, every test under -race (the suites in-process among
## them), the suites in-process in the spacedog-2016 profile, then the
## suites against the built mock over TCP in both profiles
test: vet fmt-check unit suites-2016 suites-binary

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

suites-2016:
	$(GO) test -race -count=1 ./suites -args --profile=spacedog-2016

## suites-binary: the suites, black-box, against bin/spacedog-mock on a free
## port; JUnit and conformance reports in $(REPORTS)/binary-PROFILE
suites-binary: build
	suites/against-binary.sh bin/spacedog-mock doc $(REPORTS)/binary-doc
	suites/against-binary.sh bin/spacedog-mock spacedog-2016 $(REPORTS)/binary-spacedog-2016

## bench: the mock's benchmarks (README, Performance)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./mockserver/

## build: the mock's binary in bin/
build:
	$(GO) build -o bin/spacedog-mock ./mockserver/cmd/spacedog-mock
