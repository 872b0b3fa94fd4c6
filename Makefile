# The two commands of the README: `make mock` and `make test`.
GO      ?= go
ARGS    ?=
REPORTS ?= reports

.PHONY: mock test vet fmt-check unit suites-binary bench build

## mock: serve the mock on localhost:8080 (flags in ARGS="--max-batch 20")
mock:
	$(GO) run ./mockserver/cmd/spacedog-mock $(ARGS)

## test: vet, format, every test under -race (the suites in-process among
## them), then the suites against the built mock over TCP
test: vet fmt-check unit suites-binary

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

## suites-binary: the suites, black-box, against bin/spacedog-mock on a free
## port; JUnit and conformance reports in $(REPORTS)/binary
suites-binary: build
	@rm -rf $(REPORTS)/binary && mkdir -p $(REPORTS)/binary
	@set -e; \
	bin/spacedog-mock --addr 127.0.0.1:0 > $(REPORTS)/binary/mock.log 2>&1 & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 100); do \
	  url=$$(sed -n 's/^spacedog-mock serving on //p' $(REPORTS)/binary/mock.log); \
	  [ -n "$$url" ] && break; sleep 0.1; \
	done; \
	[ -n "$$url" ] || { echo "the mock did not start:"; cat $(REPORTS)/binary/mock.log; exit 1; }; \
	echo "suites against $$url"; \
	$(GO) tool ginkgo --no-color --junit-report=junit.xml --output-dir=$(REPORTS)/binary ./suites -- \
	  --target=$$url --username=fred --password=secret --username2=vince --password2=secret2 \
	  --report-dir=$(REPORTS)/binary

## bench: the mock's benchmarks (README, Performance)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./mockserver/

## build: the mock's binary in bin/
build:
	$(GO) build -o bin/spacedog-mock ./mockserver/cmd/spacedog-mock
