# The two commands of the README: `make mock` and `make test`.
GO      ?= go
ARGS    ?=
REPORTS ?= reports
BASE    ?= HEAD
OASDIFF_FLAGS   ?=
CONFORMANCE_BIN ?= bin/spacedog-conformance
MOCK_BIN        ?= bin/spacedog-mock
# make dist and make image: the release's version, its folder, its platforms
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
DIST      ?= dist
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
# make image: the tool (podman, else docker; CONTAINER="podman --root=..."
# works too), the image's name and its staged context
CONTAINER   ?= $(shell command -v podman 2>/dev/null || command -v docker 2>/dev/null)
IMAGE       ?= spacedog-batchkit:$(VERSION)
IMAGE_STAGE ?= bin/image

.PHONY: mock test vet fmt-check staticcheck unit walk suites-2016 suites-binary bench bench-http soak soak-short build spec-check lint-spec conformance-bin dist image

## mock: build the mock into $(MOCK_BIN) and serve it on localhost:8080
## (flags in ARGS="--max-batch 20"). make runs the binary itself, not
## through go run, which passes no signal on (golang/go#40467): Ctrl-C,
## or SIGTERM to make or to the mock, stops it
mock:
	$(GO) build -o $(MOCK_BIN) ./mockserver/cmd/spacedog-mock
	exec $(MOCK_BIN) $(ARGS)

## test: vet, format, every test under -race (the suites in-process among
## them), the suites in-process in the spacedog-2016 profile, then the
## suites against the built mock over TCP in both profiles, and a 5-second
## soak
test: vet fmt-check staticcheck unit walk suites-2016 suites-binary soak-short

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## staticcheck: the pinned staticcheck, its default checks (staticcheck.conf
## lets Ginkgo and Gomega be dot-imported); the Go proxy serves it
staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

unit:
	$(GO) test -race -count=1 ./...

## walk: a two-item batch's way through mockserver touches at most a
## dozen of its files (docs/design.md, the walk of a request)
walk:
	$(GO) test -count=1 ./mockserver/ -run TestTheWalkOfATwoItemBatch -walk

suites-2016:
	$(GO) test -race -count=1 ./suites -args --profile=spacedog-2016

## suites-binary: the suites' binary, black-box, against bin/spacedog-mock
## on a free port; JUnit and conformance reports in $(REPORTS)/binary-PROFILE
suites-binary: build conformance-bin
	suites/against-binary.sh bin/spacedog-mock $(CONFORMANCE_BIN) doc $(REPORTS)/binary-doc
	suites/against-binary.sh bin/spacedog-mock $(CONFORMANCE_BIN) spacedog-2016 $(REPORTS)/binary-spacedog-2016

## bench-http: the built mock over loopback beside a trivial handler, each
## figure a ratio to the trivial one's from the same run (docs/performance.md)
bench-http: build
	$(GO) run ./tools/cmd/bench-http -mock bin/spacedog-mock $(ARGS)

## soak: a model-checked load test of the built mock over loopback (16
## clients × 60 s by default; ARGS="-duration 10m", or a state file in a
## sync mode with a data set: ARGS="-sync always -objects 100000", see
## docs/durability.md); soak-short: 4 s in each --state-sync mode, the
## durable one in the spacedog-2016 profile
soak: build
	$(GO) run ./tools/cmd/soak -mock bin/spacedog-mock $(ARGS)

soak-short: build
	$(GO) run ./tools/cmd/soak -mock bin/spacedog-mock -duration 4s -sync second -objects 2000
	$(GO) run ./tools/cmd/soak -mock bin/spacedog-mock -duration 4s -sync always -objects 2000 -profile spacedog-2016

## bench: the mock's benchmarks (docs/performance.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./mockserver/

## build: the mock's binary in bin/
build:
	$(GO) build -o bin/spacedog-mock ./mockserver/cmd/spacedog-mock

## conformance-bin: the suites compiled into one static executable, for CI
## images without Go; it takes the suites' flags and SPACEDOG_* variables,
## and Ginkgo's as --ginkgo.junit-report=FILE (docs/ci.md)
conformance-bin:
	CGO_ENABLED=0 $(GO) test -c -o $(CONFORMANCE_BIN) ./suites

## spec-check: fail when a profile's document breaks its clients between
## BASE (a git ref) and the working tree, with oasdiff's findings
spec-check:
	spec/check-breaking.sh $(BASE) $(OASDIFF_FLAGS)

## lint-spec: both served documents linted by Redocly CLI (recommended
## rules, changes justified in spec/redocly.yaml; a warning fails) and read
## by Dredd; npm installs the tools, versions pinned, into bin/npm
lint-spec:
	spec/lint.sh

## dist: the release archives in $(DIST): spacedog-mock and
## spacedog-conformance, static and stamped with $(VERSION), with the README
## and the license, for each of $(PLATFORMS), and their SHA256SUMS
## (make dist VERSION=v1.2.3; PLATFORMS=linux/amd64 for one)
dist:
	$(GO) run ./release/cmd/dist -version $(VERSION) -out $(DIST) $(PLATFORMS)

## image: the container image $(IMAGE) (Containerfile), FROM scratch with
## both binaries for linux on this machine's architecture, built by
## podman or docker, whichever is installed
image:
	@test -n "$(CONTAINER)" || { echo "make image: neither podman nor docker is installed" >&2; exit 1; }
	rm -rf $(IMAGE_STAGE)
	$(GO) run ./release/cmd/dist -version $(VERSION) -stage $(IMAGE_STAGE) linux/$$($(GO) env GOARCH)
	cp release/image/passwd release/image/group $(IMAGE_STAGE)/
	$(CONTAINER) build -f Containerfile --build-arg VERSION=$(VERSION) -t $(IMAGE) $(IMAGE_STAGE)
